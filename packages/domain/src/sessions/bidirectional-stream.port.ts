/** What a bidirectional model stream is opened with: JSON events in, as bytes, for as long as the session lasts. */
export interface BidirectionalStreamRequest {
  readonly modelId: string;
  /** The client's events, each one JSON document; the stream's input ends when this ends. */
  readonly input: AsyncIterable<Uint8Array>;
  /** Aborting it closes both directions at once. */
  readonly signal: AbortSignal;
}

/**
 * A model's bidirectional stream (Bedrock's InvokeModelWithBidirectionalStream, which Nova Sonic speaks).
 * `open` resolves once the model has sent its first event, and rejects with a NovaCostError when it refuses the
 * session (Bedrock's status and error name in `upstream`). The events it yields are JSON documents as bytes; a stream
 * the model breaks throws a NovaCostError whose `upstream` names the exception event.
 */
export interface BidirectionalModelStreams {
  open(request: BidirectionalStreamRequest): Promise<AsyncIterable<Uint8Array>>;
}

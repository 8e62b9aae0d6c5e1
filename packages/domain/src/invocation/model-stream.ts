import type { NovaCostError } from '../errors/nova-cost.error';
import type { JsonObject } from '../json';
import type { CacheOutcome, InvokeOptions, PlannedInvocation, TokenUsage } from './invocation.types';

/**
 * One event of a Bedrock response stream, named as Bedrock names it: ConverseStream's `messageStart`,
 * `contentBlockStart`, `contentBlockDelta`, `contentBlockStop`, `messageStop` and `metadata`; InvokeModelWithResponseStream's
 * `chunk`, whose `bytes` (base64) are the model's own streamed JSON.
 */
export interface ModelStreamEvent {
  readonly type: string;
  readonly payload: JsonObject;
  /**
   * The event's wire frame (`application/vnd.amazon.eventstream`) exactly as Bedrock sent it, when the event came
   * straight from upstream: sent on to clients byte for byte. A recorded event has none and is framed afresh.
   */
  readonly frame?: Uint8Array;
}

/** What a stream came to, once it ended: what it is billed on and whether it may be kept. */
export interface StreamReport {
  /**
   * 'complete': it ended with its usage (Converse `metadata`, the model's last chunk with
   * `amazon-bedrock-invocationMetrics`); 'failed': it broke (an exception event, a cut connection); 'abandoned': every
   * caller left before its end. Only a complete stream may be cached.
   */
  readonly end: 'complete' | 'failed' | 'abandoned';
  /** The usage the stream reported; for a stream that did not complete, an estimate of what Bedrock billed until it ended. */
  readonly usage: TokenUsage;
  /** Whether `usage` is the stream's own (false: estimated from the request and the text produced). */
  readonly reported: boolean;
  readonly stopReason?: string;
  /** Events the stream carried. */
  readonly events: number;
  /** Why it broke (end 'failed'). */
  readonly error?: NovaCostError;
  /** The service tier that served it: as ConverseStream's `metadata` says, else the tier it was sent in. */
  readonly serviceTier?: string;
}

/** A streaming call's answer. */
export interface ModelStream {
  readonly cache: CacheOutcome;
  /** The model answering. */
  readonly modelId: string;
  /**
   * The events for this caller, from the first. Iterating to the end, breaking off, or aborting the call's signal ends
   * this caller's part. A failure mid-stream is thrown by the iteration as a NovaCostError; an exception Bedrock sent
   * keeps its name in `upstream` (e.g. ModelStreamErrorException).
   */
  readonly events: AsyncIterable<ModelStreamEvent>;
  /**
   * What this caller is billed on, once it ended. For a billed stream ('miss', 'bypass') that is the upstream stream, which goes on while
   * others follow it even after this caller left; for 'hit' and 'coalesced', the events this caller received.
   * Never rejects.
   */
  readonly report: Promise<StreamReport>;
}

/**
 * Makes a streaming call (ConverseStream, InvokeModelWithResponseStream). Each link of the streaming chain (cache,
 * quota, Bedrock) implements this one method.
 */
export interface ModelStreamer {
  /**
   * Resolves once the stream has started (its first event arrived upstream, or a recorded stream is found): a failure
   * before that rejects, as a unary call would, and after it is thrown by the iteration. The caller must iterate the
   * events or abort `options.signal`, else the upstream call is held open.
   */
  stream(call: PlannedInvocation, options?: InvokeOptions): Promise<ModelStream>;
}

import type { JsonObject, Operation, TokenUsage } from '@nova-cost/domain';

/** The Bedrock runtime operations an invocation log records. */
export type LoggedOperation = 'Converse' | 'ConverseStream' | 'InvokeModel' | 'InvokeModelWithResponseStream';

/** Where a record was read: the file (or S3 object) and its 1-based line. */
export interface RecordOrigin {
  readonly file: string;
  readonly line: number;
  /** Characters of the line, a measure of what the call holds in memory. @default 0 */
  readonly length?: number;
}

/**
 * One model call as the invocation log recorded it, reduced to what the replay needs: the request (body, model,
 * caller), what Bedrock billed (token counts) and how long it took. Output bodies are not kept.
 */
export interface LoggedCall {
  readonly origin: RecordOrigin;
  /** Record timestamp, ms since epoch. Taken as the time the call started. */
  readonly at: number;
  readonly requestId: string;
  readonly accountId: string;
  /** identity.arn of the caller (an IAM user, role session, …). */
  readonly identityArn: string;
  /** Region the call was made (and billed) in. */
  readonly region: string;
  /** The operation as logged; anything else Bedrock logs is kept as its name. */
  readonly operation: LoggedOperation | string;
  /** The gateway's route for the operation (its stream routes for ConverseStream and InvokeModelWithResponseStream). */
  readonly gatewayOperation: Operation | undefined;
  readonly streaming: boolean;
  /** Model id, inference profile id or ARN, as the caller gave it. */
  readonly modelId: string;
  /** The request body; undefined when the log does not hold it (text delivery off, or delivered to S3). */
  readonly body: JsonObject | undefined;
  /** inputBodyS3Path: the body was over the log's inline limit and delivered as its own S3 object. */
  readonly bodyS3Path: string | undefined;
  /** Tokens Bedrock billed for the call. */
  readonly usage: TokenUsage;
  /** Latency Bedrock reported, when the log holds it. */
  readonly latencyMs: number | undefined;
  readonly stopReason: string | undefined;
  /** errorCode of a failed call (not billed, not replayed). */
  readonly errorCode: string | undefined;
  readonly requestMetadata: Readonly<Record<string, string>>;
}

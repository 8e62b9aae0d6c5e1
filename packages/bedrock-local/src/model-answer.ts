/** What a responder produced: the body, and the counts the server turns into headers and latency. */
export interface ModelAnswer {
  readonly body: Record<string, unknown>;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly cacheWriteInputTokens: number;
  /** Texts embedded in this one call (embedding models only). */
  readonly embeddedInputs?: number;
}

/** Everything a responder needs besides the body. */
export interface AnswerContext {
  /** The model id as addressed (URL-decoded). */
  readonly modelId: string;
  readonly baseModelId: string;
  readonly latencyMs: (outputTokens: number) => number;
}

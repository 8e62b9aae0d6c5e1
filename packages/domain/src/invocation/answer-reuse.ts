/** Stop reasons of answers that must not be replayed to another caller: truncated, or refused by the model. */
const NOT_REUSABLE_STOP = new Set(['max_tokens', 'length', 'max_tokens_reached', 'model_context_window_exceeded', 'guardrail_intervened', 'content_filtered']);

/**
 * Whether an answer that stopped for `stopReason` may be stored and served again for the same request. The
 * response cache and the savings report's replay both ask this, so they keep the same answers.
 */
export function isReusableAnswer(stopReason: string | undefined): boolean {
  return stopReason === undefined || !NOT_REUSABLE_STOP.has(stopReason.toLowerCase());
}

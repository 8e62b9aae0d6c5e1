import { resolveModelId } from '../models/model-catalog';

/**
 * Stop reasons of answers that must not be replayed to another caller: refused by a guardrail, a content filter
 * or the model itself. A truncated answer (max_tokens) is reused: the request key holds the output cap, so a repeat
 * gets exactly the answer Bedrock would give it, and paying again for it saves nothing.
 */
const NOT_REUSABLE_STOP = new Set(['guardrail_intervened', 'content_filtered', 'refusal']);

/**
 * Whether an answer that stopped for `stopReason` may be stored and served again for the same request. The
 * response cache and the savings report's replay both ask this, so they keep the same answers.
 */
export function isReusableAnswer(stopReason: string | undefined): boolean {
  return stopReason === undefined || !NOT_REUSABLE_STOP.has(stopReason.toLowerCase());
}

/**
 * Whether an answer came from the model its call was planned for (through any of its profiles), not from a fallback
 * model standing in while that one throttled or failed: only such answers are kept for later callers, who asked for
 * the planned model and will have it once it answers again.
 */
export function answeredByPlannedModel(plannedModelId: string, answeredModelId: string): boolean {
  if (plannedModelId === answeredModelId) return true;
  try {
    return resolveModelId(plannedModelId).baseModelId === resolveModelId(answeredModelId).baseModelId;
  } catch {
    return false;
  }
}

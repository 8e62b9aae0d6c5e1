import type { InvocationResult, PlannedInvocation } from '../invocation/invocation.types';

/** Answers already paid for, read without calling a model, and kept for later callers. Fails open: never rejects. */
export interface AnswerCache {
  /** The cached answer to a cacheable call (its cache plan not 'none'), cache outcome 'hit'; undefined on a miss. */
  lookup(call: PlannedInvocation): Promise<InvocationResult | undefined>;
  /** Keeps an answer of a cacheable call for its TTL. */
  remember(call: PlannedInvocation, result: InvocationResult): Promise<void>;
}

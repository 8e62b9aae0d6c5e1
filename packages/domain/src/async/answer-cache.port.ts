import type { InvocationRequest, InvocationResult } from '../invocation/invocation.types';

/** Answers already paid for, read without calling a model, and kept for later callers. Fails open: never rejects. */
export interface AnswerCache {
  /** The cached answer to a cacheable request (`request.cache` set), source 'cache'; undefined on a miss. */
  lookup(request: InvocationRequest): Promise<InvocationResult | undefined>;
  /** Keeps an answer of a cacheable request for its TTL. */
  remember(request: InvocationRequest, result: InvocationResult): Promise<void>;
}

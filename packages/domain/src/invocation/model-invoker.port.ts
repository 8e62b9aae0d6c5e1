import type { InvocationResult, InvokeOptions, PlannedInvocation } from './invocation.types';

/**
 * Calls a model as the cost policy planned it. Every link of the chain (cache, batcher, Bedrock) implements this one method.
 * Failures are NovaCostError; an aborted signal rejects with kind 'aborted'.
 */
export interface ModelInvoker {
  invoke(call: PlannedInvocation, options?: InvokeOptions): Promise<InvocationResult>;
}

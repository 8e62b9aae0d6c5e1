import type { InvocationRequest, InvocationResult, InvokeOptions } from './invocation.types';

/**
 * Calls a model. Every link of the chain (cache, batcher, Bedrock) implements this one method.
 * Failures are NovaCostError; an aborted signal rejects with kind 'aborted'.
 */
export interface ModelInvoker {
  invoke(request: InvocationRequest, options?: InvokeOptions): Promise<InvocationResult>;
}

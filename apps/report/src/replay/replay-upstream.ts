import type { InvocationRequest, InvocationResult } from '@nova-cost/domain';
import type { LoggedCall } from '../logs/logged-call';

/** What Bedrock's answer to a planned call would be, as far as cost and timing go. */
export type ReplayAnswer = Pick<InvocationResult, 'usage' | 'latencyMs' | 'stopReason'> &
  Partial<Pick<InvocationResult, 'billing'>>;

/**
 * Stands in for Bedrock during a replay. The default answers with what the log recorded. This is where levers
 * that change the call itself plug in (issue 17: prompt-cache points change the usage split, a service tier or
 * batch inference changes `billing`, an output cap changes the output tokens and the stop reason): an upstream
 * that reads the planned request and returns the answer Bedrock would give to it.
 */
export interface ReplayUpstream {
  answer(planned: InvocationRequest, call: LoggedCall): ReplayAnswer;
}

/** Latency when the log holds none (InvokeModel bodies carry no metrics): 200 ms plus 12 ms per output token. */
export function estimatedLatencyMs(call: Pick<LoggedCall, 'latencyMs' | 'usage'>): number {
  return call.latencyMs ?? 200 + 12 * call.usage.outputTokens;
}

/**
 * The same tokens, latency and stop reason as logged. A routed call is assumed to use the same tokens on the
 * cheaper model (its own tokenizer and answer length may differ a little).
 */
export const loggedUpstream: ReplayUpstream = {
  answer: (_planned, call) => ({
    usage: call.usage,
    latencyMs: estimatedLatencyMs(call),
    ...(call.stopReason === undefined ? {} : { stopReason: call.stopReason }),
  }),
};

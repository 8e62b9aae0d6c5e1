import type { InvocationRequest, InvokeOptions, ModelStream, ModelStreamer } from '@nova-cost/domain';
import { NovaCostError } from '@nova-cost/domain';
import { abortableSleep } from './abortable-sleep';
import type { ResolvedOptions } from './batching-invoker.options';
import type { QuotaRegistry } from './quota-registry';
import { usedTokens } from './quota-registry';
import { RetryBudget } from './retry-budget';

/** What streams share with the batcher: its per-model quotas and its throttle back-off (BatchingInvoker.limits()). */
export interface StreamLimits {
  readonly quotas: QuotaRegistry;
  readonly retry: ResolvedOptions['retry'];
  readonly random: () => number;
}

const NEVER = new AbortController().signal;

/**
 * The streaming chain's quota link. Streams are interactive: none waits in a micro-batch. Each still counts against
 * its model's requests and tokens per minute, the same buckets the batcher's calls take from: it waits for its share
 * (the prompt estimate and the output cap), at most `retry.maxTotalDelayMs`, and gives back what it did not use once
 * it ended. A throttle before the first event is retried with the batcher's back-off; after it, the stream has started
 * and its failure is the caller's.
 */
export class QuotaStreamer implements ModelStreamer {
  constructor(
    private readonly next: ModelStreamer,
    private readonly limits: StreamLimits,
  ) {}

  async stream(request: InvocationRequest, options: InvokeOptions = {}): Promise<ModelStream> {
    const signal = options.signal ?? NEVER;
    const quota = this.limits.quotas.quotaFor(request.modelId);
    const tokens = quota?.reservation(this.limits.quotas.estimateTokens([request])) ?? 0;
    let waited = 0;
    let budget: RetryBudget | undefined;
    for (;;) {
      const wait = quota?.take(tokens) ?? 0;
      if (wait > 0) {
        if (waited + wait > this.limits.retry.maxTotalDelayMs) {
          throw new NovaCostError(
            'throttled',
            `the quota of ${request.modelId} admits no stream within ${this.limits.retry.maxTotalDelayMs} ms (retry.maxTotalDelayMs)`,
            { details: { modelId: request.modelId } },
          );
        }
        waited += wait;
        await sleep(wait, signal);
        continue;
      }
      try {
        const stream = await this.next.stream(request, options);
        if (quota) void stream.report.then((report) => quota.settle(tokens, usedTokens(report.usage)));
        return stream;
      } catch (error) {
        quota?.settle(tokens, 0);
        if (!NovaCostError.is(error, 'throttled')) throw error;
        budget ??= new RetryBudget(this.limits.retry, this.limits.random);
        const delay = budget.nextDelayMs();
        if (delay === undefined) throw error;
        await sleep(delay, signal);
      }
    }
  }
}

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await abortableSleep(ms, signal);
  } catch (reason) {
    throw new NovaCostError('aborted', 'the caller aborted the stream while it waited for its quota', {
      cause: reason,
    });
  }
}

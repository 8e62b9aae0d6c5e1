import type { PlannedInvocation, InvokeOptions, ModelStream, ModelStreamer } from '@nova-cost/domain';
import { NovaCostError } from '@nova-cost/domain';
import { abortableSleep } from './abortable-sleep';
import type { DispatchUnit } from './batch-job';
import type { ResolvedOptions } from './batching-invoker.options';
import type { CallGate } from './call-gate';
import { usedTokens } from './call-gate';
import { RetryBudget } from './retry-budget';

/**
 * What streams share with the batcher (BatchingInvoker.limits()): its gate (per-model quotas and the pace learnt from
 * throttling), a way to let its waiting calls start once a stream gave tokens back, and its throttle back-off.
 */
export interface StreamLimits {
  readonly gate: CallGate;
  readonly pump: () => void;
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

  async stream(request: PlannedInvocation, options: InvokeOptions = {}): Promise<ModelStream> {
    const signal = options.signal ?? NEVER;
    const { gate, retry } = this.limits;
    // A stream is a dispatch unit of its own for the gate: its quota key, the tokens it reserved, when it started.
    const unit: DispatchUnit = {
      jobs: [],
      priority: 1,
      tenant: request.tenantId,
      key: gate.keyOf(request.modelId),
      reserved: 0,
      done: false,
    };
    let waited = 0;
    let budget: RetryBudget | undefined;
    for (;;) {
      const wait = gate.admit(unit, [request]);
      if (wait > 0) {
        if (waited + wait > retry.maxTotalDelayMs) {
          throw new NovaCostError(
            'throttled',
            `the quota of ${request.modelId} admits no stream within ${retry.maxTotalDelayMs} ms (retry.maxTotalDelayMs)`,
            { details: { modelId: request.modelId } },
          );
        }
        waited += wait;
        await sleep(wait, signal);
        continue;
      }
      try {
        const stream = await this.next.stream(request, options);
        gate.record(unit, false);
        void stream.report.then((report) => gate.settle(unit, usedTokens(report.usage)) && this.limits.pump());
        return stream;
      } catch (error) {
        if (gate.settle(unit, 0)) this.limits.pump();
        if (!NovaCostError.is(error, 'throttled')) throw error;
        gate.record(unit, true);
        budget ??= new RetryBudget(retry, this.limits.random);
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

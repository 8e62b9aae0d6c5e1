import { NovaCostError } from '@nova-cost/domain';
import type { InvocationResult } from '@nova-cost/domain';
import { abortableSleep } from './abortable-sleep';
import type { BatchJob, DispatchUnit } from './batch-job';
import type { ResolvedOptions } from './batching-invoker.options';
import { CallGate, usedTokens } from './call-gate';
import { FairScheduler } from './fair-scheduler';
import { RetryBudget } from './retry-budget';

/** The unit's abort signal, made on first use: a queued unit holds none, which keeps a long queue small. */
export function unitSignal(unit: DispatchUnit): AbortSignal {
  return (unit.controller ??= new AbortController()).signal;
}

/** Whether the unit was aborted, without making a signal for it. */
export function unitAborted(unit: DispatchUnit): boolean {
  return unit.controller?.signal.aborted ?? false;
}

/** A unit's call, answered: the jobs it served (those still waiting when it started) and its result. */
export interface Served {
  readonly jobs: BatchJob[];
  readonly result: InvocationResult;
}

/** What the runner asks of the batcher that owns the units. */
export interface UnitRunnerHost {
  /** The unit's jobs not settled yet: an attempt with none left ends. */
  pending(unit: DispatchUnit): BatchJob[];
  /** One upstream call for the unit's waiting jobs (the batcher marks them in flight and counts the call). */
  call(unit: DispatchUnit, signal: AbortSignal): Promise<Served>;
  /** `requests` of the unit start (+) or stop (−) backing off before a retry. */
  backingOff(unit: DispatchUnit, requests: number): void;
  /** A throttled call is about to be tried again. */
  retried(): void;
}

/**
 * The batcher's quota-and-retry runner: starts each unit's upstream call once the fair scheduler gives it its turn
 * (tenants by weight, interactive first, within `concurrency`) and its gate lets it (its model's quota and the pace
 * learnt from throttling), and tries a throttled call again — at its next turn while the model is paced, else after a
 * backoff — until `retry` is spent, then fails with Bedrock's last throttle.
 */
export class UnitRunner {
  /** Quotas and the pace learnt from throttling: what lets a call start (shared with the stream link, see limits()). */
  readonly gate: CallGate;
  private readonly scheduler: FairScheduler<DispatchUnit>;
  /** Units waiting for their turn: how to start each, and how to let its attempt go when nobody waits for it. */
  private readonly waitingUnits = new Map<
    DispatchUnit,
    { readonly start: () => Promise<unknown>; readonly abandon: (reason: unknown) => void }
  >();

  constructor(
    private readonly options: ResolvedOptions,
    private readonly host: UnitRunnerHost,
  ) {
    this.gate = new CallGate(options);
    this.scheduler = new FairScheduler<DispatchUnit>({
      concurrency: options.concurrency,
      weightOf: options.tenantWeight,
      admit: (unit) => this.admit(unit),
      start: (unit) => {
        const waiting = this.waitingUnits.get(unit)!;
        this.waitingUnits.delete(unit);
        return waiting.start();
      },
    });
  }

  /**
   * Runs the unit's call, retrying throttles: its result, or undefined when nobody waits for the unit any more (every
   * caller it served has been answered already). Rejects with the call's error, or 'throttled' once retries are spent.
   */
  async run(unit: DispatchUnit): Promise<Served | undefined> {
    let budget: RetryBudget | undefined; // made at the first throttle: most units never need one
    let firstThrottleAt: number | undefined;
    for (let retry = false; ; retry = true) {
      if (!this.host.pending(unit)[0]) return undefined;
      let served: Served;
      try {
        served = await this.scheduled(unit, retry);
      } catch (error) {
        this.giveBack(unit, 0); // the attempt used none of what it reserved
        if (unitAborted(unit)) return undefined;
        if (!NovaCostError.is(error, 'throttled')) throw error;
        this.gate.record(unit, true);
        // Paced, the pace is the back-off: the call waits for its next turn without spending its attempts, within
        // the same total time a backing-off call has.
        firstThrottleAt ??= this.options.now();
        if (this.gate.pacing(unit.key) && this.options.now() - firstThrottleAt <= this.options.retry.maxTotalDelayMs) {
          this.host.retried();
          continue;
        }
        budget ??= new RetryBudget(this.options.retry, this.options.random);
        const delay = budget.nextDelayMs();
        if (delay === undefined) {
          // The last throttle as Bedrock said it (its status, type and message reach the client), and how often we tried.
          throw new NovaCostError(
            'throttled',
            error.upstream !== undefined
              ? error.message
              : `still throttled after ${budget.attemptsMade} attempts (see retry.maxAttempts and retry.maxTotalDelayMs)`,
            {
              cause: error,
              details: { ...error.details, attempts: budget.attemptsMade },
              ...(error.upstream ? { upstream: error.upstream } : {}),
            },
          );
        }
        this.host.retried();
        // Requests in backoff wait like queued ones: they count against maxQueueSize until their next attempt.
        const waiting = this.host.pending(unit).length;
        this.host.backingOff(unit, waiting);
        try {
          await abortableSleep(delay, unitSignal(unit));
        } finally {
          this.host.backingOff(unit, -waiting);
        }
        continue;
      }
      this.giveBack(unit, usedTokens(served.result.usage));
      this.gate.record(unit, false);
      return served;
    }
  }

  /** Nobody waits for the unit any more: out of the scheduler's line, and its attempt let go. */
  abandon(unit: DispatchUnit): void {
    const waiting = this.waitingUnits.get(unit);
    if (!waiting) return;
    this.waitingUnits.delete(unit);
    this.scheduler.cancel(unit);
    waiting.abandon(unitSignal(unit).reason);
  }

  /** Looks again for units to start: tokens given back (by a stream, too) may let a waiting one start. */
  pump(): void {
    this.scheduler.pump();
  }

  /**
   * Queues the unit with the fair scheduler and resolves with its call once its turn has come and the call is done.
   * A retry goes to the head of its tenant's line: it already had its turn.
   */
  private scheduled(unit: DispatchUnit, retry: boolean): Promise<Served> {
    return new Promise((resolve, reject) => {
      const start = (): Promise<unknown> => {
        const call = unitAborted(unit)
          ? Promise.reject<Served>(unitSignal(unit).reason)
          : this.host.call(unit, unitSignal(unit));
        call.then(resolve, reject);
        return call;
      };
      this.waitingUnits.set(unit, { start, abandon: reject });
      this.scheduler.enqueue(unit, retry);
    });
  }

  /**
   * Whether the unit may start now (0) or how long until its limits allow it. A unit aborted while it waited starts
   * at once, and its call fails at once.
   */
  private admit(unit: DispatchUnit): number {
    if (unitAborted(unit)) return 0;
    return this.gate.admit(
      unit,
      this.host.pending(unit).map((j) => j.request),
    );
  }

  /** Settles the unit's quota with what its attempt used; tokens given back may let a waiting unit start. */
  private giveBack(unit: DispatchUnit, usedTokens: number): void {
    if (this.gate.settle(unit, usedTokens)) this.scheduler.pump();
  }
}

import type {
  DeferredCall,
  DeferredCallQueue,
  DeferredCallState,
  DeferredOutcome,
  DeferredSettlement,
  GroupLimits,
  InvocationResult,
  OnDemandReason,
  PendingCall,
} from '@nova-cost/domain';
import { BATCH_JOB_DEFAULTS, NovaCostError, decideGroup, groupKeyOf, inProgressState } from '@nova-cost/domain';

/** The batch job queue's settings the replay follows (the gateway's NOVA_COST_ASYNC_* values). */
export interface ReplayBatchOptions extends Partial<GroupLimits> {
  /** How long a job is taken to need, start to finish. @default BATCH_JOB_DEFAULTS.jobTurnaroundMs (6 h) */
  readonly jobTurnaroundMs?: number;
  /** How often the queue works: decisions fall on these ticks. @default 5000 */
  readonly tickMs?: number;
  /** The deadline of a submission: what the async API gives one that sets none. @default 86400000 (24 h) */
  readonly defaultDeadlineMs?: number;
  /** The tier of a call answered on demand instead of in a job (the async API's onDemandTier). @default 'flex' */
  readonly onDemandTier?: 'flex' | 'standard';
}

/** How a waiting call is answered when the queue decides: in a job, or on demand (and why). */
export type BatchAnswer = (
  call: DeferredCall,
  how: { readonly route: 'batch' } | { readonly route: 'on-demand'; readonly reason: OnDemandReason },
) => Promise<InvocationResult>;

interface Group {
  readonly calls: Map<string, PendingCall>;
  oldest: number;
  earliestSend: number;
}

/**
 * The gateway's batch job queue in simulated time: deferred calls wait in groups (region, model, invocation type),
 * and at the queue's ticks the domain's `decideGroup` says which are sent as a job and which are answered on demand,
 * exactly as BatchJobQueue decides. A job's calls are settled when it is sent (the replay does not wait for Bedrock
 * to run it); nothing is written anywhere. Memory: the calls waiting, i.e. a group's calls for up to `maxWaitMs`, or
 * fewer than `minRecords` for up to their deadline.
 */
export class ReplayBatchQueue implements DeferredCallQueue {
  private readonly groups = new Map<string, Group>();
  private readonly turnaroundMs: number;
  private readonly tickMs: number;
  /** The same quotas for every model (the gateway's limitsByModel is not read here). */
  private readonly limits: GroupLimits;
  private settle: DeferredSettlement | undefined;

  constructor(
    private readonly answer: BatchAnswer,
    private readonly options: ReplayBatchOptions = {},
  ) {
    this.turnaroundMs = options.jobTurnaroundMs ?? BATCH_JOB_DEFAULTS.jobTurnaroundMs;
    this.tickMs = options.tickMs ?? 5_000;
    this.limits = {
      minRecords: options.minRecords ?? BATCH_JOB_DEFAULTS.minRecords,
      maxRecords: options.maxRecords ?? BATCH_JOB_DEFAULTS.maxRecords,
      maxInputBytes: options.maxInputBytes ?? BATCH_JOB_DEFAULTS.maxInputBytes,
      maxWaitMs: options.maxWaitMs ?? BATCH_JOB_DEFAULTS.maxWaitMs,
    };
  }

  async start(settle: DeferredSettlement): Promise<void> {
    this.settle = settle;
  }

  async accept(call: DeferredCall): Promise<DeferredCallState> {
    const submitted = call.submittedAt.getTime();
    const pending: PendingCall = {
      call,
      // The size of its line in a job's input file: the body is what it holds.
      bytes: JSON.stringify(call.request.body).length + 64,
      latestSendAt: call.deadline.getTime() - this.turnaroundMs,
    };
    const key = groupKeyOf(call);
    let group = this.groups.get(key);
    if (!group)
      this.groups.set(key, (group = { calls: new Map(), oldest: submitted, earliestSend: pending.latestSendAt }));
    group.calls.set(call.id, pending);
    group.oldest = Math.min(group.oldest, submitted);
    group.earliestSend = Math.min(group.earliestSend, pending.latestSendAt);
    return inProgressState(call);
  }

  async acceptAnswered(call: DeferredCall): Promise<DeferredCallState> {
    return { ...inProgressState(call), status: 'Completed', route: 'cache' };
  }

  async find(): Promise<DeferredCallState | undefined> {
    return undefined; // every replayed call is submitted once, with a token of its own
  }

  list(): never {
    throw new NovaCostError('internal', 'the replay lists no async invocations');
  }

  async output(): Promise<undefined> {
    return undefined;
  }

  /** Calls waiting for a job. */
  get waiting(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.calls.size;
    return n;
  }

  /**
   * The next tick at which some group's decision can change: a group with its minimum sent once its oldest call has
   * waited maxWaitMs (at once when full), a group below it when its first call's latest send time comes. Undefined
   * when nothing waits.
   */
  nextDecisionAt(): number | undefined {
    let next: number | undefined;
    for (const [, g] of this.groups) {
      const limits = this.limits;
      const at =
        g.calls.size >= limits.maxRecords
          ? Number.NEGATIVE_INFINITY
          : g.calls.size >= limits.minRecords
            ? Math.min(g.oldest + limits.maxWaitMs, g.earliestSend)
            : g.earliestSend;
      next = Math.min(next ?? at, at);
    }
    return next === undefined ? undefined : Math.ceil(next / this.tickMs) * this.tickMs;
  }

  /** One round of the queue at `now`: sends what decideGroup sends, answers on demand what it says, settles them. */
  async round(now: number): Promise<void> {
    const settle = this.settle;
    if (!settle) throw new NovaCostError('internal', 'the replay batch queue was not started');
    for (const [key, group] of [...this.groups]) {
      const decision = decideGroup([...group.calls.values()], now, this.limits);
      const ended: [DeferredCall, DeferredOutcome][] = [];
      for (const job of decision.jobs)
        for (const { call } of job)
          ended.push([call, { ok: true, route: 'batch', result: await this.answer(call, { route: 'batch' }) }]);
      for (const { pending, reason } of decision.onDemand) {
        const result = await this.answer(pending.call, { route: 'on-demand', reason });
        ended.push([pending.call, { ok: true, route: 'on-demand', reason, result }]);
      }
      if (ended.length === 0) continue;
      for (const [call] of ended) group.calls.delete(call.id);
      if (group.calls.size === 0) this.groups.delete(key);
      else {
        group.oldest = Math.min(...[...group.calls.values()].map((p) => p.call.submittedAt.getTime()));
        group.earliestSend = Math.min(...[...group.calls.values()].map((p) => p.latestSendAt));
      }
      for (const [call, outcome] of ended) await settle(call, outcome);
    }
  }
}

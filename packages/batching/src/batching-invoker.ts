import { NovaCostError } from '@nova-cost/domain';
import type { PlannedInvocation, InvocationResult, InvokeOptions, ModelInvoker } from '@nova-cost/domain';
import { BatchCollector } from './batch-collector';
import type { BatchJob, DispatchUnit, Outcome } from './batch-job';
import { resolveOptions } from './batching-invoker.options';
import type { BatchingInvokerOptions, ResolvedOptions } from './batching-invoker.options';
import type { BatchingStats, DrainSummary } from './batching-stats';
import { mergeKey, mergeRequests, mergeableTexts, splitResult } from './embedding-merge';
import type { StreamLimits } from './quota-streamer';
import type { Served } from './unit-runner';
import { UnitRunner } from './unit-runner';

function abortUnit(unit: DispatchUnit, reason: unknown): void {
  (unit.controller ??= new AbortController()).abort(reason);
}

function asNovaCostError(error: unknown): NovaCostError {
  if (NovaCostError.is(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new NovaCostError('internal', `the wrapped model invoker failed with a non-NovaCostError: ${message}`, {
    cause: error,
  });
}

/**
 * A ModelInvoker link that holds deferrable requests into micro-batches, merges embedding requests that can
 * share a call, and sends everything upstream concurrently within a concurrency limit and per-model quotas,
 * retrying throttled calls. Waiting interactive requests go before waiting deferrable ones. Every accepted
 * request settles: with its own result, its own error, or 'aborted' / 'shutting-down'.
 */
export class BatchingInvoker implements ModelInvoker {
  private readonly options: ResolvedOptions;
  /** Runs each unit's call in its turn, within its quota and pace, retrying throttles. */
  private readonly runner: UnitRunner;
  /** Requests waiting (queued or backing off), per tenant: each tenant's share of maxQueueSize. */
  private readonly perTenant = new Map<string, number>();
  private readonly collector: BatchCollector<BatchJob>;
  private readonly live = new Set<BatchJob>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly counts = {
    queued: 0,
    backingOff: 0,
    inFlight: 0,
    upstreamInFlight: 0,
    dispatched: 0,
    completed: 0,
    failed: 0,
    throttledRetries: 0,
    rejectedQueueFull: 0,
    merged: 0,
  };
  private draining: Promise<DrainSummary> | undefined;

  constructor(
    private readonly next: ModelInvoker,
    options: BatchingInvokerOptions = {},
  ) {
    if (typeof next?.invoke !== 'function') {
      throw new NovaCostError(
        'configuration',
        'BatchingInvoker needs the ModelInvoker to wrap (an object with invoke()) as its first argument',
      );
    }
    this.options = resolveOptions(options);
    this.runner = new UnitRunner(this.options, {
      pending: (unit) => this.pending(unit),
      call: (unit, signal) => this.call(unit, signal),
      backingOff: (unit, requests) => {
        this.counts.backingOff += requests;
        this.tenantWaiting(unit.tenant, requests);
      },
      retried: () => (this.counts.throttledRetries += 1),
    });
    this.collector = new BatchCollector((jobs) => this.dispatch(jobs));
  }

  invoke(request: PlannedInvocation, options: InvokeOptions = {}): Promise<InvocationResult> {
    if (
      typeof request !== 'object' ||
      request === null ||
      typeof request.modelId !== 'string' ||
      typeof request.body !== 'object' ||
      request.body === null
    ) {
      return Promise.reject(
        new NovaCostError(
          'validation',
          'BatchingInvoker.invoke needs a PlannedInvocation with a string modelId and an object body',
        ),
      );
    }
    if (this.draining)
      return Promise.reject(new NovaCostError('shutting-down', 'the batcher is draining and accepts no new requests'));
    const signal = options.signal;
    if (signal?.aborted)
      return Promise.reject(
        new NovaCostError('aborted', 'the request was aborted before it was queued', { cause: signal.reason }),
      );
    if (this.counts.queued + this.counts.backingOff >= this.options.maxQueueSize) {
      this.counts.rejectedQueueFull += 1;
      return Promise.reject(
        new NovaCostError(
          'queue-full',
          `the batching queue already holds ${this.options.maxQueueSize} waiting requests (maxQueueSize); retry later`,
          {
            details: { maxQueueSize: this.options.maxQueueSize },
          },
        ),
      );
    }
    const tenant = request.tenantId;
    const share = this.perTenant.get(tenant) ?? 0;
    if (share >= this.options.maxQueuedPerTenant) {
      this.counts.rejectedQueueFull += 1;
      return Promise.reject(
        new NovaCostError(
          'queue-full',
          `tenant ${tenant} already has ${share} requests waiting in the batching queue, its share of it (maxQueueSharePerTenant); retry later`,
          {
            details: { maxQueueSize: this.options.maxQueueSize, tenantLimit: this.options.maxQueuedPerTenant },
          },
        ),
      );
    }
    const lane = request.lane;
    const rule = this.options.lanes[lane];
    // A lane that holds nothing (interactive, by default) sends each request alone: nothing to merge, nothing to hold.
    const holds = rule.maxBatchSize > 1 && rule.maxWaitMs > 0;
    const merge = holds ? this.mergeOf(request) : undefined;
    return new Promise<InvocationResult>((resolve, reject) => {
      const job: BatchJob = {
        request,
        merge,
        priority: lane === 'interactive' ? 1 : 0,
        resolve,
        reject,
        state: 'queued',
      };
      this.counts.queued += 1;
      this.tenantWaiting(tenant, 1);
      this.live.add(job);
      if (signal) {
        const onAbort = () =>
          this.settle(job, {
            error: new NovaCostError('aborted', 'the caller aborted the request', { cause: signal.reason }),
          });
        signal.addEventListener('abort', onAbort, { once: true });
        job.detach = () => signal.removeEventListener('abort', onAbort);
      }
      if (holds) this.collector.add(`${lane}|${merge?.key ?? '*'}`, job, rule);
      else this.dispatch([job]);
    });
  }

  /**
   * Stops accepting (new calls fail with 'shutting-down'), dispatches held batches at once and waits for
   * everything accepted. What has not finished `deadlineMs` from now is rejected with 'shutting-down' and its
   * upstream call aborted. Calling it again returns the same drain.
   */
  drain(deadlineMs: number): Promise<DrainSummary> {
    if (this.draining) return this.draining;
    if (typeof deadlineMs !== 'number' || !(deadlineMs >= 0) || !Number.isFinite(deadlineMs)) {
      return Promise.reject(
        new NovaCostError(
          'configuration',
          `drain(deadlineMs) needs a finite number of milliseconds >= 0, got ${String(deadlineMs)}`,
        ),
      );
    }
    const before = { completed: this.counts.completed, failed: this.counts.failed };
    let rejected = 0;
    this.draining = new Promise<DrainSummary>((resolve) => {
      const timer = setTimeout(() => {
        const error = new NovaCostError(
          'shutting-down',
          `the request did not finish within the ${deadlineMs} ms drain deadline`,
          { details: { deadlineMs } },
        );
        for (const job of [...this.live]) {
          rejected += 1;
          this.settle(job, { error });
        }
      }, deadlineMs);
      this.whenIdle(() => {
        clearTimeout(timer);
        resolve({
          completed: this.counts.completed - before.completed,
          failed: this.counts.failed - before.failed - rejected,
          rejected,
        });
      });
    });
    this.collector.flushAll();
    return this.draining;
  }

  /** Gauges and counters for the gateway's metrics. */
  stats(): BatchingStats {
    const {
      queued,
      backingOff,
      inFlight,
      upstreamInFlight,
      dispatched,
      completed,
      failed,
      throttledRetries,
      rejectedQueueFull,
      merged,
    } = this.counts;
    return {
      queued,
      backingOff,
      inFlight,
      upstreamInFlight,
      heldBatches: this.collector.heldBatches,
      heldRequests: this.collector.heldItems,
      dispatched,
      completed,
      failed,
      throttledRetries,
      rejectedQueueFull,
      mergedRequests: merged,
      draining: this.draining !== undefined,
    };
  }

  /**
   * The per-model quotas and throttle back-off of this batcher, for calls made beside it (streams, see QuotaStreamer):
   * they count against the same requests and tokens per minute.
   */
  limits(): StreamLimits {
    return {
      gate: this.runner.gate,
      pump: () => this.runner.pump(),
      retry: this.options.retry,
      random: this.options.random,
    };
  }

  /** How the request may share a call, if it may; a body the key cannot be computed for is sent alone. */
  private mergeOf(request: PlannedInvocation): BatchJob['merge'] {
    if (!this.options.embeddingMerge.enabled) return undefined;
    try {
      const texts = mergeableTexts(request);
      return texts && texts.length <= this.options.embeddingMerge.maxInputsPerCall
        ? { key: mergeKey(request), texts }
        : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Turns a flushed batch (or a request its lane does not hold) into upstream calls: mergeable embedding requests
   * share one, the rest get one each. Runs from a timer too: whatever goes wrong must reach the callers, not the process.
   */
  private dispatch(jobs: readonly BatchJob[]): void {
    try {
      this.dispatchUnits(jobs);
    } catch (error) {
      for (const job of jobs) this.settle(job, { error: asNovaCostError(error) });
    }
  }

  private dispatchUnits(jobs: readonly BatchJob[]): void {
    const units: BatchJob[][] = [];
    const open = new Map<string, { jobs: BatchJob[]; inputs: number }>();
    for (const job of jobs) {
      if (job.state !== 'queued') continue;
      if (!job.merge) {
        units.push([job]);
        continue;
      }
      let group = open.get(job.merge.key);
      if (!group || group.inputs + job.merge.texts.length > this.options.embeddingMerge.maxInputsPerCall) {
        group = { jobs: [], inputs: 0 };
        open.set(job.merge.key, group);
        units.push(group.jobs);
      }
      group.jobs.push(job);
      group.inputs += job.merge.texts.length;
    }
    for (const unitJobs of units) {
      const first = unitJobs[0]!.request;
      const unit: DispatchUnit = {
        jobs: unitJobs,
        priority: Math.max(...unitJobs.map((j) => j.priority)),
        tenant: first.tenantId,
        key: this.runner.gate.keyOf(first.modelId),
        reserved: 0,
        done: false,
      };
      for (const job of unitJobs) job.unit = unit;
      this.attempt(unit).catch((error: unknown) => this.finish(unit, unit.jobs, { error: asNovaCostError(error) }));
    }
  }

  private async attempt(unit: DispatchUnit): Promise<void> {
    const served = await this.runner.run(unit);
    if (served) this.deliver(unit, served.jobs, served.result);
  }

  private tenantWaiting(tenant: string, delta: number): void {
    const n = (this.perTenant.get(tenant) ?? 0) + delta;
    if (n > 0) this.perTenant.set(tenant, n);
    else this.perTenant.delete(tenant);
  }

  /** One upstream call for the jobs of the unit still waiting; built at call time so aborted ones are left out. */
  private async call(unit: DispatchUnit, signal: AbortSignal): Promise<Served> {
    const jobs = this.pending(unit);
    for (const job of jobs) {
      if (job.state !== 'queued') continue;
      job.state = 'in-flight';
      this.counts.queued -= 1;
      this.tenantWaiting(job.request.tenantId, -1);
      this.counts.inFlight += 1;
    }
    const request = jobs.length === 1 && jobs[0] ? jobs[0].request : mergeRequests(jobs.map((j) => j.request));
    this.counts.dispatched += 1;
    this.counts.upstreamInFlight += 1;
    try {
      return { jobs, result: await this.next.invoke(request, { signal }) };
    } finally {
      this.counts.upstreamInFlight -= 1;
    }
  }

  private deliver(unit: DispatchUnit, jobs: readonly BatchJob[], result: InvocationResult): void {
    if (jobs.length === 1) return this.finish(unit, jobs, { result });
    let parts: InvocationResult[];
    try {
      parts = splitResult(
        result,
        jobs.map((j) => j.request),
      );
    } catch (error) {
      return this.finish(unit, jobs, { error: asNovaCostError(error) });
    }
    this.counts.merged += jobs.length;
    unit.done = true;
    jobs.forEach((job, i) => this.settle(job, { result: parts[i] as InvocationResult }));
  }

  private finish(unit: DispatchUnit, jobs: readonly BatchJob[], outcome: Outcome): void {
    unit.done = true;
    for (const job of jobs) this.settle(job, outcome);
  }

  private pending(unit: DispatchUnit): BatchJob[] {
    return unit.jobs.filter((j) => j.state !== 'settled');
  }

  /** The single place a caller's promise settles; idempotent, so racing outcomes (abort vs result) are harmless. */
  private settle(job: BatchJob, outcome: Outcome): void {
    if (job.state === 'settled') return;
    this.counts[job.state === 'queued' ? 'queued' : 'inFlight'] -= 1;
    if (job.state === 'queued') this.tenantWaiting(job.request.tenantId, -1);
    job.state = 'settled';
    job.detach?.();
    this.live.delete(job);
    if ('result' in outcome) {
      this.counts.completed += 1;
      job.resolve(outcome.result);
    } else {
      this.counts.failed += 1;
      job.reject(outcome.error);
    }
    const unit = job.unit;
    if (unit && !unit.done && unit.jobs.every((j) => j.state === 'settled')) {
      unit.done = true;
      abortUnit(unit, 'error' in outcome ? outcome.error : undefined);
      this.runner.abandon(unit); // nobody waits for it any more
    }
    if (this.live.size === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private whenIdle(wake: () => void): void {
    if (this.live.size === 0) wake();
    else this.idleWaiters.push(wake);
  }
}

import { createHash } from 'node:crypto';
import type { BedrockClient } from '@aws-sdk/client-bedrock';
import type { S3Client } from '@aws-sdk/client-s3';
import type {
  AsyncListPage,
  AsyncListQuery,
  Clock,
  OnDemandReason,
  PendingCall,
  DeferredCall,
  DeferredCallQueue,
  DeferredCallState,
  DeferredOutcome,
  DeferredSettlement,
  InvocationResult,
  JsonObject,
  ModelInvoker,
} from '@nova-cost/domain';
import {
  NovaCostError,
  baseModelOf,
  decideGroup,
  groupKeyOf,
  inProgressState,
  invocationTypeOf,
  responseStopReason,
  responseUsage,
  systemClock,
} from '@nova-cost/domain';
import { BatchJobDriver } from './batch-job-driver';
import type { BatchJobQueueOptions, ResolvedQueueOptions } from './batch-jobs.options';
import { limitsOf, resolveQueueOptions } from './batch-jobs.options';
import { decodeOutputRecords, encodeInputRecords, inputLineBytes } from './jsonl-record.codec';
import { mapLimit } from './map-limit';
import { S3StateStore } from './s3-state-store';
import { parseS3Uri } from './s3-uri';
import type { StoredManifest, StoredResult } from './stored-state';
import { deferredCall, resultState, storedCall } from './stored-state';

export interface BatchJobQueueDeps {
  readonly s3: S3Client;
  readonly bedrock: BedrockClient;
  /** Answers calls that cannot wait for a job (the gateway's invoker chain: cache, batcher, Bedrock). */
  readonly onDemand: ModelInvoker;
}

/** A job being run: its manifest, its calls, and when to look at it next. */
interface JobRun {
  manifest: StoredManifest;
  readonly calls: Map<string, DeferredCall>;
  /** Calls whose outcome is kept already (a retry of the collection skips them). */
  readonly done: Set<string>;
  nextLookAt: number;
  pollDelayMs: number;
  lastStatus: string | undefined;
  /** Found after a restart without its job ARN: look the job up by name before creating it. */
  recovered: boolean;
  /** StopModelInvocationJob was sent (its calls' deadlines came near): the job ends as Stopped. */
  stopping: boolean;
}

/** Answered calls kept in memory (they never change), so GetAsyncInvoke and ListAsyncInvokes read S3 once for each. */
const RESULT_MEMORY = 10_000;
const ANSWERED_MEMORY = 200_000;
const NON_RETRYABLE = new Set(['validation', 'access-denied', 'not-found', 'unknown-price', 'budget-exceeded']);

/**
 * Deferrable calls answered by Bedrock batch inference jobs at half price. Calls wait in groups (region, model,
 * invocation type) until a group fills a job or its oldest call has waited `maxWaitMs` with at least the minimum
 * records; each job's calls are written to S3 as JSONL with a manifest, the job is created with a clientRequestToken
 * derived from the manifest, polled with back-off until it ends, and its output is read back by recordId (any order,
 * per-record errors to their own calls). Calls a job cannot answer by their deadline — a group still below the
 * minimum when a call's latest send time comes, a job that failed, expired or stopped short — are answered on demand.
 *
 * Every step is kept in S3 before the next one starts, so a process killed at any point resumes at start() without
 * losing a call or creating a job twice. One queue (one process) drives a prefix at a time.
 */
export class BatchJobQueue implements DeferredCallQueue {
  private readonly options: ResolvedQueueOptions;
  private readonly store: S3StateStore;
  private readonly driver: BatchJobDriver;
  private readonly clock: Clock;
  private readonly groups = new Map<string, Map<string, PendingCall>>();
  /** Every call accepted and not answered yet, wherever it is (waiting, in a job, being answered on demand). */
  private readonly open = new Map<string, DeferredCall>();
  private readonly runs = new Map<string, JobRun>();
  private readonly results = new Map<string, StoredResult>();
  /** start() has rebuilt `open` from S3: every call kept under the prefix and not answered is in it. */
  private started = false;
  /**
   * Every answered call (`tenant/id`), listed by start() and kept since, while there are at most ANSWERED_MEMORY of
   * them: with `open`, it tells whether an id exists without asking S3. Past that, S3 is asked.
   */
  private answered: Set<string> | undefined;
  private settle: DeferredSettlement | undefined;
  private timer: NodeJS.Timeout | undefined;
  private working: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(
    private readonly deps: BatchJobQueueDeps,
    options: BatchJobQueueOptions,
  ) {
    this.options = resolveQueueOptions(options);
    this.store = new S3StateStore(deps.s3, this.options.bucket, this.options.prefix);
    this.driver = new BatchJobDriver(deps.bedrock, this.options.roleArn, this.options.jobTimeoutHours);
    this.clock = options.clock ?? systemClock;
    this.onError = options.onError ?? (() => undefined);
  }

  private readonly onError: (error: unknown, context: string) => void;

  async start(settle: DeferredSettlement): Promise<void> {
    this.settle = settle;
    await this.recover();
    if (this.options.tickMs > 0) this.timer = setInterval(() => void this.tick(), this.options.tickMs).unref();
    this.kick();
  }

  /** Stops the periodic work and waits for the round in progress. What is kept in S3 is taken up by the next start. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.working;
  }

  async accept(call: DeferredCall): Promise<DeferredCallState> {
    const known = this.open.get(call.id);
    if (known) return inProgressState(known);
    if (call.outputS3Uri !== undefined) this.checkCallerOutput(call.outputS3Uri);
    await this.store.putCall(storedCall(call));
    const pending = this.wait(call);
    // A full job, or a call that no job could answer in time, is worth a round now rather than at the next tick.
    const group = this.groups.get(groupKeyOf(call))!;
    if (
      group.size >= limitsOf(this.options, baseModelOf(call)).maxRecords ||
      pending.latestSendAt < call.submittedAt.getTime()
    )
      this.kick();
    return inProgressState(call);
  }

  async acceptAnswered(call: DeferredCall, result: InvocationResult): Promise<DeferredCallState> {
    if (call.outputS3Uri !== undefined) this.checkCallerOutput(call.outputS3Uri);
    const kept = await this.keep(call, { ok: true, route: 'cache', result });
    return resultState(kept);
  }

  async find(tenantId: string, id: string): Promise<DeferredCallState | undefined> {
    const open = this.open.get(id);
    if (open) return open.request.tenantId === tenantId ? inProgressState(open) : undefined;
    // Once started, every call kept under the prefix is open here or answered: nothing else to ask S3 for.
    if (this.answered && !this.answered.has(`${tenantId}/${id}`)) return undefined;
    const result = await this.result(tenantId, id);
    if (result) return resultState(result);
    if (this.started) return undefined;
    const stored = await this.store.getCall(tenantId, id);
    return stored ? inProgressState(deferredCall(stored, await this.region())) : undefined;
  }

  async list(tenantId: string, query: AsyncListQuery): Promise<AsyncListPage> {
    const [answered, waiting] = await Promise.all([this.store.listResults(tenantId), this.store.listCalls(tenantId)]);
    const ids = new Set([
      ...answered.map((c) => c.id),
      ...waiting.map((c) => c.id),
      ...[...this.open.values()].filter((c) => c.request.tenantId === tenantId).map((c) => c.id),
    ]);
    const states = (await mapLimit([...ids], 16, (id) => this.find(tenantId, id))).filter(
      (s): s is DeferredCallState => s !== undefined,
    );
    const after = query.submittedAfter?.getTime() ?? -Infinity;
    const before = query.submittedBefore?.getTime() ?? Infinity;
    const sign = query.sortOrder === 'Ascending' ? 1 : -1;
    const matching = states
      .filter(
        (s) =>
          (query.statusEquals === undefined || s.status === query.statusEquals) &&
          s.submittedAt.getTime() > after &&
          s.submittedAt.getTime() < before,
      )
      .sort((a, b) => sign * (a.submittedAt.getTime() - b.submittedAt.getTime()) || (a.id < b.id ? -1 : 1));
    const start = query.nextToken === undefined ? 0 : Number.parseInt(query.nextToken, 10);
    if (!(start >= 0))
      throw new NovaCostError('validation', 'nextToken is not one this gateway gave', {
        details: { field: 'nextToken' },
      });
    const max = query.maxResults ?? 1000;
    const items = matching.slice(start, start + max);
    return { items, ...(start + max < matching.length ? { nextToken: String(start + max) } : {}) };
  }

  async output(tenantId: string, id: string): Promise<JsonObject | undefined> {
    return (await this.result(tenantId, id))?.answer?.body;
  }

  /** A caller's output location: an S3 URI without `.`/`..` segments, outside the queue's own prefix. */
  private checkCallerOutput(uri: string): void {
    const field = 'outputDataConfig.s3OutputDataConfig.s3Uri';
    const at = parseS3Uri(uri, field);
    if (at.bucket === this.options.bucket && `${at.key}/`.startsWith(this.options.prefix))
      throw new NovaCostError(
        'validation',
        `${field} must not be under the gateway's own s3://${at.bucket}/${this.options.prefix}`,
        {
          details: { field },
        },
      );
  }

  /** Calls waiting for a job, and jobs running: for metrics. */
  stats(): { waiting: number; jobs: number; open: number } {
    let waiting = 0;
    for (const g of this.groups.values()) waiting += g.size;
    return { waiting, jobs: this.runs.size, open: this.open.size };
  }

  /**
   * One round of work, or the round in progress (then one more after it): sends due groups, creates jobs, polls the
   * jobs due a look, reads finished ones, answers on demand what cannot wait. Resolves when done; never rejects
   * (failures go to onError and are tried again next round).
   */
  tick(): Promise<void> {
    if (this.working) {
      this.again = true;
      return this.working;
    }
    this.working = (async () => {
      do {
        this.again = false;
        try {
          await this.round();
        } catch (error) {
          this.onError(error, 'batch queue round');
        }
      } while (this.again && !this.closed);
    })().finally(() => (this.working = undefined));
    return this.working;
  }

  private kick(): void {
    if (!this.closed) void this.tick();
  }

  private async round(): Promise<void> {
    const now = this.clock.now().getTime();
    for (const run of [...this.runs.values()]) {
      if (run.nextLookAt > now) continue;
      try {
        if (!run.manifest.jobArn) await this.createJob(run, now);
        else await this.poll(run, now);
      } catch (error) {
        this.onError(error, `batch ${run.manifest.batchId}`);
        run.nextLookAt = now + run.pollDelayMs;
        run.pollDelayMs = Math.min(run.pollDelayMs * 2, this.options.pollMaxMs);
      }
    }
    for (const [key, group] of [...this.groups]) {
      const first = group.values().next().value as PendingCall | undefined;
      if (!first) {
        this.groups.delete(key);
        continue;
      }
      const limits = {
        ...limitsOf(this.options, baseModelOf(first.call)),
        maxInputBytes: this.options.maxInputBytes,
        maxWaitMs: this.options.maxWaitMs,
      };
      const decision = decideGroup([...group.values()], now, limits);
      for (const calls of decision.jobs) {
        try {
          await this.send(calls, now);
        } catch (error) {
          this.onError(error, `sending a batch of ${calls.length} calls`);
        }
      }
      if (decision.onDemand.length > 0)
        await this.answerOnDemand(decision.onDemand.map((d) => ({ call: d.pending.call, reason: d.reason })));
    }
  }

  /** Keeps a job's input and manifest, then creates the job. */
  private async send(calls: readonly PendingCall[], now: number): Promise<void> {
    const ids = calls.map((p) => p.call.id).sort();
    const batchId = createHash('sha256').update(ids.join(',')).digest('hex').slice(0, 24);
    const first = calls[0]!.call;
    const manifest: StoredManifest = {
      v: 1,
      batchId,
      modelId: first.request.modelId,
      region: first.request.region,
      invocationType: invocationTypeOf(first),
      jobName: `nova-cost-${batchId}`,
      clientRequestToken: `nova-cost-${batchId}`,
      createdAt: new Date(now).toISOString(),
      records: calls.map((p) => ({ recordId: p.call.id, tenantId: p.call.request.tenantId })),
    };
    await this.store.putInput(
      batchId,
      encodeInputRecords(calls.map((p) => ({ recordId: p.call.id, modelInput: p.call.request.body }))),
    );
    await this.store.putManifest(manifest);
    const group = this.groups.get(groupKeyOf(first));
    for (const p of calls) group?.delete(p.call.id);
    const run: JobRun = {
      manifest,
      calls: new Map(calls.map((p) => [p.call.id, p.call])),
      done: new Set(),
      nextLookAt: now,
      pollDelayMs: this.options.pollMinMs,
      lastStatus: undefined,
      recovered: false,
      stopping: false,
    };
    this.runs.set(batchId, run);
    try {
      await this.createJob(run, now);
    } catch (error) {
      this.onError(error, `creating the job of batch ${batchId}`);
      run.nextLookAt = now + run.pollDelayMs;
    }
  }

  private async createJob(run: JobRun, now: number): Promise<void> {
    const { manifest } = run;
    let jobArn: string | undefined;
    try {
      if (run.recovered) jobArn = await this.driver.find(manifest.jobName);
      jobArn ??= await this.driver.create(
        manifest,
        `s3://${this.options.bucket}/${this.options.prefix}batches/${manifest.batchId}/input/records.jsonl`,
        this.store.outputUri(manifest.batchId),
      );
    } catch (error) {
      if (NovaCostError.is(error) && NON_RETRYABLE.has(error.kind)) {
        // Bedrock refuses this job (a model without batch inference, a role it cannot assume): no retry will help.
        this.onError(error, `batch ${manifest.batchId} refused; answering its calls on demand`);
        return this.finishRun(run, [...run.calls.values()], `job-refused`);
      }
      throw error;
    }
    run.manifest = { ...manifest, jobArn };
    run.recovered = false;
    await this.store.putManifest(run.manifest);
    run.nextLookAt = Math.min(now + this.options.pollMinMs, this.stopAt(run));
  }

  private async poll(run: JobRun, now: number): Promise<void> {
    const state = await this.driver.state(run.manifest.jobArn!);
    if (state.finished) return this.collect(run, state.status);
    if (!run.stopping && now >= this.stopAt(run)) {
      // Waiting longer would miss a deadline: keep what the job answered so far, answer the rest on demand.
      await this.driver.stop(run.manifest.jobArn!);
      run.stopping = true;
      run.pollDelayMs = this.options.pollMinMs;
      run.nextLookAt = now + run.pollDelayMs;
      return;
    }
    run.pollDelayMs =
      state.status === run.lastStatus ? Math.min(run.pollDelayMs * 2, this.options.pollMaxMs) : this.options.pollMinMs;
    run.lastStatus = state.status;
    run.nextLookAt = now + run.pollDelayMs;
    if (!run.stopping) run.nextLookAt = Math.min(run.nextLookAt, this.stopAt(run));
  }

  /** When a running job must be stopped: `stopLeadMs` before the earliest deadline of the calls it has not answered. */
  private stopAt(run: JobRun): number {
    let earliest = Infinity;
    for (const call of run.calls.values())
      if (!run.done.has(call.id)) earliest = Math.min(earliest, call.deadline.getTime());
    return earliest - this.options.stopLeadMs;
  }

  /** Reads a finished job's output: each record's answer or error goes to its own call; calls without a line go on demand. */
  private async collect(run: JobRun, status: string): Promise<void> {
    const lines = new Map<string, ReturnType<typeof decodeOutputRecords>['records'][number]>();
    for (const text of await this.store.readOutputs(run.manifest.batchId)) {
      const { records, problems } = decodeOutputRecords(text);
      for (const r of records) lines.set(r.recordId, r);
      if (problems.length > 0)
        this.onError(new Error(problems.slice(0, 5).join('; ')), `output of batch ${run.manifest.batchId}`);
    }
    const unanswered: DeferredCall[] = [];
    const answered: [DeferredCall, DeferredOutcome][] = [];
    for (const call of run.calls.values()) {
      if (run.done.has(call.id)) continue;
      const line = lines.get(call.id);
      if (!line) unanswered.push(call);
      else if ('modelOutput' in line)
        answered.push([call, { ok: true, route: 'batch', result: batchResult(call, line.modelOutput) }]);
      else
        answered.push([
          call,
          {
            ok: false,
            route: 'batch',
            message: `the batch job answered this record with error ${line.error.code}: ${line.error.message}`,
          },
        ]);
    }
    await mapLimit(answered, 16, async ([call, outcome]) => {
      await this.end(call, outcome);
      run.done.add(call.id);
    });
    await this.finishRun(run, unanswered, `job-${status}`);
  }

  /**
   * Answers a job's remaining calls on demand, then forgets the job. A call that could not be answered yet waits in
   * its group again (its call document is kept), so the manifest is no longer needed for it.
   */
  private async finishRun(run: JobRun, unanswered: readonly DeferredCall[], reason: string): Promise<void> {
    await this.answerOnDemand(unanswered.map((call) => ({ call, reason })));
    await this.store.deleteManifest(run.manifest.batchId);
    this.runs.delete(run.manifest.batchId);
  }

  private async answerOnDemand(
    items: readonly { call: DeferredCall; reason: OnDemandReason | string }[],
  ): Promise<void> {
    for (const { call } of items) this.groups.get(groupKeyOf(call))?.delete(call.id);
    await mapLimit(items, this.options.onDemandConcurrency, async ({ call, reason }) => {
      let outcome: DeferredOutcome;
      try {
        outcome = { ok: true, route: 'on-demand', reason, result: await this.deps.onDemand.invoke(call.request) };
      } catch (error) {
        const e = NovaCostError.is(error) ? error : undefined;
        if (e?.retryable && this.clock.now() < call.deadline) {
          // Throttled or unavailable before the deadline: the call waits for the next round.
          this.onError(error, `answering ${call.id} on demand`);
          this.wait(call);
          return;
        }
        outcome = {
          ok: false,
          route: 'on-demand',
          reason,
          message: error instanceof Error ? error.message : String(error),
        };
      }
      try {
        await this.end(call, outcome);
      } catch (error) {
        this.onError(error, `keeping the answer of ${call.id}`);
        this.wait(call);
      }
    });
  }

  /** Keeps a call's outcome (its result document, then the caller's output), settles it, then forgets the call. */
  private async end(call: DeferredCall, outcome: DeferredOutcome): Promise<void> {
    await this.keep(call, outcome);
    await this.settle?.(call, outcome);
    await this.store.deleteCall(call.request.tenantId, call.id);
    this.open.delete(call.id);
  }

  private async keep(call: DeferredCall, outcome: DeferredOutcome): Promise<StoredResult> {
    let failureMessage = outcome.ok ? undefined : outcome.message;
    if (outcome.ok && call.outputS3Uri) {
      try {
        await this.store.putCallerOutput(call.outputS3Uri, call.id, outcome.result.body);
      } catch (error) {
        failureMessage = `the answer could not be written to ${call.outputS3Uri}: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    const r = outcome.ok ? outcome.result : undefined;
    const result: StoredResult = {
      v: 1,
      id: call.id,
      tenantId: call.request.tenantId,
      modelId: r?.modelId ?? call.request.modelId,
      clientRequestToken: call.clientRequestToken,
      fingerprint: call.fingerprint,
      submittedAt: call.submittedAt.toISOString(),
      endedAt: this.clock.now().toISOString(),
      status: failureMessage === undefined ? 'Completed' : 'Failed',
      route: outcome.route,
      ...(outcome.reason ? { reason: outcome.reason } : {}),
      ...(failureMessage === undefined ? {} : { failureMessage }),
      ...(call.outputS3Uri ? { outputS3Uri: call.outputS3Uri } : {}),
      ...(r
        ? {
            answer: {
              body: r.body,
              usage: r.usage,
              modelId: r.modelId,
              ...(r.stopReason ? { stopReason: r.stopReason } : {}),
            },
          }
        : {}),
    };
    await this.store.putResult(result);
    this.answered?.add(`${result.tenantId}/${result.id}`);
    if ((this.answered?.size ?? 0) > ANSWERED_MEMORY) this.answered = undefined;
    this.remember(result);
    return result;
  }

  /** Puts a call (back) in its group to wait for a job. */
  private wait(call: DeferredCall): PendingCall {
    const pending: PendingCall = {
      call,
      bytes: inputLineBytes({ recordId: call.id, modelInput: call.request.body }),
      latestSendAt: call.deadline.getTime() - this.options.jobTurnaroundMs,
    };
    const key = groupKeyOf(call);
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = new Map()));
    group.set(call.id, pending);
    this.open.set(call.id, call);
    return pending;
  }

  /** Rebuilds the work in progress from S3: unfinished jobs from their manifests, waiting calls from theirs. */
  private async recover(): Promise<void> {
    const now = this.clock.now().getTime();
    const region = await this.region();
    const answered = new Set((await this.store.listResults()).map((r) => `${r.tenantId}/${r.id}`));
    const claimed = new Set<string>();
    for (const batchId of await this.store.listManifests()) {
      const manifest = await this.store.getManifest(batchId);
      if (!manifest) continue;
      const calls = await mapLimit(manifest.records, 16, async (r) => {
        claimed.add(r.recordId);
        const stored = await this.store.getCall(r.tenantId, r.recordId);
        return stored ? deferredCall(stored, region) : undefined; // gone: answered before the restart
      });
      const run: JobRun = {
        manifest,
        calls: new Map(),
        done: new Set(),
        nextLookAt: now,
        pollDelayMs: this.options.pollMinMs,
        lastStatus: undefined,
        recovered: !manifest.jobArn,
        stopping: false,
      };
      for (const call of calls) {
        if (!call) continue;
        run.calls.set(call.id, call);
        this.open.set(call.id, call);
      }
      this.runs.set(batchId, run);
    }
    const waiting = (await this.store.listCalls()).filter((c) => !claimed.has(c.id));
    await mapLimit(waiting, 16, async ({ tenantId, id }) => {
      const stored = await this.store.getCall(tenantId, id);
      if (!stored) return;
      // Answered on demand just before the restart, its call document not yet deleted.
      if (answered.has(`${tenantId}/${id}`)) return this.store.deleteCall(tenantId, id);
      this.wait(deferredCall(stored, region));
    });
    this.answered = answered.size > ANSWERED_MEMORY ? undefined : answered;
    this.started = true;
  }

  /** The region the queue's Bedrock client runs jobs in: that of a call kept without one. */
  private region(): Promise<string> {
    return this.deps.bedrock.config.region();
  }

  private async result(tenantId: string, id: string): Promise<StoredResult | undefined> {
    const known = this.results.get(id);
    if (known) return known.tenantId === tenantId ? known : undefined;
    const stored = await this.store.getResult(tenantId, id);
    if (stored) this.remember(stored);
    return stored;
  }

  private remember(result: StoredResult): void {
    this.results.delete(result.id);
    this.results.set(result.id, result);
    if (this.results.size > RESULT_MEMORY) this.results.delete(this.results.keys().next().value!);
  }
}

/** A batch record's answer as an invocation result, billed at the batch price. */
function batchResult(call: DeferredCall, body: JsonObject): InvocationResult {
  const stopReason = responseStopReason(body);
  return {
    body,
    usage: responseUsage(call.request.operation, body),
    latencyMs: 0,
    cache: 'bypass',
    modelId: call.request.modelId,
    billing: 'batch',
    ...(stopReason ? { stopReason } : {}),
  };
}

import type { DeferredCall } from './deferred-call';
import { resolveModelId } from '../models/model-catalog';

/** A call waiting for a job. */
export interface PendingCall {
  readonly call: DeferredCall;
  /** Bytes its line adds to a job's input file. */
  readonly bytes: number;
  /** The latest time (ms) a job holding it may be sent and still finish by its deadline. */
  readonly latestSendAt: number;
}

/** Why a call is answered on demand instead of in a batch job. */
export type OnDemandReason = 'deadline' | 'below-minimum-records' | 'record-too-large';

export interface GroupLimits {
  readonly minRecords: number;
  readonly maxRecords: number;
  readonly maxInputBytes: number;
  readonly maxWaitMs: number;
}

/**
 * The batch job queue's defaults: Bedrock's quotas for most models (at least 100 records a job, at most 50,000 and
 * 1 GiB of input), a group sent once its oldest call has waited 15 minutes, and a job taken to need 6 hours start to
 * finish (a call goes on demand when no job sent by its deadline less that could answer it).
 */
export const BATCH_JOB_DEFAULTS: GroupLimits & { readonly jobTurnaroundMs: number } = {
  minRecords: 100,
  maxRecords: 50_000,
  maxInputBytes: 1024 ** 3,
  maxWaitMs: 900_000,
  jobTurnaroundMs: 6 * 3_600_000,
};

export interface GroupDecision {
  /** Jobs to send now, each with its calls. */
  readonly jobs: PendingCall[][];
  /** Calls to answer on demand now. */
  readonly onDemand: { readonly pending: PendingCall; readonly reason: OnDemandReason }[];
}

/** Calls batched together share a region, a model and an invocation type (Converse or InvokeModel bodies). */
export function groupKeyOf(call: DeferredCall): string {
  return `${call.request.region}|${call.request.modelId}|${invocationTypeOf(call)}`;
}

export function invocationTypeOf(call: DeferredCall): 'Converse' | 'InvokeModel' {
  return call.request.operation === 'converse' ? 'Converse' : 'InvokeModel';
}

/** The base model a group's calls go to, for its quotas. */
export function baseModelOf(call: DeferredCall): string {
  return resolveModelId(call.request.modelId).baseModelId;
}

/**
 * What to do with one group's waiting calls at `now`, most urgent first:
 * - a call whose deadline no job could meet even when it arrived goes on demand ('deadline');
 * - every full job (the record quota or the input size reached) is sent;
 * - what is left is sent as one job once it has the minimum records and either its oldest call has waited
 *   `maxWaitMs` or some call's latest send time has come;
 * - a call whose latest send time has come in a group still below the minimum goes on demand ('below-minimum-records').
 */
export function decideGroup(calls: readonly PendingCall[], now: number, limits: GroupLimits): GroupDecision {
  const onDemand: { pending: PendingCall; reason: OnDemandReason }[] = [];
  const jobs: PendingCall[][] = [];
  const waiting = [...calls].sort(
    (a, b) =>
      a.latestSendAt - b.latestSendAt ||
      a.call.submittedAt.getTime() - b.call.submittedAt.getTime() ||
      (a.call.id < b.call.id ? -1 : 1),
  );
  let rest: PendingCall[] = [];
  for (const p of waiting) {
    if (p.latestSendAt < p.call.submittedAt.getTime()) onDemand.push({ pending: p, reason: 'deadline' });
    else if (p.bytes > limits.maxInputBytes) onDemand.push({ pending: p, reason: 'record-too-large' });
    else rest.push(p);
  }
  // Full jobs first: by records, or by bytes (then it goes only if it has the minimum, else it waits for more).
  for (;;) {
    const chunk = fullChunk(rest, limits);
    if (!chunk) break;
    jobs.push(chunk);
    rest = rest.slice(chunk.length);
  }
  if (rest.length === 0) return { jobs, onDemand };
  const oldest = Math.min(...rest.map((p) => p.call.submittedAt.getTime()));
  const due = rest.filter((p) => p.latestSendAt <= now);
  if (rest.length >= limits.minRecords && (due.length > 0 || now - oldest >= limits.maxWaitMs)) jobs.push(rest);
  else if (rest.length < limits.minRecords)
    for (const p of due) onDemand.push({ pending: p, reason: 'below-minimum-records' });
  return { jobs, onDemand };
}

/** The first calls that fill a job (records or bytes), when there are enough of them; else undefined. */
function fullChunk(calls: readonly PendingCall[], limits: GroupLimits): PendingCall[] | undefined {
  let bytes = 0;
  for (let i = 0; i < calls.length; i++) {
    bytes += calls[i]!.bytes;
    if (bytes > limits.maxInputBytes) return i >= limits.minRecords ? calls.slice(0, i) : undefined;
    if (i + 1 === limits.maxRecords) return calls.slice(0, i + 1);
  }
  return undefined;
}

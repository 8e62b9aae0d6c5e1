import type {
  CachePointPlacement,
  DeferredCall,
  DeferredCallState,
  DeferredRoute,
  InvocationRequest,
  JsonObject,
  Lane,
  PlannedInvocation,
  TokenUsage,
} from '@nova-cost/domain';
import { requestFeatures, tierPlanOf } from '@nova-cost/domain';

// The JSON documents the queue keeps in S3. Each carries a version, so a later format can read an older one.

/** calls/<tenant>/<id>.json: an accepted call, until it is answered. */
export interface StoredCall {
  readonly v: 2;
  readonly id: string;
  readonly clientRequestToken: string;
  readonly fingerprint: string;
  readonly submittedAt: string;
  readonly deadline: string;
  /** The planned call; `request.requested` is what the caller sent. */
  readonly request: PlannedInvocation;
  readonly routedBy?: string;
  readonly outputS3Uri?: string;
}

/**
 * calls/<tenant>/<id>.json as builds before v2 wrote it: the planned call in the caller's request shape (the policy's
 * decisions as optional fields beside the caller's), and the model the caller asked for beside it.
 */
export interface StoredCallV1 {
  readonly v: 1;
  readonly id: string;
  readonly clientRequestToken: string;
  readonly fingerprint: string;
  readonly submittedAt: string;
  readonly deadline: string;
  readonly request: InvocationRequest & {
    /** Absent: not cacheable. */
    readonly cache?: { readonly ttlSeconds: number };
    readonly lane?: Lane;
    /** The tier the policy chose for a caller that named none. */
    readonly serviceTier?: string;
    readonly cachePoints?: readonly CachePointPlacement[];
  };
  readonly requestedModelId: string;
  readonly routedBy?: string;
  readonly outputS3Uri?: string;
}

/** Any calls/ document a build of the queue may have written. */
export type KeptCall = StoredCall | StoredCallV1;

/** The answer of a completed call, as kept for GetAsyncInvoke's output. */
export interface StoredAnswer {
  readonly body: JsonObject;
  readonly usage: TokenUsage;
  readonly modelId: string;
  readonly stopReason?: string;
}

/** results/<tenant>/<id>.json: how a call ended. Written once; the call's calls/ document is deleted after it. */
export interface StoredResult {
  readonly v: 1;
  readonly id: string;
  readonly tenantId: string;
  readonly modelId: string;
  readonly clientRequestToken: string;
  readonly fingerprint: string;
  readonly submittedAt: string;
  readonly endedAt: string;
  readonly status: 'Completed' | 'Failed';
  readonly route: DeferredRoute;
  readonly reason?: string;
  readonly failureMessage?: string;
  readonly outputS3Uri?: string;
  readonly answer?: StoredAnswer;
}

/** batches/<batch id>/manifest.json: the calls of one job, from sealing until every one of them is answered. */
export interface StoredManifest {
  readonly v: 1;
  readonly batchId: string;
  readonly modelId: string;
  readonly region: string;
  readonly invocationType: 'Converse' | 'InvokeModel';
  readonly jobName: string;
  /** Derived from the batch id, itself derived from the calls it holds: creating the job again finds the same job. */
  readonly clientRequestToken: string;
  readonly createdAt: string;
  readonly records: readonly { readonly recordId: string; readonly tenantId: string }[];
  readonly jobArn?: string;
}

export function storedCall(call: DeferredCall): StoredCall {
  return {
    v: 2,
    id: call.id,
    clientRequestToken: call.clientRequestToken,
    fingerprint: call.fingerprint,
    submittedAt: call.submittedAt.toISOString(),
    deadline: call.deadline.toISOString(),
    request: call.request,
    ...(call.routedBy ? { routedBy: call.routedBy } : {}),
    ...(call.outputS3Uri ? { outputS3Uri: call.outputS3Uri } : {}),
  };
}

/**
 * The call a calls/ document keeps, of either version. A v1 call is lifted into the planned call it stood for; its
 * region, which v1 builds always wrote, falls back to `region` (the queue's).
 */
export function deferredCall(stored: KeptCall, region: string): DeferredCall {
  return {
    id: stored.id,
    clientRequestToken: stored.clientRequestToken,
    fingerprint: stored.fingerprint,
    submittedAt: new Date(stored.submittedAt),
    deadline: new Date(stored.deadline),
    request: stored.v === 1 ? plannedFromV1(stored, region) : stored.request,
    ...(stored.routedBy ? { routedBy: stored.routedBy } : {}),
    ...(stored.outputS3Uri ? { outputS3Uri: stored.outputS3Uri } : {}),
  };
}

function plannedFromV1(stored: StoredCallV1, region: string): PlannedInvocation {
  const { cache, lane, serviceTier, cachePoints, region: plannedRegion, ...sent } = stored.request;
  const requested: InvocationRequest = { ...sent, modelId: stored.requestedModelId };
  const tier = tierPlanOf(sent, serviceTier);
  return {
    tenantId: sent.tenantId,
    modelId: sent.modelId,
    operation: sent.operation,
    body: sent.body,
    ...(sent.parameters === undefined ? {} : { parameters: sent.parameters }),
    region: plannedRegion ?? region,
    lane: lane ?? 'deferrable',
    cache: cache ?? 'none',
    tier,
    estimatedInputTokens: requestFeatures(sent).estimatedInputTokens,
    cachePoints: cachePoints ?? [],
    fallbacks: [],
    requested,
  };
}

export function resultState(r: StoredResult): DeferredCallState {
  const ended = new Date(r.endedAt);
  return {
    id: r.id,
    tenantId: r.tenantId,
    modelId: r.modelId,
    clientRequestToken: r.clientRequestToken,
    fingerprint: r.fingerprint,
    status: r.status,
    submittedAt: new Date(r.submittedAt),
    lastModifiedAt: ended,
    endedAt: ended,
    route: r.route,
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.failureMessage ? { failureMessage: r.failureMessage } : {}),
    ...(r.outputS3Uri ? { outputS3Uri: r.outputS3Uri } : {}),
  };
}

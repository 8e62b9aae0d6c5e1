import type { JsonObject } from '../json';
import type { InvocationRequest, InvocationResult, PlannedInvocation } from '../invocation/invocation.types';

/** Bedrock's async invocation states. */
export type AsyncInvocationStatus = 'InProgress' | 'Completed' | 'Failed';

/** How a deferred call was answered: in a batch job, on demand (its group could not be batched in time), or from the cache. */
export type DeferredRoute = 'batch' | 'on-demand' | 'cache';

/** A deferrable call as the caller submitted it (StartAsyncInvoke). */
export interface AsyncSubmission {
  readonly tenantId: string;
  readonly modelId: string;
  /** 'converse' for a Converse body, 'invoke' for the model's own InvokeModel body (or an embedding input). */
  readonly operation: InvocationRequest['operation'];
  readonly body: JsonObject;
  /** The same token again (from the same tenant) answers the invocation it started. @default a fresh one */
  readonly clientRequestToken?: string;
  /** Where the caller wants the answer: `<uri>/<invocation id>/output.json`. @default kept by the gateway only */
  readonly outputS3Uri?: string;
  /** The latest the caller wants the answer by. @default the use case's default deadline after submission */
  readonly deadline?: Date;
  readonly hints?: InvocationRequest['hints'];
}

/** A deferrable call as the queue keeps it, planned by the cost policy. */
export interface DeferredCall {
  /** The invocation id: lower-case letters and digits, derived from the tenant and its clientRequestToken. */
  readonly id: string;
  readonly clientRequestToken: string;
  /** Identifies the submission, so a token reused for another request is refused. */
  readonly fingerprint: string;
  readonly submittedAt: Date;
  readonly deadline: Date;
  /** The planned call: model (possibly routed), region, cache TTL, lane 'deferrable'; `request.requested` as sent. */
  readonly request: PlannedInvocation;
  readonly routedBy?: string;
  readonly outputS3Uri?: string;
}

/** Where a deferred call stands. */
export interface DeferredCallState {
  readonly id: string;
  readonly tenantId: string;
  /** The model that answers (or answered) it. */
  readonly modelId: string;
  readonly clientRequestToken: string;
  readonly fingerprint: string;
  readonly status: AsyncInvocationStatus;
  readonly submittedAt: Date;
  readonly lastModifiedAt: Date;
  readonly endedAt?: Date;
  readonly outputS3Uri?: string;
  /** How it was answered, once it was. */
  readonly route?: DeferredRoute;
  /** Why it went on demand rather than in a batch job ('deadline', 'below-minimum-records', 'job-Failed'…). */
  readonly reason?: string;
  readonly failureMessage?: string;
}

/** How a deferred call ended. */
export type DeferredOutcome =
  | { readonly ok: true; readonly route: DeferredRoute; readonly result: InvocationResult; readonly reason?: string }
  | { readonly ok: false; readonly route: DeferredRoute; readonly message: string; readonly reason?: string };

export interface AsyncListQuery {
  readonly statusEquals?: AsyncInvocationStatus;
  readonly submittedAfter?: Date;
  readonly submittedBefore?: Date;
  /** @default 'Descending' (newest first) */
  readonly sortOrder?: 'Ascending' | 'Descending';
  /** @default 1000 */
  readonly maxResults?: number;
  readonly nextToken?: string;
}

export interface AsyncListPage {
  readonly items: readonly DeferredCallState[];
  readonly nextToken?: string;
}

/** The state of a call not answered yet. */
export function inProgressState(call: DeferredCall, lastModifiedAt: Date = call.submittedAt): DeferredCallState {
  return {
    id: call.id,
    tenantId: call.request.tenantId,
    modelId: call.request.modelId,
    clientRequestToken: call.clientRequestToken,
    fingerprint: call.fingerprint,
    status: 'InProgress',
    submittedAt: call.submittedAt,
    lastModifiedAt,
    ...(call.outputS3Uri ? { outputS3Uri: call.outputS3Uri } : {}),
  };
}

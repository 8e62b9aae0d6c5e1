import type { InvocationRequest, InvocationResult } from '@nova-cost/domain';

/** One caller's request, from acceptance until its promise settles. */
export interface BatchJob {
  readonly request: InvocationRequest;
  /** Set when the request may share an upstream call with others of the same key. */
  readonly merge: { readonly key: string; readonly texts: readonly string[] } | undefined;
  /** p-queue priority: interactive before deferrable. */
  readonly priority: number;
  readonly resolve: (result: InvocationResult) => void;
  readonly reject: (error: unknown) => void;
  /** queued: held, waiting for quota or a slot. in-flight: its upstream call has started (retries included). */
  state: 'queued' | 'in-flight' | 'settled';
  /** Removes the caller's abort listener. */
  detach?: () => void;
  unit?: DispatchUnit;
}

/** What one upstream call serves: a single request, or several merged embedding requests. */
export interface DispatchUnit {
  readonly jobs: readonly BatchJob[];
  readonly priority: number;
  /** Aborted when nobody waits for the unit any more (callers aborted, drain deadline), so its call stops. */
  readonly controller: AbortController;
  done: boolean;
}

export type Outcome = { readonly result: InvocationResult } | { readonly error: unknown };

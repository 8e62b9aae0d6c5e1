import type { PlannedInvocation, InvocationResult } from '@nova-cost/domain';

/** One caller's request, from acceptance until its promise settles. */
export interface BatchJob {
  readonly request: PlannedInvocation;
  /** Set when the request may share an upstream call with others of the same key. */
  readonly merge: { readonly key: string; readonly texts: readonly string[] } | undefined;
  /** Scheduler priority: interactive before deferrable. */
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
  /** Scheduler priority: interactive before deferrable. */
  readonly priority: number;
  /** The tenant whose fair share the call uses (merged requests share a tenant). */
  readonly tenant: string;
  /** The limits the call counts against (see CallGate.keyOf). */
  readonly key: string;
  /** Quota tokens taken for the attempt waiting to start or running. */
  reserved: number;
  /** When its current attempt was let start (the batcher's clock). */
  startedAt?: number;
  /**
   * Aborted when nobody waits for the unit any more (callers aborted, drain deadline), so its call stops. Made on
   * first use (see BatchingInvoker's unitSignal): a queued unit holds none, which keeps a long queue small.
   */
  controller?: AbortController;
  done: boolean;
}

export type Outcome = { readonly result: InvocationResult } | { readonly error: unknown };

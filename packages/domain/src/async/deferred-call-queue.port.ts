import type { InvocationResult } from '../invocation/invocation.types';
import type { JsonObject } from '../json';
import type { AsyncListPage, AsyncListQuery, DeferredCall, DeferredCallState, DeferredOutcome } from './deferred-call';

/** Told of each deferred call once its outcome is durable: prices it, records it, settles its budget. */
export type DeferredSettlement = (call: DeferredCall, outcome: DeferredOutcome) => Promise<void>;

/**
 * Where deferrable calls wait for a cheaper way to be answered (a batch job), durably: a call accepted is answered
 * once, whatever restarts in between, and its outcome is handed to the settlement once it is kept.
 */
export interface DeferredCallQueue {
  /** Keeps the call; resolves once it is durable. A call whose id is kept already is not kept twice. */
  accept(call: DeferredCall): Promise<DeferredCallState>;
  /** Keeps a call already answered (from the cache): completed at once, its settlement made by the caller. */
  acceptAnswered(call: DeferredCall, result: InvocationResult): Promise<DeferredCallState>;
  /** The call's state; undefined when the tenant has no call with that id. */
  find(tenantId: string, id: string): Promise<DeferredCallState | undefined>;
  list(tenantId: string, query: AsyncListQuery): Promise<AsyncListPage>;
  /** The answer body of a completed call; undefined when there is none (yet). */
  output(tenantId: string, id: string): Promise<JsonObject | undefined>;
  /** Starts answering calls, recovering those kept before a restart; outcomes go to `settle`. */
  start(settle: DeferredSettlement): Promise<void>;
}

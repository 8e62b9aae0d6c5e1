import type { Lane, Operation } from '../invocation/invocation.types';

/** Which calls a policy rule is for: every list given must name the call's. An empty match is every call. */
export interface CallMatch {
  /** Tenant ids. */
  readonly tenants?: readonly string[];
  /** Base model ids, as the caller asked for them (before any route). */
  readonly models?: readonly string[];
  /** Operations (the gateway's routes): converse, converse-stream, invoke, invoke-with-response-stream. */
  readonly operations?: readonly Operation[];
  /** Lanes: interactive, or deferrable (the caller's hint, or the policy's past a soft limit). */
  readonly lanes?: readonly Lane[];
}

/** The facts of a call a CallMatch is judged on. */
export interface MatchedCall {
  readonly tenantId: string;
  /** Base model id, or undefined for a model outside the catalog (which no `models` list names). */
  readonly modelId: string | undefined;
  readonly operation: Operation;
  readonly lane: Lane;
}

export function matchesCall(match: CallMatch | undefined, call: MatchedCall): boolean {
  const m = match ?? {};
  if (m.tenants && !m.tenants.includes(call.tenantId)) return false;
  if (m.operations && !m.operations.includes(call.operation)) return false;
  if (m.lanes && !m.lanes.includes(call.lane)) return false;
  return !m.models || (call.modelId !== undefined && m.models.includes(call.modelId));
}

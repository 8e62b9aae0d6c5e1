import type { InvocationResult } from '../invocation/invocation.types';
import { isBilled } from '../invocation/invocation.types';

/**
 * How an answered call was billed, as the ledger keeps it: 'batch' (a batch inference job), the on-demand service tier
 * that served it ('standard' — Bedrock's default tier, echoed as 'default' —, 'flex', 'priority', 'reserved'), or
 * 'none' when no model call was billed for it (an answer from the cache, or coalesced onto another caller's call).
 */
export function billingOf(result: Pick<InvocationResult, 'cache' | 'billing' | 'serviceTier'>): string {
  if (!isBilled(result)) return 'none';
  if (result.billing === 'batch') return 'batch';
  const tier = result.serviceTier;
  return tier === undefined || tier === 'default' || tier === 'standard' ? 'standard' : tier;
}

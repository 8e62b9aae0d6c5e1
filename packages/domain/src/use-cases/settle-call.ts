import type { Clock } from '../clock.port';
import { systemClock } from '../clock.port';
import type { SpendLedger } from '../ledger/spend-ledger.port';
import type { InvocationPlan } from '../policy/cost-policy.port';
import type { PricingCatalog } from '../pricing/pricing-catalog.port';
import type { CallPrice, PricedAnswer } from './price-call';
import { priceCall, spendEntryOf } from './price-call';

export interface CallCost extends CallPrice {
  readonly savedUsd: number;
}

export interface SettleDeps {
  readonly pricing: PricingCatalog;
  readonly ledger: SpendLedger;
  /** @default the system clock */
  readonly clock?: Clock;
  /** @default ignore */
  readonly onLedgerError?: (error: unknown) => void;
}

/**
 * After a call: prices what it came to (see priceCall), settles its budget hold with what it cost, and records it in
 * the spend ledger (a ledger that refuses is told to onLedgerError; the caller keeps its answer).
 */
export async function settleCall(deps: SettleDeps, plan: InvocationPlan, answer: PricedAnswer): Promise<CallCost> {
  let price: CallPrice = { costUsd: 0, savings: [], unpriced: false };
  try {
    price = priceCall(deps.pricing, plan, answer);
  } finally {
    plan.reservation.settle(price.costUsd);
  }
  try {
    await deps.ledger.record(
      spendEntryOf((deps.clock ?? systemClock).now(), plan.call.tenantId, answer, price, plan.reservation.holdId),
    );
  } catch (err) {
    deps.onLedgerError?.(err);
  }
  return { ...price, savedUsd: price.savings.reduce((sum, s) => sum + s.usd, 0) };
}

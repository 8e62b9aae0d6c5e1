import type { MonthlyCostEstimate } from './monthly-cost-estimate';

const usd = (n: number) => `$${n.toFixed(2)}`;

/** A plain-text report of an estimate, with a warning line when it exceeds the budget. */
export function formatEstimate(estimate: MonthlyCostEstimate, title = 'Monthly infrastructure floor'): string {
  const out = [`${title} — ${estimate.region}, prices ${estimate.priceTableVersion} (no traffic; usage-priced parts excluded)`];
  for (const line of estimate.lines) {
    out.push(`  [${line.category}] ${line.item}: ${line.quantity.toFixed(1)} ${line.unit} × ${Number(line.unitPriceUsd.toPrecision(6))} = ${usd(line.monthlyUsd)}`);
  }
  for (const [category, amount] of Object.entries(estimate.byCategory)) out.push(`  ${category}: ${usd(amount)}`);
  out.push(`  total: ${usd(estimate.totalUsd)}${estimate.budgetUsd === undefined ? '' : ` of budget ${usd(estimate.budgetUsd)}`}`);
  for (const note of estimate.notes) out.push(`  note: ${note}`);
  if (estimate.exceedsBudget) {
    out.push(`WARNING: the estimated floor ${usd(estimate.totalUsd)} exceeds the monthly budget ${usd(estimate.budgetUsd ?? 0)}`);
  }
  return out.join('\n');
}

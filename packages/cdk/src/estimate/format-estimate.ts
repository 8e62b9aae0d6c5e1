import type { MonthlyCostEstimate } from './monthly-cost-estimate';

const usd = (n: number) => `${n < 0 ? '-' : ''}$${Math.abs(n).toFixed(2)}`;

/**
 * A plain-text report of an estimate: each line with its category and basis (floor or traffic), the totals per
 * category, and a warning line when the total exceeds the budget.
 */
export function formatEstimate(estimate: MonthlyCostEstimate, title = 'Monthly infrastructure floor'): string {
  const withTraffic = estimate.traffic !== undefined;
  const scope = withTraffic ? 'floor and the traffic profile' : 'no traffic; usage-priced parts excluded';
  const out = [`${title} — ${estimate.region}, prices ${estimate.priceTableVersion} (${scope})`];
  for (const line of estimate.lines) {
    const without =
      line.withoutLeversUsd === undefined ? '' : ` (without nova-cost levers ${usd(line.withoutLeversUsd)})`;
    out.push(
      `  [${line.category} ${line.basis}] ${line.item}: ${line.quantity.toFixed(1)} ${line.unit} × ${Number(line.unitPriceUsd.toPrecision(6))} = ${usd(line.monthlyUsd)}${without}`,
    );
  }
  for (const [category, amount] of Object.entries(estimate.byCategory)) {
    if (category !== 'bedrock' || withTraffic) out.push(`  ${category}: ${usd(amount)}`);
  }
  if (estimate.bedrock) {
    const saved = estimate.bedrock.withoutLeversUsd - estimate.bedrock.withLeversUsd;
    out.push(
      `  bedrock without nova-cost levers: ${usd(estimate.bedrock.withoutLeversUsd)} (the levers save ${usd(saved)})`,
    );
  }
  if (withTraffic) out.push(`  floor: ${usd(estimate.floorUsd)}, traffic: ${usd(estimate.trafficUsd)}`);
  out.push(
    `  total: ${usd(estimate.totalUsd)}${estimate.budgetUsd === undefined ? '' : ` of budget ${usd(estimate.budgetUsd)}`}`,
  );
  for (const note of estimate.notes) out.push(`  note: ${note}`);
  if (estimate.exceedsBudget) {
    const what = withTraffic ? 'monthly cost' : 'floor';
    out.push(
      `WARNING: the estimated ${what} ${usd(estimate.totalUsd)} exceeds the monthly budget ${usd(estimate.budgetUsd ?? 0)}`,
    );
  }
  return out.join('\n');
}

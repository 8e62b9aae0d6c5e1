import { describe, expect, it } from 'vitest';
import { buildApp } from './app';
import { synthWithEstimate } from './synth-estimate';

describe(synthWithEstimate, () => {
  it('reports the floor per category under the budget, and warns once a budget is smaller than the floor', () => {
    const { app, stack } = buildApp({ env: { region: 'us-east-1' }, alertEmails: ['a@example.com'], monthlyBudgetUsd: 100 });
    const { estimate, report } = synthWithEstimate(app, stack);
    // us-east-1: Fargate 98.8401 (see packages/cdk estimate spec) + NAT 32.85 + its EIP 730 × 0.005 = 3.65
    // + endpoint 2 × 730 × 0.01 = 14.60 + internal ALB 730 × 0.0225 = 16.425 (no public IPs)
    // + read model 0.4745 + 4.745 + Redis 2 × 730 × 0.032 = 46.72 + dashboard 3.
    expect(estimate?.totalUsd).toBeCloseTo(98.8401 + 32.85 + 3.65 + 14.6 + 16.425 + 0.4745 + 4.745 + 46.72 + 3, 3);
    expect(estimate?.budgetUsd).toBe(100);
    expect(report).toMatch(/^  network: \$67\.53$/m);
    expect(report).toMatch(/WARNING: the estimated floor \$221\.30 exceeds the monthly budget \$100\.00/);
  });

  it('reports a region without prices instead of failing the synth', () => {
    const { app, stack } = buildApp({ env: { region: 'eu-west-3' }, alertEmails: ['a@example.com'] });
    expect(synthWithEstimate(app, stack).report).toMatch(/^No estimate: no infrastructure prices for region "eu-west-3"/);
  });
});

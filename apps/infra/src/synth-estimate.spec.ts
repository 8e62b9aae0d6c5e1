import { App } from 'aws-cdk-lib';
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

  it('prices the default Tokyo stack by hand, category by category, under the 10,000 USD budget', () => {
    const { app, stack } = buildApp({ env: { region: 'ap-northeast-1' }, alertEmails: ['a@example.com'] });
    const { estimate, report } = synthWithEstimate(app, stack);
    // Task-hours a month (730 h / 24 = 30.4167 days): 2 on-demand all day, plus 3 more from 08:30 to 22:00 (13.5 h)
    // split 1:4 on-demand:Spot above the base of 2. 1 vCPU and 2 GB per task. Spot = 30% of on-demand.
    const days = 730 / 24;
    const onDemandTaskHours = (24 * 2 + 13.5 * 0.6) * days; // 1706.375
    const spotTaskHours = 13.5 * 2.4 * days; // 985.5
    const compute = onDemandTaskHours * (0.05056 + 2 * 0.00553) + spotTaskHours * 0.3 * (0.05056 + 2 * 0.00553);
    // NAT + its EIP, bedrock-runtime endpoint in 2 AZs, internal ALB.
    const network = 730 * 0.062 + 730 * 0.005 + 2 * 730 * 0.014 + 730 * 0.0243;
    // Read model at its autoscaling floor (5 RCU) and 10 WCU; 2 cache.t4g.small nodes.
    const storage = 5 * 730 * 0.0001484 + 10 * 730 * 0.000742 + 2 * 730 * 0.041;
    expect(estimate?.byCategory).toEqual({
      compute: expect.closeTo(compute, 6),
      network: expect.closeTo(network, 6),
      storage: expect.closeTo(storage, 6),
      monitoring: expect.closeTo(3, 9),
    });
    expect(estimate?.totalUsd).toBeCloseTo(279.27, 2);
    expect(report).toMatch(/total: \$279\.27 of budget \$10000\.00/);
    expect(report).not.toMatch(/WARNING/);
  });

  it('takes the budget from -c monthlyBudgetUsd and warns above it', () => {
    const app = new App({ context: { monthlyBudgetUsd: '250' } });
    const { stack } = buildApp({ app, env: { region: 'ap-northeast-1' }, alertEmails: ['a@example.com'] });
    const { estimate, report } = synthWithEstimate(app, stack);
    expect(estimate?.budgetUsd).toBe(250);
    expect(report).toMatch(/WARNING: the estimated floor \$279\.27 exceeds the monthly budget \$250\.00/);
  });

  it('reports a region without prices instead of failing the synth', () => {
    const { app, stack } = buildApp({ env: { region: 'eu-west-3' }, alertEmails: ['a@example.com'] });
    expect(synthWithEstimate(app, stack).report).toMatch(/^No estimate: no infrastructure prices for region "eu-west-3"/);
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NovaCostError } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { buildApp } from './app';
import { synthWithEstimate } from './synth-estimate';

describe(synthWithEstimate, () => {
  it('reports the floor per category under the budget, and warns once a budget is smaller than the floor', () => {
    const { app, stack } = buildApp({
      env: { region: 'us-east-1' },
      alertEmails: ['a@example.com'],
      monthlyBudgetUsd: 100,
    });
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
      bedrock: 0,
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
    expect(synthWithEstimate(app, stack).report).toMatch(
      /^No estimate: no infrastructure prices for region "eu-west-3"/,
    );
  });

  describe('having a traffic profile', () => {
    const DAYS = 730 / 24;

    it('adds the traffic lines of -c keys to the floor, and reports Bedrock with and without the levers', () => {
      const app = new App({
        context: {
          requestsPerDay: '1000',
          tokensPerRequest: 'apac.amazon.nova-lite-v1:0=1000/200',
          cacheHitRate: '0.5',
          eventsPerDay: '10000',
          httpApi: 'true',
        },
      });
      const { stack } = buildApp({
        app,
        env: { region: 'ap-northeast-1' },
        alertEmails: ['a@example.com'],
        eventProcessor: { code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });') },
      });
      const { estimate, report } = synthWithEstimate(app, stack);
      // Tokyo Nova Lite $0.079 in / $0.315 out per 1M: 1000 × 0.079 + 200 × 0.315 = 142 µ$ a request; half are cache hits.
      const bedrock = 1000 * DAYS * 142e-6;
      expect(estimate?.bedrock).toEqual({
        withLeversUsd: expect.closeTo(bedrock / 2, 9),
        withoutLeversUsd: expect.closeTo(bedrock, 9),
      });
      // The HTTP API's requests at Tokyo's $1.29 per million; the event processor's 10,000 events a day at 100 ms × 0.25 GB.
      const httpApi = ((1000 * DAYS) / 1e6) * 1.29;
      const lambdaUsd = 10_000 * DAYS * 0.1 * 0.25 * 0.0000133334 + ((10_000 * DAYS) / 10 / 1e6) * 0.2;
      const sqs = ((10_000 * DAYS * 1.2) / 1e6) * 0.4;
      expect(estimate?.trafficUsd).toBeCloseTo(bedrock / 2 + httpApi + lambdaUsd + sqs, 9);
      expect(report).toMatch(
        /^Monthly cost of NovaCost — ap-northeast-1, prices 2026-11 \(floor and the traffic profile\)$/m,
      );
      expect(report).toMatch(
        /^  \[bedrock traffic\] Bedrock apac\.amazon\.nova-lite-v1:0 .* \(without nova-cost levers \$4\.32\)$/m,
      );
      expect(report).toMatch(/^  \[network traffic\] API Gateway HTTP API \w+ requests: /m);
    });

    it('reads the profile from -c trafficProfile=<file>, with -c keys over it', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'traffic-'));
      const file = path.join(dir, 'traffic.json');
      fs.writeFileSync(file, JSON.stringify({ requestsPerDay: 10, natGbPerMonth: 100 }));
      try {
        const app = new App({ context: { trafficProfile: file, natGbPerMonth: '200' } });
        const { stack } = buildApp({ app, env: { region: 'us-east-1' }, alertEmails: ['a@example.com'] });
        const { estimate } = synthWithEstimate(app, stack);
        expect(estimate?.traffic).toEqual({ requestsPerDay: 10, natGbPerMonth: 200 });
        expect(estimate?.lines.find((l) => l.item === 'NAT gateway data processed')?.monthlyUsd).toBeCloseTo(
          200 * 0.045,
          9,
        );
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('refuses a profile file it cannot read, naming it', () => {
      const app = new App({ context: { trafficProfile: '/nonexistent/traffic.json' } });
      const { stack } = buildApp({ app, env: { region: 'us-east-1' }, alertEmails: ['a@example.com'] });
      expect(() => synthWithEstimate(app, stack)).toThrow(NovaCostError);
      expect(() => synthWithEstimate(app, stack)).toThrow(
        /-c trafficProfile: cannot read \/nonexistent\/traffic\.json as JSON/,
      );
    });
  });
});

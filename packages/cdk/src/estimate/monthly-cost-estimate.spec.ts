import { App, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import { NovaCostError } from '@nova-cost/domain';
import { beforeAll, describe, expect, it } from 'vitest';
import { CostOptimizedFargateService } from '../compute/cost-optimized-fargate-service';
import { CostBudget } from '../monitoring/cost-budget';
import { CostDashboard } from '../monitoring/cost-dashboard';
import { CostAwareVpc } from '../network/cost-aware-vpc';
import { EventStoreTables } from '../storage/event-store-tables';
import type { CfnTemplate } from './cfn-template';
import { formatEstimate } from './format-estimate';
import { estimateMonthlyCost } from './monthly-cost-estimate';

/** A real synthesized stack with every priced part at its defaults, plus a 2-node cache.t4g.small Redis. */
function synthesizeDefaults(): CfnTemplate {
  const app = new App();
  const stack = new Stack(app, 'Estimate', { env: { account: '111111111111', region: 'us-east-1' } });
  const { vpc } = new CostAwareVpc(stack, 'Network');
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  new CostOptimizedFargateService(stack, 'Gateway', {
    cluster,
    image: ecs.ContainerImage.fromRegistry('node:20-slim'),
  });
  new EventStoreTables(stack, 'Tables');
  new elasticache.CfnReplicationGroup(stack, 'Redis', {
    replicationGroupDescription: 'cache',
    engine: 'redis',
    cacheNodeType: 'cache.t4g.small',
    numCacheClusters: 2,
    automaticFailoverEnabled: true,
  });
  new CostDashboard(stack, 'Dashboard');
  new CostBudget(stack, 'Budget', { emails: ['finops@example.com'] });
  return app.synth().getStackByName('Estimate').template as CfnTemplate;
}

describe(estimateMonthlyCost, () => {
  let template: CfnTemplate;
  beforeAll(() => (template = synthesizeDefaults()));

  describe('having the default stack in us-east-1', () => {
    it('prices Fargate under the 5-at-08:30 / 2-at-22:00 schedule with the Spot share', () => {
      const estimate = estimateMonthlyCost(template, { region: 'us-east-1' });
      // A 730-hour month has 730/24 days: 13.5 h/day at 5 tasks → 410.625 h; 10.5 h/day at 2 tasks → 319.375 h.
      // 5 tasks = FARGATE base 2 + 3 split 4:1 → Spot 2.4, on-demand 0.6 → on-demand 2.6. 2 tasks = 2 on-demand.
      const onDemandTaskHours = 2.6 * 410.625 + 2 * 319.375; // 1706.375
      const spotTaskHours = 2.4 * 410.625; // 985.5
      // Tasks are 1 vCPU / 2 GB. On-demand $0.04048/vCPU-h, $0.004445/GB-h; Spot is 70% off (× 0.3).
      const expected =
        onDemandTaskHours * 1 * 0.04048 + // 69.0740
        onDemandTaskHours * 2 * 0.004445 + // 15.1697
        spotTaskHours * 1 * 0.04048 * 0.3 + // 11.9679
        spotTaskHours * 2 * 0.004445 * 0.3; // 2.6284
      expect(onDemandTaskHours).toBeCloseTo(1706.375, 9);
      expect(estimate.byCategory.compute).toBeCloseTo(expected, 6);
      expect(estimate.byCategory.compute).toBeCloseTo(98.84, 2);
    });

    it('prices one NAT gateway with its public IPv4 address and the bedrock-runtime endpoint in 2 AZs', () => {
      const estimate = estimateMonthlyCost(template, { region: 'us-east-1' });
      // NAT: 730 h × $0.045 = 32.85; its Elastic IP: 730 h × $0.005 = 3.65. Endpoint: 2 AZ × 730 h × $0.01 = 14.60.
      expect(estimate.byCategory.network).toBeCloseTo(32.85 + 3.65 + 14.6, 9);
    });

    it('prices the read model at its autoscaling floor and the cache nodes', () => {
      const estimate = estimateMonthlyCost(template, { region: 'us-east-1' });
      // Reads idle at the scaler minimum 5 RCU: 5 × 730 × 0.00013 = 0.4745. Writes 10 WCU: 10 × 730 × 0.00065 = 4.745.
      // Redis 2 × cache.t4g.small: 2 × 730 × 0.032 = 46.72. The on-demand event store has no fixed cost.
      expect(estimate.byCategory.storage).toBeCloseTo(0.4745 + 4.745 + 46.72, 9);
      expect(estimate.byCategory.monitoring).toBe(3); // one dashboard × $3
    });

    it('totals the categories and stays under the 10,000 USD budget found in the template', () => {
      const estimate = estimateMonthlyCost(template, { region: 'us-east-1' });
      // 98.8401 + 51.10 + 51.9395 + 3 = 204.8796
      expect(estimate.totalUsd).toBeCloseTo(204.8796, 3);
      expect(estimate).toMatchObject({
        budgetUsd: 10000,
        exceedsBudget: false,
        priceTableVersion: '2026-11',
        notes: [],
      });
      expect(formatEstimate(estimate)).not.toMatch(/WARNING/);
    });

    it('warns when the floor exceeds a smaller budget', () => {
      const estimate = estimateMonthlyCost(template, { region: 'us-east-1', budgetUsd: 150 });
      expect(estimate.exceedsBudget).toBe(true);
      expect(formatEstimate(estimate)).toMatch(
        /WARNING: the estimated floor \$204\.88 exceeds the monthly budget \$150\.00/,
      );
    });
  });

  describe('having ap-northeast-1 prices', () => {
    it('prices the same NAT gateway at the Tokyo rate', () => {
      const estimate = estimateMonthlyCost(template, { region: 'ap-northeast-1' });
      // NAT 730 × 0.062 = 45.26; Elastic IP 730 × 0.005 = 3.65; endpoint 2 × 730 × 0.014 = 20.44.
      expect(estimate.byCategory.network).toBeCloseTo(45.26 + 3.65 + 20.44, 9);
    });
  });

  describe('having an internet-facing load balancer', () => {
    it('adds the ALB hours and one public IPv4 address per AZ', () => {
      const estimate = estimateMonthlyCost(
        {
          Resources: {
            Alb: {
              Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
              Properties: { Scheme: 'internet-facing', Subnets: ['a', 'b'] },
            },
          },
        },
        { region: 'us-east-1' },
      );
      // 730 × 0.0225 = 16.425; 2 × 730 × 0.005 = 7.30.
      expect(estimate.byCategory.network).toBeCloseTo(16.425 + 7.3, 9);
    });
  });

  describe('misuse', () => {
    it('refuses a region missing from the price table, naming the known ones', () => {
      expect(() => estimateMonthlyCost(template, { region: 'eu-west-1' })).toThrow(NovaCostError);
      expect(() => estimateMonthlyCost(template, { region: 'eu-west-1' })).toThrow(/known: us-east-1, ap-northeast-1/);
    });

    it('notes a cache node type it has no price for instead of guessing', () => {
      const estimate = estimateMonthlyCost(
        {
          Resources: {
            R: {
              Type: 'AWS::ElastiCache::ReplicationGroup',
              Properties: { CacheNodeType: 'cache.x9.huge', NumCacheClusters: 1 },
            },
          },
        },
        { region: 'us-east-1' },
      );
      expect(estimate.totalUsd).toBe(0);
      expect(estimate.notes).toEqual(['ElastiCache R: no price for node type cache.x9.huge']);
    });
  });
});

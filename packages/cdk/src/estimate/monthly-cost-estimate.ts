import { NovaCostError } from '@nova-cost/domain';
import { bedrockTraffic, type BedrockTotals } from './bedrock-traffic';
import { splitTasks, type StrategyItem } from './capacity-split';
import { numberProp, referencedLogicalIds, resourcesOfType, type CfnTemplate } from './cfn-template';
import { dailyCronMinuteOfDay, floorHoursPerDay, type ScheduledFloor } from './daily-schedule';
import { EstimateLines, type EstimateCategory, type EstimateLine } from './estimate-line';
import { HOURS_PER_MONTH, INFRA_PRICES, type InfraPriceTable, type RegionInfraPrices } from './infra-price-table';
import { serverlessFloor } from './serverless-floor';
import { trafficLines } from './traffic-lines';
import type { TrafficProfile } from './traffic-profile';

export type { EstimateBasis, EstimateCategory, EstimateLine } from './estimate-line';

const CATEGORIES: readonly EstimateCategory[] = ['bedrock', 'compute', 'storage', 'network', 'monitoring'];

export interface MonthlyCostEstimate {
  readonly region: string;
  readonly priceTableVersion: string;
  readonly lines: readonly EstimateLine[];
  readonly byCategory: Readonly<Record<EstimateCategory, number>>;
  /** What the stack costs with no traffic. */
  readonly floorUsd: number;
  /** What the traffic profile adds; 0 without one. */
  readonly trafficUsd: number;
  readonly totalUsd: number;
  /** The Bedrock lines with and without nova-cost's levers; undefined without a traffic profile. */
  readonly bedrock: BedrockTotals | undefined;
  /** The traffic profile the traffic lines come from, if any. */
  readonly traffic: TrafficProfile | undefined;
  /** The monthly budget found in the template (AWS::Budgets::Budget), if any. */
  readonly budgetUsd: number | undefined;
  readonly exceedsBudget: boolean;
  /** What the estimate saw but could not price, ceilings, and comparisons. */
  readonly notes: readonly string[];
}

export interface EstimateOptions {
  /** Region whose prices apply. */
  readonly region: string;
  /** @default INFRA_PRICES */
  readonly prices?: InfraPriceTable;
  /** Budget to compare with. @default - the first AWS::Budgets::Budget limit in the template */
  readonly budgetUsd?: number;
  /** Traffic to price the traffic lines from (Bedrock tokens, Lambda, requests, GB, vectors). @default - none: the floor only */
  readonly traffic?: TrafficProfile;
}

/**
 * What a synthesized stack costs a month: its floor (what it costs with no traffic, at its minimum task counts and
 * provisioned capacities over a 730-hour month) and, given a traffic profile, the traffic-priced lines on top, each
 * line marked floor or traffic.
 */
export function estimateMonthlyCost(template: CfnTemplate, options: EstimateOptions): MonthlyCostEstimate {
  const table = options.prices ?? INFRA_PRICES;
  const prices = table.regions[options.region];
  if (!prices) {
    throw new NovaCostError(
      'unknown-price',
      `no infrastructure prices for region "${options.region}" in table ${table.version}; known: ${Object.keys(table.regions).join(', ')}`,
    );
  }
  const out = new EstimateLines();
  const add = out.floor.bind(out);

  fargate(template, prices, add, out.notes);
  for (const [id] of resourcesOfType(template, 'AWS::EC2::NatGateway')) {
    add('network', `NAT gateway ${id}`, HOURS_PER_MONTH, 'hours', prices.natGatewayHour.usd);
  }
  for (const [id, r] of resourcesOfType(template, 'AWS::EC2::VPCEndpoint')) {
    if (r.Properties?.VpcEndpointType !== 'Interface') continue;
    const azs = Array.isArray(r.Properties.SubnetIds) ? r.Properties.SubnetIds.length : 1;
    add(
      'network',
      `interface endpoint ${id} (${azs} AZ)`,
      azs * HOURS_PER_MONTH,
      'endpoint-AZ-hours',
      prices.interfaceEndpointAzHour.usd,
    );
  }
  for (const [id] of resourcesOfType(template, 'AWS::EC2::EIP')) {
    add('network', `public IPv4 ${id}`, HOURS_PER_MONTH, 'hours', prices.publicIpv4Hour.usd);
  }
  for (const [id, r] of resourcesOfType(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer')) {
    add('network', `load balancer ${id}`, HOURS_PER_MONTH, 'hours', prices.albHour.usd);
    // An internet-facing ALB holds one public IPv4 address per subnet (AZ) it spans.
    if (r.Properties?.Scheme !== 'internal') {
      const azs = Array.isArray(r.Properties?.Subnets) ? r.Properties.Subnets.length : 1;
      add(
        'network',
        `public IPv4 of load balancer ${id} (${azs} AZ)`,
        azs * HOURS_PER_MONTH,
        'hours',
        prices.publicIpv4Hour.usd,
      );
    }
  }
  dynamodb(template, prices, add);
  for (const [id, r] of resourcesOfType(template, 'AWS::ElastiCache::ReplicationGroup')) {
    const nodeType = String(r.Properties?.CacheNodeType);
    const price = prices.elasticacheNodeHour[nodeType];
    const groups = numberProp(r.Properties?.NumNodeGroups) ?? 1;
    const replicas = numberProp(r.Properties?.ReplicasPerNodeGroup);
    const nodes = replicas === undefined ? (numberProp(r.Properties?.NumCacheClusters) ?? 1) : groups * (replicas + 1);
    if (!price) out.note(`ElastiCache ${id}: no price for node type ${nodeType}`);
    else add('storage', `ElastiCache ${id} (${nodes} × ${nodeType})`, nodes * HOURS_PER_MONTH, 'node-hours', price.usd);
  }
  for (const [id] of resourcesOfType(template, 'AWS::ElastiCache::ServerlessCache')) {
    out.note(`ElastiCache Serverless ${id}: usage-priced, not estimated`);
  }
  const dashboards = resourcesOfType(template, 'AWS::CloudWatch::Dashboard').length;
  add('monitoring', 'CloudWatch dashboards', dashboards, 'dashboard-months', prices.dashboardMonth.usd);
  serverlessFloor(template, prices, out);

  const bedrock = options.traffic ? bedrockTraffic(options.traffic, options.region, out) : undefined;
  if (options.traffic) trafficLines(template, options.traffic, prices, out);

  const byCategory = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<EstimateCategory, number>;
  for (const line of out.lines) byCategory[line.category] += line.monthlyUsd;
  const sum = (basis: EstimateLine['basis']) =>
    out.lines.filter((l) => l.basis === basis).reduce((total, l) => total + l.monthlyUsd, 0);
  const floorUsd = sum('floor');
  const trafficUsd = sum('traffic');
  const totalUsd = floorUsd + trafficUsd;
  const budgetUsd = options.budgetUsd ?? templateBudget(template);
  return {
    region: options.region,
    priceTableVersion: table.version,
    lines: out.lines,
    byCategory,
    floorUsd,
    trafficUsd,
    totalUsd,
    bedrock,
    traffic: options.traffic,
    budgetUsd,
    exceedsBudget: budgetUsd !== undefined && totalUsd > budgetUsd,
    notes: out.notes,
  };
}

type Add = (category: EstimateCategory, item: string, quantity: number, unit: string, unitPriceUsd: number) => void;

function fargate(template: CfnTemplate, prices: RegionInfraPrices, add: Add, notes: string[]): void {
  const targets = resourcesOfType(template, 'AWS::ApplicationAutoScaling::ScalableTarget').filter(
    ([, t]) => t.Properties?.ScalableDimension === 'ecs:service:DesiredCount',
  );
  for (const [serviceId, service] of resourcesOfType(template, 'AWS::ECS::Service')) {
    const taskDef = [...referencedLogicalIds(service.Properties?.TaskDefinition)][0];
    const task = taskDef === undefined ? undefined : template.Resources?.[taskDef];
    const vcpu = (numberProp(task?.Properties?.Cpu) ?? 0) / 1024;
    const gb = (numberProp(task?.Properties?.Memory) ?? 0) / 1024;
    if (vcpu === 0) {
      notes.push(`ECS service ${serviceId}: no Fargate task size found`);
      continue;
    }
    const target = targets.find(([, t]) => referencedLogicalIds(t.Properties?.ResourceId).has(serviceId))?.[1];
    const baseMin = numberProp(target?.Properties?.MinCapacity) ?? numberProp(service.Properties?.DesiredCount) ?? 1;
    const floors: ScheduledFloor[] = (
      (target?.Properties?.ScheduledActions as Array<Record<string, unknown>>) ?? []
    ).map((a) => ({
      minuteOfDay: dailyCronMinuteOfDay(String(a.Schedule)),
      minCapacity: numberProp((a.ScalableTargetAction as Record<string, unknown> | undefined)?.MinCapacity) ?? baseMin,
    }));
    const strategy: StrategyItem[] = (
      (service.Properties?.CapacityProviderStrategy as Array<Record<string, unknown>>) ?? []
    ).map((s) => ({
      capacityProvider: String(s.CapacityProvider),
      weight: numberProp(s.Weight) ?? 0,
      base: numberProp(s.Base) ?? 0,
    }));
    let onDemandTaskHours = 0;
    let spotTaskHours = 0;
    for (const { minCapacity, hoursPerDay } of floorHoursPerDay(baseMin, floors)) {
      const split = splitTasks(minCapacity, strategy);
      const hours = hoursPerDay * (HOURS_PER_MONTH / 24);
      onDemandTaskHours += (split.get('FARGATE') ?? 0) * hours;
      spotTaskHours += (split.get('FARGATE_SPOT') ?? 0) * hours;
    }
    const spotFactor = 1 - prices.fargateSpotDiscount.usd;
    add(
      'compute',
      `Fargate vCPU-hours (on-demand) of ${serviceId}`,
      onDemandTaskHours * vcpu,
      'vCPU-hours',
      prices.fargateVcpuHour.usd,
    );
    add(
      'compute',
      `Fargate GB-hours (on-demand) of ${serviceId}`,
      onDemandTaskHours * gb,
      'GB-hours',
      prices.fargateGbHour.usd,
    );
    add(
      'compute',
      `Fargate vCPU-hours (Spot) of ${serviceId}`,
      spotTaskHours * vcpu,
      'vCPU-hours',
      prices.fargateVcpuHour.usd * spotFactor,
    );
    add(
      'compute',
      `Fargate GB-hours (Spot) of ${serviceId}`,
      spotTaskHours * gb,
      'GB-hours',
      prices.fargateGbHour.usd * spotFactor,
    );
  }
}

function dynamodb(template: CfnTemplate, prices: RegionInfraPrices, add: Add): void {
  const targets = resourcesOfType(template, 'AWS::ApplicationAutoScaling::ScalableTarget');
  for (const [id, table] of resourcesOfType(template, 'AWS::DynamoDB::Table')) {
    const throughput = table.Properties?.ProvisionedThroughput as Record<string, unknown> | undefined;
    if (table.Properties?.BillingMode === 'PAY_PER_REQUEST' || !throughput) continue;
    // With autoscaling, an idle table settles at the scaler's minimum: that is the floor.
    const floor = (dimension: string, provisioned: number) => {
      const target = targets.find(
        ([, t]) =>
          t.Properties?.ScalableDimension === dimension && referencedLogicalIds(t.Properties?.ResourceId).has(id),
      )?.[1];
      return numberProp(target?.Properties?.MinCapacity) ?? provisioned;
    };
    const rcu = floor('dynamodb:table:ReadCapacityUnits', numberProp(throughput.ReadCapacityUnits) ?? 0);
    const wcu = floor('dynamodb:table:WriteCapacityUnits', numberProp(throughput.WriteCapacityUnits) ?? 0);
    add('storage', `DynamoDB ${id} read capacity`, rcu * HOURS_PER_MONTH, 'RCU-hours', prices.dynamodbRcuHour.usd);
    add('storage', `DynamoDB ${id} write capacity`, wcu * HOURS_PER_MONTH, 'WCU-hours', prices.dynamodbWcuHour.usd);
  }
}

function templateBudget(template: CfnTemplate): number | undefined {
  for (const [, r] of resourcesOfType(template, 'AWS::Budgets::Budget')) {
    const limit = (r.Properties?.Budget as Record<string, unknown> | undefined)?.BudgetLimit as
      Record<string, unknown> | undefined;
    const amount = numberProp(limit?.Amount);
    if (amount !== undefined) return amount;
  }
  return undefined;
}

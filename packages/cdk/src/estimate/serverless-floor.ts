import { numberProp, resourcesOfType, type CfnResourceJson, type CfnTemplate } from './cfn-template';
import type { EstimateLines } from './estimate-line';
import { HOURS_PER_MONTH, type RegionInfraPrices } from './infra-price-table';

/**
 * The idle OCUs of an OpenSearch Serverless vector collection (indexing and search together): 0.5 + 0.5 without
 * standby replicas, twice that with them. Collections of one group (or one key) share them, so a group counts once.
 */
export function openSearchFloorOcu(standbyReplicas: boolean): number {
  return standbyReplicas ? 2 : 1;
}

/** The floor of the serverless parts that have one: OpenSearch Serverless OCUs and VPC endpoints, CloudWatch alarms. */
export function serverlessFloor(template: CfnTemplate, prices: RegionInfraPrices, out: EstimateLines): void {
  const groups = new Map(
    resourcesOfType(template, 'AWS::OpenSearchServerless::CollectionGroup').map(([id, g]) => [
      String(g.Properties?.Name),
      [id, g] as const,
    ]),
  );
  const priced = new Set<string>();
  for (const [id, collection] of resourcesOfType(template, 'AWS::OpenSearchServerless::Collection')) {
    const groupName = collection.Properties?.CollectionGroupName;
    const group = typeof groupName === 'string' ? groups.get(groupName) : undefined;
    const key = group ? `group:${group[0]}` : `collection:${id}`;
    if (priced.has(key)) continue;
    priced.add(key);
    const standby = String((group?.[1] ?? collection).Properties?.StandbyReplicas ?? 'ENABLED') !== 'DISABLED';
    const ocu = openSearchFloorOcu(standby);
    const owner = group ? `group ${group[0]}` : id;
    out.floor(
      'storage',
      `OpenSearch Serverless ${owner} idle floor (${ocu / 2} indexing + ${ocu / 2} search OCU, standby replicas ${standby ? 'on' : 'off'})`,
      ocu * HOURS_PER_MONTH,
      'OCU-hours',
      prices.opensearchOcuHour.usd,
    );
    const ceiling = group ? ceilingOcu(group[1]) : undefined;
    out.note(
      ceiling === undefined
        ? `OpenSearch Serverless ${owner}: no ceiling in the template; it may scale to the account's limit (10 indexing + 10 search OCU by default)`
        : `OpenSearch Serverless ${owner}: scales with load up to ${ceiling} OCU, $${(ceiling * HOURS_PER_MONTH * prices.opensearchOcuHour.usd).toFixed(2)} a month at the ceiling`,
    );
  }
  for (const [id, endpoint] of resourcesOfType(template, 'AWS::OpenSearchServerless::VpcEndpoint')) {
    const azs = Array.isArray(endpoint.Properties?.SubnetIds) ? endpoint.Properties.SubnetIds.length : 1;
    out.floor(
      'network',
      `OpenSearch Serverless VPC endpoint ${id} (${azs} AZ, priced as an interface endpoint)`,
      azs * HOURS_PER_MONTH,
      'endpoint-AZ-hours',
      prices.interfaceEndpointAzHour.usd,
    );
  }
  const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').length;
  out.floor('monitoring', 'CloudWatch alarms', alarms, 'alarm-months', prices.alarmMonth.usd);
}

function ceilingOcu(group: CfnResourceJson): number | undefined {
  const limits = group.Properties?.CapacityLimits as Record<string, unknown> | undefined;
  const indexing = numberProp(limits?.MaxIndexingCapacityInOcu);
  const search = numberProp(limits?.MaxSearchCapacityInOcu);
  return indexing === undefined || search === undefined ? undefined : indexing + search;
}

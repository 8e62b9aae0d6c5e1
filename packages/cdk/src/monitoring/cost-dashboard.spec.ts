import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CostDashboard, type CostDashboardProps } from './cost-dashboard';
import { GATEWAY_METRICS } from './gateway-metrics';

type Widget = { properties: { metrics?: unknown[][]; region?: string } };

/** The dashboard body as JSON: CDK renders it as Fn::Join of strings and region tokens. */
function dashboardBody(props?: CostDashboardProps): { widgets: Widget[] } {
  const stack = new Stack(new App(), 'Test', { env: { account: '111111111111', region: 'ap-northeast-1' } });
  new CostDashboard(stack, 'Costs', props);
  const [dashboard] = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard'));
  const body = dashboard!.Properties.DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'ap-northeast-1')).join('');
  return JSON.parse(text);
}

const metricsOf = (widgets: Widget[]) => widgets.flatMap((w) => w.properties.metrics ?? []);

describe(CostDashboard, () => {
  let widgets: Widget[];
  beforeAll(() => ({ widgets } = dashboardBody()));

  it('charts EstimatedCharges per service with Currency=USD, pinned to us-east-1 from a stack in another region', () => {
    const billing = metricsOf(widgets).filter((m) => m[0] === 'AWS/Billing');
    const services = billing
      .map((m) => m[m.indexOf('ServiceName') + 1])
      .filter((s) => typeof s === 'string' && s !== 'AWS/Billing');
    expect(services).toEqual(
      expect.arrayContaining(['AmazonBedrock', 'AmazonECS', 'AmazonS3', 'AmazonDynamoDB', 'AmazonEC2']),
    );
    for (const metric of billing) {
      expect(metric).toEqual(expect.arrayContaining(['EstimatedCharges', 'Currency', 'USD']));
      expect(metric.at(-1)).toMatchObject({ region: 'us-east-1' });
    }
  });

  it("charts the gateway's CostUsd, SavedUsd, CacheHitRatio and BatchQueueDepth in NovaCost by Service", () => {
    const gateway = metricsOf(widgets).filter((m) => m[0] === GATEWAY_METRICS.namespace);
    expect(gateway.map((m) => m[1])).toEqual(['CostUsd', 'SavedUsd', 'CacheHitRatio', 'BatchQueueDepth']);
    for (const metric of gateway) expect(metric.slice(2, 4)).toEqual(['Service', 'nova-cost-gateway']);
  });

  it('uses the billed services, service dimension and currency it is given', () => {
    const custom = dashboardBody({
      billedServices: { Lambda: 'AWSLambda' },
      gatewayServiceName: 'edge',
      currency: 'JPY',
    });
    const metrics = metricsOf(custom.widgets);
    expect(metrics.filter((m) => m.includes('ServiceName'))).toEqual([
      expect.arrayContaining(['AWS/Billing', 'EstimatedCharges', 'Currency', 'JPY', 'ServiceName', 'AWSLambda']),
    ]);
    expect(metrics.filter((m) => m[0] === 'NovaCost').every((m) => m[3] === 'edge')).toBe(true);
  });
});

import { App, Stack } from 'aws-cdk-lib';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventProcessor } from '../compute/event-processor';
import { CostAwareVpc } from '../network/cost-aware-vpc';
import { HttpApiFrontDoor } from '../network/http-api-front-door';
import { VectorSearch, type VectorEngine } from '../storage/vector-search';
import type { CfnTemplate } from './cfn-template';
import type { EstimateLine } from './estimate-line';
import { formatEstimate } from './format-estimate';
import { estimateMonthlyCost } from './monthly-cost-estimate';
import type { TrafficProfile } from './traffic-profile';

const DAYS = 730 / 24;
const GB = 2 ** 30;
const TB = 2 ** 40;

/**
 * A real synthesized stack with every traffic-priced part: a VPC with one NAT gateway and the bedrock-runtime
 * endpoint, an internal ALB behind an HTTP API, an event processor at its defaults, and vector search.
 */
function synthesize(engine: VectorEngine): CfnTemplate {
  const app = new App();
  const stack = new Stack(app, 'Traffic', { env: { account: '111111111111', region: 'us-east-1' } });
  const { vpc } = new CostAwareVpc(stack, 'Network');
  const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc, internetFacing: false });
  const listener = alb.addListener('Http', {
    port: 80,
    open: false,
    defaultAction: elbv2.ListenerAction.fixedResponse(200),
  });
  new HttpApiFrontDoor(stack, 'Api', { backend: { kind: 'alb', listener, vpc } });
  new EventProcessor(stack, 'Events', {
    code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
  });
  const vectors = new VectorSearch(stack, 'Vectors', { engine });
  vectors.grantReadWrite(
    new iam.Role(stack, 'App', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') }),
  );
  return app.synth().getStackByName('Traffic').template as CfnTemplate;
}

const PROFILE: TrafficProfile = {
  requestsPerDay: 10_000,
  eventsPerDay: 100_000,
  msPerEvent: 200,
  natGbPerMonth: 100,
  endpointGbPerMonth: 50,
  vectorsStored: 1_000_000,
  vectorMetadataBytes: 1024,
  vectorsWrittenPerDay: 10_000,
  vectorQueriesPerDay: 20_000,
};

function line(lines: readonly EstimateLine[], item: RegExp): EstimateLine {
  const found = lines.filter((l) => item.test(l.item));
  expect(found, `one line matching ${item}`).toHaveLength(1);
  return found[0]!;
}

describe('the infrastructure traffic lines', () => {
  describe('having S3 Vectors, in us-east-1', () => {
    let template: CfnTemplate;
    beforeAll(() => (template = synthesize('s3-vectors')));

    it('prices the event processor from its template: 256 MB on arm64, batches of 10, its queue’s requests', () => {
      const { lines } = estimateMonthlyCost(template, { region: 'us-east-1', traffic: PROFILE });
      const events = 100_000 * DAYS; // 3,041,666.7 a month
      // 200 ms × 0.25 GB an event at $0.0000133334 per GB-second: 152,083 GB-s → $2.03.
      expect(line(lines, /^Lambda \w+ duration \(256 MB, 200 ms an event\)$/)).toMatchObject({
        category: 'compute',
        basis: 'traffic',
        quantity: expect.closeTo(events * 0.2 * 0.25, 6),
        monthlyUsd: expect.closeTo(events * 0.2 * 0.25 * 0.0000133334, 9),
      });
      // One invocation per 10 events at $0.20 per million.
      expect(line(lines, /^Lambda \w+ invocations \(batches of 10\)$/).monthlyUsd).toBeCloseTo(
        (events / 10 / 1e6) * 0.2,
        9,
      );
      // SendMessage per event, ReceiveMessage and DeleteMessageBatch per batch: 3.65 M requests at $0.40 per million.
      expect(line(lines, /^SQS requests/).monthlyUsd).toBeCloseTo(((events + (2 * events) / 10) / 1e6) * 0.4, 9);
    });

    it('prices HTTP API requests, NAT and endpoint GB', () => {
      const { lines } = estimateMonthlyCost(template, { region: 'us-east-1', traffic: PROFILE });
      expect(line(lines, /^API Gateway HTTP API \w+ requests$/)).toMatchObject({
        category: 'network',
        basis: 'traffic',
        monthlyUsd: expect.closeTo(((10_000 * DAYS) / 1e6) * 1.0, 9),
      });
      expect(line(lines, /^NAT gateway data processed$/).monthlyUsd).toBeCloseTo(100 * 0.045, 9);
      expect(line(lines, /^Interface endpoint data processed$/).monthlyUsd).toBeCloseTo(50 * 0.01, 9);
    });

    it('prices S3 Vectors storage, writes, queries and the data queries process, by the index’s 1024 dimensions', () => {
      const { lines, notes } = estimateMonthlyCost(template, { region: 'us-east-1', traffic: PROFILE });
      const bytes = 1024 * 4 + 1024; // 5,120 bytes a vector with its metadata
      const queries = 20_000 * DAYS;
      expect(line(lines, /^S3 Vectors \w+ storage$/).monthlyUsd).toBeCloseTo(((1e6 * bytes) / GB) * 0.06, 9); // 0.2861
      expect(line(lines, /^S3 Vectors \w+ writes$/).monthlyUsd).toBeCloseTo(((10_000 * DAYS * bytes) / GB) * 0.2, 9); // 0.2901
      expect(line(lines, /^S3 Vectors \w+ query calls$/).monthlyUsd).toBeCloseTo((queries / 1e6) * 2.5, 9); // 1.5208
      // Each query processes every vector of the index: 100 K at $0.004/TB, the other 900 K at $0.002/TB.
      expect(line(lines, /first 100 K vectors$/).monthlyUsd).toBeCloseTo(((queries * 100_000 * bytes) / TB) * 0.004, 9); // 1.1331
      expect(line(lines, /beyond 100 K vectors$/).monthlyUsd).toBeCloseTo(
        ((queries * 900_000 * bytes) / TB) * 0.002,
        9,
      ); // 5.0990
      // The alternative's floor: 1 OCU (0.5 + 0.5, no standby) × 730 h × $0.24 = 175.20, plus 4.77 GB × $0.024.
      expect(notes).toContain(
        `the same vectors on OpenSearch Serverless: $${(175.2 + ((1e6 * bytes) / GB) * 0.024).toFixed(2)} a month at least (its idle floor without standby replicas, and storage)`,
      );
    });

    it('keeps floor and traffic apart: the profile adds traffic lines and leaves the floor as it was', () => {
      const floorOnly = estimateMonthlyCost(template, { region: 'us-east-1' });
      const withTraffic = estimateMonthlyCost(template, { region: 'us-east-1', traffic: PROFILE });
      expect(floorOnly.lines.every((l) => l.basis === 'floor')).toBe(true);
      expect(withTraffic.floorUsd).toBeCloseTo(floorOnly.totalUsd, 9);
      const traffic = withTraffic.lines.filter((l) => l.basis === 'traffic');
      expect(withTraffic.trafficUsd).toBeCloseTo(
        traffic.reduce((sum, l) => sum + l.monthlyUsd, 0),
        9,
      );
      expect(withTraffic.totalUsd).toBeCloseTo(withTraffic.floorUsd + withTraffic.trafficUsd, 9);
      // The event processor's one alarm is the only floor the serverless parts add: $0.10 a month.
      expect(line(floorOnly.lines, /^CloudWatch alarms$/)).toMatchObject({ basis: 'floor', monthlyUsd: 0.1 });
      expect(floorOnly.lines.some((l) => /Lambda|SQS|API Gateway|S3 Vectors/.test(l.item))).toBe(false);
      expect(formatEstimate(withTraffic)).toMatch(/^  \[compute traffic\] Lambda \w+ duration/m);
      expect(formatEstimate(withTraffic)).toMatch(/^  floor: \$[\d.]+, traffic: \$[\d.]+$/m);
    });
  });

  describe('having OpenSearch Serverless without standby replicas', () => {
    let template: CfnTemplate;
    beforeAll(() => (template = synthesize('opensearch-serverless')));

    it('adds the idle floor of 1 OCU and states the ceiling of 4 OCU, with no traffic at all', () => {
      const { lines, notes } = estimateMonthlyCost(template, { region: 'us-east-1' });
      expect(
        line(
          lines,
          /^OpenSearch Serverless group \w+ idle floor \(0\.5 indexing \+ 0\.5 search OCU, standby replicas off\)$/,
        ),
      ).toMatchObject({
        category: 'storage',
        basis: 'floor',
        quantity: 730,
        monthlyUsd: expect.closeTo(730 * 0.24, 9), // 175.20
      });
      expect(notes).toContainEqual(
        expect.stringMatching(/scales with load up to 4 OCU, \$700\.80 a month at the ceiling$/),
      );
    });

    it('prices its storage by the profile and compares with S3 Vectors for the same load', () => {
      const { lines, notes } = estimateMonthlyCost(template, { region: 'us-east-1', traffic: PROFILE });
      const bytes = 1024 * 4 + 1024;
      expect(line(lines, /^OpenSearch Serverless \w+ storage$/).monthlyUsd).toBeCloseTo(
        ((1e6 * bytes) / GB) * 0.024,
        9,
      );
      const queries = 20_000 * DAYS;
      const s3 =
        ((1e6 * bytes) / GB) * 0.06 +
        ((10_000 * DAYS * bytes) / GB) * 0.2 +
        (queries / 1e6) * 2.5 +
        ((queries * 100_000 * bytes) / TB) * 0.004 +
        ((queries * 900_000 * bytes) / TB) * 0.002;
      expect(notes).toContain(`the same vectors on S3 Vectors: $${s3.toFixed(2)} a month, with no floor`);
    });

    it('doubles the floor with standby replicas, in Tokyo at its own OCU rate', () => {
      const standby: CfnTemplate = {
        Resources: {
          C: {
            Type: 'AWS::OpenSearchServerless::Collection',
            Properties: { Type: 'VECTORSEARCH', StandbyReplicas: 'ENABLED' },
          },
        },
      };
      const { lines, notes } = estimateMonthlyCost(standby, { region: 'ap-northeast-1' });
      expect(lines).toEqual([
        expect.objectContaining({ quantity: 2 * 730, monthlyUsd: expect.closeTo(2 * 730 * 0.334, 9) }),
      ]);
      expect(notes).toEqual([expect.stringMatching(/no ceiling in the template; it may scale to the account's limit/)]);
    });
  });

  describe('misuse', () => {
    it('notes traffic the stack has nowhere to carry instead of pricing it', () => {
      const { lines, notes } = estimateMonthlyCost(
        { Resources: {} },
        { region: 'us-east-1', traffic: { eventsPerDay: 5, natGbPerMonth: 1, vectorsStored: 10 } },
      );
      expect(lines).toEqual([]);
      expect(notes).toEqual([
        'eventsPerDay given, but the stack has no Lambda function fed by an SQS queue',
        'natGbPerMonth given, but the stack has no NAT gateway',
        'vector traffic given, but the stack has no vector store',
      ]);
    });

    it('notes a Lambda function that no queue feeds (behind an API, say) instead of guessing its invocations', () => {
      const template = { Resources: { Api: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 512 } } } };
      const { lines, notes } = estimateMonthlyCost(template, {
        region: 'us-east-1',
        traffic: { requestsPerDay: 1000 },
      });
      expect(lines).toEqual([]);
      expect(notes).toEqual(['Lambda Api is not fed by an SQS queue: its invocations are not estimated']);
    });
  });
});

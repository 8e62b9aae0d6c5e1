import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { BedrockBatchInference } from '../bedrock/bedrock-batch-inference';
import type { CfnTemplate } from './cfn-template';
import { formatEstimate } from './format-estimate';
import { estimateMonthlyCost } from './monthly-cost-estimate';
import type { TrafficProfile } from './traffic-profile';

const DAYS = 730 / 24;
const GB = 2 ** 30;

/** 10,000 Nova Lite requests a day (1,000 in / 200 out); a fifth are cache hits, half of the rest go as batch jobs. */
const TRAFFIC: TrafficProfile = {
  requestsPerDay: 10_000,
  models: [{ modelId: 'amazon.nova-lite-v1:0', share: 1, inputTokens: 1000, outputTokens: 200 }],
  levers: { cacheHitRate: 0.2, batchShare: 0.5 },
};

function templateWithAsyncPrefix(): { template: CfnTemplate; bucketId: string } {
  const stack = new Stack(new App(), 'Test', { env: { account: '111111111111', region: 'us-east-1' } });
  const bucket = new s3.Bucket(stack, 'Content');
  new BedrockBatchInference(stack, 'Batch', { bucket, foundationModels: [{ modelId: 'amazon.nova-lite-v1:0' }] });
  return {
    template: Template.fromStack(stack).toJSON() as CfnTemplate,
    bucketId: stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket),
  };
}

describe('the async API prefix lines of the estimate', () => {
  let template: CfnTemplate;
  let bucketId: string;
  beforeAll(() => ({ template, bucketId } = templateWithAsyncPrefix()));

  it('prices what the prefix stores and the requests of each batch call, from the lifecycle rules in the template', () => {
    const estimate = estimateMonthlyCost(template, { region: 'us-east-1', traffic: TRAFFIC });
    const lines = estimate.lines.filter((l) => l.item.startsWith('S3'));
    // 10,000 × 0.8 reaching Bedrock × 0.5 as batch = 4,000 calls a day. At 4 bytes a token: input 4,000 B, output 800.
    // Jobs' files (kept 14 days): the input line 4,000 + 100 and the output line, which repeats the input, 4,000 +
    // 800 + 100. Results (30 days): 800 + 700. Call documents (about a day): 4,000 + 600.
    const stored = 4000 * ((4100 + 4900) * 14 + 1500 * 30 + 4600 * 1);
    expect(lines).toEqual([
      expect.objectContaining({
        category: 'storage',
        basis: 'traffic',
        item: `S3 ${bucketId} async API prefix (jobs' files kept 14 days, ended invocations 30)`,
        quantity: expect.closeTo(stored / GB, 9),
        unitPriceUsd: 0.023,
      }),
      expect.objectContaining({
        item: `S3 ${bucketId} async API PUT requests (3 a call)`,
        quantity: expect.closeTo((4000 * DAYS * 3) / 1000, 9),
        monthlyUsd: expect.closeTo(365 * 0.005, 9),
      }),
      expect.objectContaining({
        item: `S3 ${bucketId} async API GET requests (1 a call)`,
        quantity: expect.closeTo((4000 * DAYS) / 1000, 9),
        unitPriceUsd: 0.0004,
      }),
    ]);
    expect(estimate.notes).toContainEqual(expect.stringMatching(/requests of each batch job .* are not counted/));
    // The batch discount is a Bedrock line of its own: half of what those 4,000 calls a day cost on demand.
    const discount = estimate.lines.find((l) => l.item.startsWith('Bedrock batch inference discount'))!;
    expect(discount.monthlyUsd).toBeCloseTo(-4000 * DAYS * 0.5 * (1000 * 0.06 + 200 * 0.24) * 1e-6, 9);
    expect(formatEstimate(estimate)).toMatch(
      /\[storage traffic\] S3 \w+ async API PUT requests \(3 a call\): 365\.0 thousand requests × 0\.005 = \$1\.8[23]/,
    );
  });

  it('prices the prefix at Tokyo rates in Tokyo', () => {
    const estimate = estimateMonthlyCost(template, { region: 'ap-northeast-1', traffic: TRAFFIC });
    const put = estimate.lines.find((l) => l.item.includes('async API PUT'))!;
    expect(put.unitPriceUsd).toBe(0.0047);
  });

  it('adds no line when no call goes as batch inference, so the feature costs nothing idle', () => {
    const estimate = estimateMonthlyCost(template, {
      region: 'us-east-1',
      traffic: { ...TRAFFIC, levers: { cacheHitRate: 0.2 } },
    });
    expect(estimate.lines.filter((l) => /async API|batch inference/.test(l.item))).toEqual([]);
    expect(estimateMonthlyCost(template, { region: 'us-east-1' }).totalUsd).toBe(0);
  });

  it('notes a batch share on a stack without the async API instead of pricing a prefix it does not have', () => {
    const estimate = estimateMonthlyCost({ Resources: {} }, { region: 'us-east-1', traffic: TRAFFIC });
    expect(estimate.lines.filter((l) => l.item.includes('async API prefix'))).toEqual([]);
    expect(estimate.notes).toContainEqual(
      expect.stringMatching(/batchShare given, but the stack has no async API prefix/),
    );
  });
});

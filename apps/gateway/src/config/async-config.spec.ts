import { describe, expect, it } from 'vitest';
import { asyncInvokeConfig, LOCAL_ASYNC_BUCKET } from './async-config';

const ENABLED = {
  NOVA_COST_ASYNC_BUCKET: 'my-async-bucket',
  NOVA_COST_ASYNC_ROLE_ARN: 'arn:aws:iam::123456789012:role/batch',
};

describe(asyncInvokeConfig, () => {
  it('leaves the async API off for real Bedrock without a bucket', () => {
    expect(asyncInvokeConfig({}, false)).toBeUndefined();
  });

  it('runs it on the local endpoint’s S3 in the embedded default', () => {
    expect(asyncInvokeConfig({}, true)).toMatchObject({
      bucket: LOCAL_ASYNC_BUCKET,
      local: true,
      prefix: 'nova-cost/async/',
      onDemandTier: 'flex',
    });
  });

  it('takes the bucket, role, prefix, endpoint and queue tuning from the environment', () => {
    const config = asyncInvokeConfig(
      {
        ...ENABLED,
        NOVA_COST_ASYNC_PREFIX: 'team-a/',
        NOVA_COST_S3_ENDPOINT: 'http://127.0.0.1:4011',
        NOVA_COST_ASYNC_MAX_WAIT_MS: '60000',
        NOVA_COST_ASYNC_MIN_RECORDS: '1000',
        NOVA_COST_ASYNC_STOP_LEAD_MS: '600000',
        NOVA_COST_ASYNC_ON_DEMAND_TIER: 'standard',
      },
      false,
    );
    expect(config).toEqual({
      bucket: 'my-async-bucket',
      roleArn: ENABLED.NOVA_COST_ASYNC_ROLE_ARN,
      prefix: 'team-a/',
      s3Endpoint: 'http://127.0.0.1:4011',
      local: false,
      onDemandTier: 'standard',
      queue: { maxWaitMs: 60000, minRecords: 1000, stopLeadMs: 600000 },
    });
  });

  it.each([
    [
      { NOVA_COST_ASYNC_BUCKET: 'my-async-bucket' },
      /NOVA_COST_ASYNC_ROLE_ARN must be set together with NOVA_COST_ASYNC_BUCKET/,
    ],
    [
      { NOVA_COST_ASYNC_ROLE_ARN: ENABLED.NOVA_COST_ASYNC_ROLE_ARN },
      /NOVA_COST_ASYNC_BUCKET must be set together with NOVA_COST_ASYNC_ROLE_ARN/,
    ],
    [{ ...ENABLED, NOVA_COST_ASYNC_BUCKET: 'Not_A_Bucket' }, /NOVA_COST_ASYNC_BUCKET must be an S3 bucket name/],
    [{ ...ENABLED, NOVA_COST_ASYNC_ROLE_ARN: 'batch-role' }, /NOVA_COST_ASYNC_ROLE_ARN must be an IAM role ARN/],
    [{ ...ENABLED, NOVA_COST_ASYNC_PREFIX: 'no-slash' }, /NOVA_COST_ASYNC_PREFIX must be empty or end with "\/"/],
    [
      { ...ENABLED, NOVA_COST_ASYNC_ON_DEMAND_TIER: 'priority' },
      /NOVA_COST_ASYNC_ON_DEMAND_TIER must be flex or standard/,
    ],
    [{ ...ENABLED, NOVA_COST_ASYNC_TICK_MS: '0' }, /NOVA_COST_ASYNC_TICK_MS must be an integer from 1 to/],
    [
      { ...ENABLED, NOVA_COST_S3_ENDPOINT: 'localhost:4011' },
      /NOVA_COST_S3_ENDPOINT must be an http:\/\/ or https:\/\/ URL/,
    ],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => asyncInvokeConfig(env, false)).toThrow(message);
  });
});

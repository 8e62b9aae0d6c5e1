import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_PRICES, StaticPricingCatalog } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../testing/log-files';
import { loadPriceTable, loadReportPolicy } from './load-report-config';

async function file(content: unknown): Promise<string> {
  const path = join(await tempDir(), 'f.json');
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const pricing = new StaticPricingCatalog();

describe(loadReportPolicy, () => {
  it("reads the policy of the gateway's tenants document, ignoring its credentials, and the report's identity rules", async () => {
    const path = await file({
      tenants: [{ id: 'a', apiKeys: ['secret-key-1'] }],
      policy: { cache: { defaultTtlSeconds: 60 } },
      identities: [{ match: 'arn:*', tenant: 'a', lane: 'deferrable' }],
    });
    expect(loadReportPolicy(path, pricing)).toEqual({
      rules: { cache: { defaultTtlSeconds: 60 } },
      identities: [{ match: 'arn:*', tenant: 'a', lane: 'deferrable' }],
    });
  });

  it("reads the batch job queue's settings", async () => {
    const path = await file({
      policy: {},
      batchJobs: { minRecords: 1000, maxWaitMs: 60_000, onDemandTier: 'standard' },
    });
    expect(loadReportPolicy(path, pricing).batch).toEqual({
      minRecords: 1000,
      maxWaitMs: 60_000,
      onDemandTier: 'standard',
    });
  });

  it('reads a bare policy object', async () => {
    expect(loadReportPolicy(await file({ region: 'ap-northeast-1' }), pricing)).toEqual({
      rules: { region: 'ap-northeast-1' },
      identities: [],
    });
  });

  it('uses the domain defaults without a file', () => {
    expect(loadReportPolicy(undefined, pricing)).toEqual({ rules: {}, identities: [] });
  });

  it.each([
    [
      { policy: { routes: [{ name: 'r', from: ['amazon.nova-lite-v1:0'], to: 'amazon.nova-pro-v1:0' }] } },
      /route "r" sends amazon\.nova-lite-v1:0 to amazon\.nova-pro-v1:0, which costs more per token/,
    ],
    [{ policy: { budget: {} } }, /policy\.budget is not a policy field/],
    [{ identities: [{ match: '*', lane: 'later' }] }, /identities\[0\]\.lane must be interactive or deferrable/],
    [{ identities: [{ match: '*', tenants: 'x' }] }, /identities\[0\]\.tenants is not an identity rule field/],
    ['{"policy": ', /is not valid JSON \(at position \d+\)|is not valid JSON/],
    [{ batchJobs: { minRecords: 0 } }, /batchJobs\.minRecords must be an integer >= 1, got 0/],
    [{ batchJobs: { minRecord: 10 } }, /batchJobs\.minRecord is not a batch job setting/],
    [{ batchJobs: { onDemandTier: 'priority' } }, /batchJobs\.onDemandTier must be "flex" or "standard"/],
    [{ batchJobs: { minRecords: 10, maxRecords: 5 } }, /batchJobs\.maxRecords must be at least minRecords \(10\)/],
  ])('refuses %o naming the file and the path', async (content, message) => {
    const path = await file(content);
    expect(() => loadReportPolicy(path, pricing)).toThrow(message);
    expect(() => loadReportPolicy(path, pricing)).toThrow(path);
  });
});

describe(loadPriceTable, () => {
  it('replaces the rows it gives and keeps the others', async () => {
    const row = {
      modelId: 'amazon.nova-lite-v1:0',
      region: 'us-east-1',
      inputPer1M: 0.05,
      outputPer1M: 0.2,
      source: 'our contract',
      asOf: '2026-01-01',
    };
    const table = loadPriceTable(await file({ prices: [row] }));
    expect(table).toHaveLength(DEFAULT_PRICES.length);
    expect(
      new StaticPricingCatalog(table).price({ modelId: 'amazon.nova-lite-v1:0', region: 'us-east-1' }),
    ).toMatchObject({ inputPer1M: 0.05, cacheReadPer1M: 0, source: 'our contract' });
  });

  it('adds a region', async () => {
    const row = {
      modelId: 'amazon.nova-lite-v1:0',
      region: 'eu-west-1',
      inputPer1M: 0.07,
      outputPer1M: 0.28,
      source: 's',
      asOf: '2026-01-01',
    };
    expect(loadPriceTable(await file([row]))).toHaveLength(DEFAULT_PRICES.length + 1);
  });

  it('refuses a row without a source, naming the row', async () => {
    const path = await file([
      { modelId: 'm.x-v1:0', region: 'us-east-1', inputPer1M: 1, outputPer1M: 1, asOf: '2026-01-01' },
    ]);
    expect(() => loadPriceTable(path)).toThrow(
      `prices file ${path}: prices[0].source must say where the price was read`,
    );
  });
});

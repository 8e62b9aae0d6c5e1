import type { ApplyGuardrailCommandInput } from '@aws-sdk/client-bedrock-runtime';
import {
  ApplyGuardrailCommand,
  BedrockRuntimeClient,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config/load-config';
import type { Gateway } from './gateway';
import { startGateway } from './gateway';
import { createLogger } from './observability/logger';
import { onAnswerHeaders, rejection } from './testing/sdk-probes';

const DEMO = { accessKeyId: 'demo', secretAccessKey: 'demo-secret' };
/** The local guardrail bills content, topic and PII filters (and the free word filter) a unit per 1,000 characters. */
const USD_PER_UNIT = (0.15 + 0.15 + 0.1) / 1000;

let gateway: Gateway;
let sdk: BedrockRuntimeClient;
/** The x-nova-cost-cache and x-nova-cost-usd headers of every answer the SDK client got, in order. */
const answers: { cache: string; usd: string }[] = [];

let n = 0;
/** An ApplyGuardrail input no other test sends: `units` text units of harmless text. */
const check = (units = 1, change: Partial<ApplyGuardrailCommandInput> = {}): ApplyGuardrailCommandInput => ({
  guardrailIdentifier: 'gr1',
  guardrailVersion: '1',
  source: 'INPUT',
  content: [{ text: { text: `check ${(n += 1)} `.padEnd(units * 1000 - 10, '.') } }],
  ...change,
});

beforeAll(async () => {
  gateway = await startGateway({ ...loadConfig({}), port: 0 }, { logger: createLogger('silent'), emfIntervalMs: 0 });
  sdk = new BedrockRuntimeClient({ endpoint: gateway.url, region: 'us-east-1', credentials: DEMO, maxAttempts: 1 });
  onAnswerHeaders(sdk, (headers) =>
    answers.push({ cache: headers['x-nova-cost-cache'] ?? 'none', usd: headers['x-nova-cost-usd'] ?? 'none' }),
  );
});
afterAll(async () => {
  sdk.destroy();
  await gateway.shutdown();
});
beforeEach(() => {
  gateway.localBedrock!.configure({ faults: { failFirst: 0 } });
  gateway.localBedrock!.reset();
  answers.length = 0;
});

async function costs(): Promise<{ byModel: { key: string; calls: number; costUsd: number; savedUsd: number }[] }> {
  const res = await fetch(`${gateway.url}/costs`, { headers: { 'x-api-key': 'demo-key' } });
  return (await res.json()) as { byModel: { key: string; calls: number; costUsd: number; savedUsd: number }[] };
}

describe('ApplyGuardrail through the gateway (AWS SDK ApplyGuardrailCommand)', () => {
  it('applies the guardrail on a miss, priced per text unit, then answers the same content from the cache for free', async () => {
    const input = check(2);
    const first = await sdk.send(new ApplyGuardrailCommand(input));
    const second = await sdk.send(new ApplyGuardrailCommand(input));
    expect(first.action).toBe('NONE');
    expect(first.usage).toMatchObject({ contentPolicyUnits: 2, topicPolicyUnits: 2 });
    const { $metadata: _a, ...firstBody } = first;
    const { $metadata: _b, ...secondBody } = second;
    expect(secondBody).toEqual(firstBody);
    expect(answers.map((a) => a.cache)).toEqual(['miss', 'hit']);
    expect(Number(answers[0]!.usd)).toBeCloseTo(2 * USD_PER_UNIT, 10);
    expect(answers[1]!.usd).toBe('0.00000000');
    expect(gateway.localBedrock!.stats().guardrailCalls).toBe(1);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/nova_cost_requests_total\{route="apply-guardrail",status="200",cache="hit"\} \d+/);
    expect(metrics).toMatch(/nova_cost_cost_usd_total\{model="guardrail"\} [0-9.e-]+/);
  });

  it('records each call in /costs under guardrail/<id>: the miss as spend, the hit as saving', async () => {
    const before = (await costs()).byModel.find((g) => g.key === 'guardrail/costed');
    const input = check(1, { guardrailIdentifier: 'costed' });
    await sdk.send(new ApplyGuardrailCommand(input));
    await sdk.send(new ApplyGuardrailCommand(input));
    await expect
      .poll(async () => (await costs()).byModel.find((g) => g.key === 'guardrail/costed')?.calls)
      .toBe((before?.calls ?? 0) + 2);
    const group = (await costs()).byModel.find((g) => g.key === 'guardrail/costed')!;
    expect(group.costUsd - (before?.costUsd ?? 0)).toBeCloseTo(USD_PER_UNIT, 10);
    expect(group.savedUsd - (before?.savedUsd ?? 0)).toBeCloseTo(USD_PER_UNIT, 10);
  });

  it('makes one upstream call for 20 identical checks in flight at once, the others coalesced or hits', async () => {
    const input = check(1);
    const release = gateway.localBedrock!.hold();
    const all = Promise.all(Array.from({ length: 20 }, () => sdk.send(new ApplyGuardrailCommand(input))));
    await expect.poll(() => gateway.localBedrock!.stats().guardrailCalls).toBe(1);
    release();
    const results = await all;
    expect(new Set(results.map(({ $metadata: _, ...body }) => JSON.stringify(body))).size).toBe(1);
    expect(gateway.localBedrock!.stats().guardrailCalls).toBe(1);
    expect(answers.filter((a) => a.cache === 'miss')).toHaveLength(1);
    expect(answers.filter((a) => a.cache === 'coalesced' || a.cache === 'hit')).toHaveLength(19);
    // Billed once: the miss; the others cost nothing.
    expect(answers.filter((a) => a.usd !== '0.00000000')).toHaveLength(1);
  });

  it('passes an intervention as Bedrock answered it, and caches it like any assessment', async () => {
    const input = check(1, { content: [{ text: { text: `a forbidden subject ${(n += 1)}` } }] });
    const first = await sdk.send(new ApplyGuardrailCommand(input));
    const second = await sdk.send(new ApplyGuardrailCommand(input));
    expect(first.action).toBe('GUARDRAIL_INTERVENED');
    expect(second.outputs).toEqual(first.outputs);
    expect(answers.map((a) => a.cache)).toEqual(['miss', 'hit']);
  });

  it('takes a guardrail addressed by its ARN (one encoded path segment), recorded by its id', async () => {
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:guardrail/byarn';
    expect((await sdk.send(new ApplyGuardrailCommand(check(1, { guardrailIdentifier: arn })))).action).toBe('NONE');
    await expect.poll(async () => (await costs()).byModel.some((g) => g.key === 'guardrail/byarn')).toBe(true);
  });

  it('does not cache the DRAFT version, which changes whenever the guardrail is edited', async () => {
    const input = check(1, { guardrailVersion: 'DRAFT' });
    await sdk.send(new ApplyGuardrailCommand(input));
    await sdk.send(new ApplyGuardrailCommand(input));
    expect(answers.map((a) => a.cache)).toEqual(['bypass', 'bypass']);
    expect(gateway.localBedrock!.stats().guardrailCalls).toBe(2);
  });

  it("answers Bedrock's error as Bedrock sent it, which the SDK raises as its own exception", async () => {
    gateway.localBedrock!.configure({
      faults: {
        failFirst: 1,
        failFirstWith: { status: 429, type: 'ThrottlingException', message: 'Too many guardrails' },
      },
    });
    const error = await rejection(sdk.send(new ApplyGuardrailCommand(check())));
    expect(error).toBeInstanceOf(ThrottlingException);
    expect(error.message).toBe('Too many guardrails');
  });

  it('refuses a body Bedrock would refuse with a 400 naming the field, without calling it', async () => {
    const error = await rejection(sdk.send(new ApplyGuardrailCommand(check(1, { content: [] }))));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toMatch(/content/);
    const res = await fetch(`${gateway.url}/guardrail/gr1/version/1/apply`, {
      method: 'POST',
      headers: { 'x-api-key': 'demo-key', 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'SIDEWAYS', content: [{ text: { text: 'hi' } }] }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { kind: 'validation', details: { field: 'source' } } });
    const version = await fetch(`${gateway.url}/guardrail/gr1/version/latest/apply`, {
      method: 'POST',
      headers: { 'x-api-key': 'demo-key', 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'INPUT', content: [{ text: { text: 'hi' } }] }),
    });
    expect(await version.json()).toMatchObject({ error: { details: { field: 'guardrailVersion' } } });
    expect(gateway.localBedrock!.stats().guardrailCalls).toBe(0);
  });

  it('refuses a caller without credentials (401) before calling Bedrock', async () => {
    const res = await fetch(`${gateway.url}/guardrail/gr1/version/1/apply`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'INPUT', content: [{ text: { text: 'hi' } }] }),
    });
    expect(res.status).toBe(401);
    expect(gateway.localBedrock!.stats().guardrailCalls).toBe(0);
  });
});

describe('ApplyGuardrail priced by the price file (NOVA_COST_PRICES guardrailPrices)', () => {
  let priced: Gateway;
  beforeAll(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'nova-cost-guardrail-prices-')), 'prices.json');
    // Content filters at $1 per 1,000 units; the other rates of the region as in the built-in table.
    writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        guardrailPrices: [{ region: 'us-east-1', contentPer1KUnits: 1, source: 'agreement', asOf: '2026-11-01' }],
      }),
    );
    priced = await startGateway(
      { ...loadConfig({ NOVA_COST_PRICES: file }), port: 0 },
      { logger: createLogger('silent'), emfIntervalMs: 0 },
    );
  });
  afterAll(async () => {
    await priced?.shutdown();
  });

  it('bills the text units at the rates of the file, the rates it leaves out at the built-in ones', async () => {
    const res = await fetch(`${priced.url}/guardrail/gr1/version/1/apply`, {
      method: 'POST',
      headers: { 'x-api-key': 'demo-key', 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'INPUT', content: [{ text: { text: 'priced '.padEnd(2000, '.') } }] }),
    });
    expect(res.status).toBe(200);
    // 2 units × ($1 content + $0.15 topics + $0.10 PII) per 1,000.
    expect(Number(res.headers.get('x-nova-cost-usd'))).toBeCloseTo((2 * (1 + 0.15 + 0.1)) / 1000, 10);
  });
});

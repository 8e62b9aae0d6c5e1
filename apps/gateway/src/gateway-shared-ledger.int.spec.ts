import type { TestRedis } from '@nova-cost/testing';
import { startTestRedis } from '@nova-cost/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config/load-config';
import type { Gateway } from './gateway';
import { startGateway } from './gateway';
import { createLogger } from './observability/logger';

const silent = createLogger('silent');
const HEADERS = { 'x-api-key': 'demo-key', 'content-type': 'application/json' };
const converse = (gateway: Gateway, text: string) =>
  fetch(`${gateway.url}/model/amazon.nova-lite-v1%3A0/converse`, {
    method: 'POST',
    headers: HEADERS,
    // temperature 0.7: not cacheable, every call is billed.
    body: JSON.stringify({
      messages: [{ role: 'user', content: [{ text }] }],
      inferenceConfig: { temperature: 0.7, maxTokens: 50 },
    }),
  });
// Deterministic and never cut short (answers run 12 to 120 tokens): every repeat is a cache hit, which costs nothing
// yet still reserves its worst case (120 output tokens) against the budget.
const probe = (gateway: Gateway) =>
  fetch(`${gateway.url}/model/amazon.nova-lite-v1%3A0/converse`, {
    method: 'POST',
    headers: HEADERS,
    body: JSON.stringify({
      messages: [{ role: 'user', content: [{ text: 'budget probe' }] }],
      inferenceConfig: { temperature: 0, maxTokens: 120 },
    }),
  });
const costs = async (gateway: Gateway) => {
  const response = await fetch(`${gateway.url}/costs`, { headers: HEADERS });
  return { status: response.status, body: (await response.json()) as { total: { calls: number; costUsd: number } } };
};

describe('two gateway processes sharing Redis keep one spend ledger', () => {
  let redis: TestRedis;
  let a: Gateway;
  let b: Gateway;
  beforeAll(async () => {
    redis = await startTestRedis({ controllable: true });
    // A daily budget of about a dozen calls of Nova Lite with 50 output tokens at most.
    const config = {
      ...loadConfig({ REDIS_URL: redis.url }),
      policy: { budgets: { default: { dailyUsd: 0.0001 } } },
      port: 0,
    };
    a = await startGateway(config, { logger: silent, emfIntervalMs: 0 });
    b = await startGateway(config, { logger: silent, emfIntervalMs: 0 });
    // The ledgers connect in the background: /costs answers 200 once Redis does.
    for (const gateway of [a, b]) {
      for (const until = Date.now() + 100_000; (await costs(gateway)).status !== 200;) {
        if (Date.now() > until) throw new Error('the shared ledger did not answer within 100 s');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });
  afterAll(async () => {
    await a?.shutdown();
    await b?.shutdown();
    await redis?.close();
  });

  it("shows the spend one process billed in the other one's /costs, and the budget it used up refuses calls to the other", async () => {
    // B checks the budget first, so it holds its own reading of the spend; it must re-read the shared ledger.
    const early = await converse(b, 'an early call on the other task');
    expect(early.status).toBe(200);
    let billedUsd = Number(early.headers.get('x-nova-cost-usd'));
    let refused: Response | undefined;
    for (let n = 0; n < 50 && !refused; n++) {
      const response = await converse(a, `spend question ${n}`);
      if (response.status === 200) billedUsd += Number(response.headers.get('x-nova-cost-usd'));
      else refused = response;
    }
    expect(refused?.status).toBe(429);
    expect(billedUsd).toBeGreaterThan(0);

    // A writes its entries every 200 ms, off the answer path: B sees them once written.
    await expect.poll(async () => (await costs(b)).body.total.costUsd, { timeout: 10_000 }).toBeCloseTo(billedUsd, 10);
    // Within about a second B re-reads the ledger and refuses too. The probe is a cache hit after its first call, so
    // B's own spend cannot be what exhausts the budget: only A's, seen through the shared ledger.
    let other = await probe(b);
    for (let n = 0; other.status === 200 && n < 50; n++) {
      await new Promise((r) => setTimeout(r, 200));
      other = await probe(b);
    }
    expect(other.status).toBe(429);
    expect(await other.json()).toMatchObject({ error: { kind: 'budget-exceeded' } });
  });
});

describe('a gateway whose Redis is gone at shutdown', () => {
  it('logs the spend it could not write, with its count and amount, instead of dropping it silently', async () => {
    const redis = await startTestRedis({ controllable: true });
    const lines: string[] = [];
    const sink = { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream;
    const gateway = await startGateway(
      { ...loadConfig({ REDIS_URL: redis.url }), port: 0, drainDeadlineMs: 2_000 },
      { logger: createLogger('info', sink), emfIntervalMs: 0 },
    );
    try {
      for (const until = Date.now() + 15_000; (await costs(gateway)).status !== 200 && Date.now() < until;)
        await new Promise((r) => setTimeout(r, 100));
      await redis.stop();
      let billedUsd = 0;
      for (let n = 0; n < 3; n++)
        billedUsd += Number((await converse(gateway, `spend lost at shutdown ${n}`)).headers.get('x-nova-cost-usd'));
      await gateway.shutdown();
      const report = lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l['msg'] === 'spend ledger could not write entries to Redis');
      expect(report).toMatchObject({ level: 50, lostEntries: 3, reason: 'shutdown' });
      expect(report?.['lostUsd']).toBeCloseTo(billedUsd, 12);
    } finally {
      await redis.close();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config/load-config';
import type { Gateway } from './gateway';
import { startGateway } from './gateway';
import { createLogger } from './observability/logger';
import { gauge } from './testing/gateway-probes';

const MODEL = 'amazon.nova-lite-v1:0';
/** About 1 MB of tool results (structure-heavy: walking it costs most), deterministic, so cacheable. */
const toolResults = (tag: string) =>
  JSON.stringify({
    messages: [
      {
        role: 'user',
        content: [
          { text: `summarise the results ${tag}` },
          ...Array.from({ length: 5_000 }, (_, j) => ({
            toolResult: {
              toolUseId: `t${j}`,
              content: [{ json: { id: j, values: [1, 2, 3], name: 'x'.repeat(120) } }],
            },
          })),
        ],
      },
    ],
    inferenceConfig: { temperature: 0, maxTokens: 40 },
  });

/** About 400 KB of text for ApplyGuardrail: 400 text units in 20 blocks. */
const guardrailCheck = (tag: string) =>
  JSON.stringify({
    source: 'INPUT',
    content: Array.from({ length: 20 }, (_, i) => ({ text: { text: `${tag} ${i} `.padEnd(20_000, 'lorem ipsum ') } })),
  });

async function post(gateway: Gateway, path: string, body: string) {
  const response = await fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { 'x-api-key': 'demo-key', 'content-type': 'application/json' },
    body,
  });
  return {
    status: response.status,
    cache: response.headers.get('x-nova-cost-cache'),
    usd: response.headers.get('x-nova-cost-usd'),
    json: (await response.json()) as {
      output?: unknown;
      message?: string;
      error?: { kind: string };
      invocationArn?: string;
      usage?: unknown;
    },
  };
}

const converse = (gateway: Gateway, body: string) => post(gateway, `/model/${MODEL}/converse`, body);
const applyGuardrail = (gateway: Gateway, body: string) => post(gateway, '/guardrail/gr1/version/1/apply', body);
const startAsyncInvoke = (gateway: Gateway, body: string) => post(gateway, '/async-invoke', body);

describe('large request bodies', () => {
  let offThread: Gateway;
  let inline: Gateway;
  beforeAll(async () => {
    const logger = createLogger('silent');
    offThread = await startGateway({ ...loadConfig({ PORT: '0' }) }, { logger, emfIntervalMs: 0 });
    inline = await startGateway(
      { ...loadConfig({ PORT: '0', BODY_OFF_THREAD_BYTES: '0' }) },
      { logger, emfIntervalMs: 0 },
    );
  });
  afterAll(async () => {
    await offThread?.shutdown();
    await inline?.shutdown();
  });

  it('walks a body above BODY_OFF_THREAD_BYTES off the event loop, and answers, bills and caches it as inline', async () => {
    const body = toolResults('a');
    expect(body.length).toBeGreaterThan(256 * 1024);
    const [off, on] = [await converse(offThread, body), await converse(inline, body)];
    expect(off).toMatchObject({ status: 200, cache: 'miss' });
    // The same answer at the same price: the token estimate and the request key are the same whichever thread made them.
    expect({ ...off, json: off.json.output }).toEqual({ ...on, json: on.json.output });
    expect(await gauge(offThread.url, 'nova_cost_bodies_parsed_off_thread_total')).toBe(1);
    expect(await gauge(inline.url, 'nova_cost_bodies_parsed_off_thread_total')).toBe(0);
    // The key made off the event loop is the key: the same body again is a hit.
    expect(await converse(offThread, body)).toMatchObject({ status: 200, cache: 'hit' });
  });

  it('walks a large ApplyGuardrail body off the event loop, and answers, bills and caches it as inline', async () => {
    const body = guardrailCheck('a');
    expect(body.length).toBeGreaterThan(256 * 1024);
    const before = await gauge(offThread.url, 'nova_cost_bodies_parsed_off_thread_total');
    const [off, on] = [await applyGuardrail(offThread, body), await applyGuardrail(inline, body)];
    expect(off).toMatchObject({ status: 200, cache: 'miss', json: { usage: { contentPolicyUnits: 400 } } });
    expect(off).toEqual(on);
    expect(await gauge(offThread.url, 'nova_cost_bodies_parsed_off_thread_total')).toBe(before + 1);
    // The cache key's digest made off the event loop is the key: the same content again is a hit.
    expect(await applyGuardrail(offThread, body)).toMatchObject({ status: 200, cache: 'hit', usd: '0.00000000' });
    expect(await gauge(offThread.url, 'nova_cost_bodies_parsed_off_thread_total')).toBe(before + 2);
  });

  it('walks a large StartAsyncInvoke body off the event loop and accepts it', async () => {
    const body = JSON.stringify({ modelId: MODEL, modelInput: JSON.parse(toolResults('async')) });
    const before = await gauge(offThread.url, 'nova_cost_bodies_parsed_off_thread_total');
    const answer = await startAsyncInvoke(offThread, body);
    expect(answer).toMatchObject({ status: 200, json: { invocationArn: expect.stringMatching(/:async-invoke\//) } });
    expect(await gauge(offThread.url, 'nova_cost_bodies_parsed_off_thread_total')).toBe(before + 1);
  });

  it.each([
    ['not JSON', `${toolResults('b').slice(0, -1)},`, /request body is not valid JSON/],
    [
      'nested too deep',
      `{"messages":${'['.repeat(100)}${' '.repeat(300_000)}${']'.repeat(100)}}`,
      /deeper than 64 levels/,
    ],
    ['not an object', JSON.stringify([toolResults('c')]), /request body must be a JSON object/],
  ])(
    'refuses a large body %s with the 400 a small one gets, on every route that takes one',
    async (_, body, message) => {
      const refusal = { status: 400, json: { message: expect.stringMatching(message), error: { kind: 'validation' } } };
      expect(await converse(offThread, body)).toMatchObject(refusal);
      expect(await applyGuardrail(offThread, body)).toMatchObject(refusal);
      expect(await startAsyncInvoke(offThread, body)).toMatchObject(refusal);
    },
  );
});

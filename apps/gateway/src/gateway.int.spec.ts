import { BedrockRuntimeClient, ConverseCommand, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { connect } from 'node:http2';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from './gateway';
import { startGateway } from './gateway';
import { loadConfig } from './config/load-config';
import { createLogger } from './observability/logger';
import { onAnswerHeaders } from './testing/sdk-probes';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field below
type AnyJson = any;

const MODEL = 'amazon.nova-lite-v1:0';
const deterministic = (text: string) => ({
  modelId: MODEL,
  messages: [{ role: 'user' as const, content: [{ text }] }],
  inferenceConfig: { temperature: 0, maxTokens: 1000 },
});

function sdk(gateway: Gateway, secret = 'demo-secret'): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    endpoint: gateway.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'demo', secretAccessKey: secret },
    maxAttempts: 1,
  });
}

/** Captures the x-nova-cost-* headers of the SDK's last response. */
function withHeaders(client: BedrockRuntimeClient): { last: Record<string, string> } {
  const seen = { last: {} as Record<string, string> };
  onAnswerHeaders(client, (headers) => (seen.last = headers));
  return seen;
}

function replayOverHttp2(
  url: string,
  path: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; json(): Promise<unknown> }> {
  return new Promise((resolve, reject) => {
    const session = connect(url);
    session.on('error', reject);
    const { ':authority': _authority, ...rest } = headers;
    const stream = session.request({ ':method': 'POST', ':path': path, ...rest });
    let status = 0;
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      session.close();
      const text = Buffer.concat(chunks).toString();
      resolve({ status, json: async () => JSON.parse(text) });
    });
    stream.end(body);
  });
}

describe('gateway (embedded default) with the real AWS SDK', () => {
  let gateway: Gateway;
  const logs: string[] = [];

  beforeAll(async () => {
    const sink = { write: (line: string) => logs.push(line) } as unknown as NodeJS.WritableStream;
    gateway = await startGateway(
      { ...loadConfig({}), port: 0 },
      { logger: createLogger('info', sink), emfIntervalMs: 200 },
    );
  });
  afterAll(() => gateway.shutdown());

  it('serves a repeated deterministic Converse from cache: one upstream call, the saving on /costs', async () => {
    const client = sdk(gateway);
    const seen = withHeaders(client);
    const first = await client.send(new ConverseCommand(deterministic('cache me')));
    expect(seen.last).toMatchObject({ 'x-nova-cost-cache': 'miss', 'x-nova-cost-model': MODEL });
    expect(Number(seen.last['x-nova-cost-usd'])).toBeGreaterThan(0);
    const before = gateway.localBedrock!.stats().calls;
    const second = await client.send(new ConverseCommand(deterministic('cache me')));
    expect(seen.last).toMatchObject({ 'x-nova-cost-cache': 'hit', 'x-nova-cost-usd': '0.00000000' });
    expect(Number(seen.last['x-nova-cost-saved-usd'])).toBeGreaterThan(0);
    expect(second.output).toEqual(first.output);
    expect(gateway.localBedrock!.stats().calls).toBe(before);

    const costs = (await (
      await fetch(`${gateway.url}/costs`, { headers: { 'x-api-key': 'demo-key' } })
    ).json()) as AnyJson;
    expect(costs.tenantId).toBe('demo');
    expect(costs.total.savedByStrategy.cache).toBeCloseTo(Number(seen.last['x-nova-cost-saved-usd']), 8);
    const text = JSON.stringify(costs);
    expect(text, 'dollar sums are rounded, not float noise').not.toMatch(/\.\d{13,}/);
    expect(costs.byStrategy.map((g: { key: string }) => g.key)).toContain('cache');
    expect(costs.byModel[0].key).toBe(MODEL);
    expect(costs.byCategory[0].key).toBe('bedrock');
    expect(costs.byDay[0].key).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('forwards a model outside the catalog, and records it unpriced with its tokens, apart in /costs and the metrics', async () => {
    const client = sdk(gateway);
    const seen = withHeaders(client);
    const model = 'writer.palmyra-x5-v1:0';
    const out = await client.send(new ConverseCommand({ ...deterministic('a model we do not price'), modelId: model }));
    expect(out.output?.message?.content?.[0]?.text).toEqual(expect.any(String));
    expect(seen.last).toMatchObject({
      'x-nova-cost-cache': 'miss',
      'x-nova-cost-model': model,
      'x-nova-cost-usd': 'unpriced',
      'x-nova-cost-saved-usd': 'unpriced',
    });
    const costs = (await (
      await fetch(`${gateway.url}/costs`, { headers: { 'x-api-key': 'demo-key' } })
    ).json()) as AnyJson;
    expect(costs.unpriced).toEqual([
      { modelId: model, calls: 1, inputTokens: out.usage!.inputTokens, outputTokens: out.usage!.outputTokens },
    ]);
    expect(costs.byModel.find((g: { key: string }) => g.key === model)).toMatchObject({
      costUsd: 0,
      unpriced: { calls: 1 },
    });
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toContain(`nova_cost_unpriced_calls_total{model="${model}"} 1`);
    expect(metrics).toContain(
      `nova_cost_unpriced_tokens_total{model="${model}",direction="output"} ${out.usage!.outputTokens}`,
    );
  });

  it('serves a repeated deterministic request whose answer was truncated (max_tokens) from the cache', async () => {
    const client = sdk(gateway);
    const seen = withHeaders(client);
    const truncated = {
      ...deterministic('a long essay, cut short'),
      inferenceConfig: { temperature: 0, maxTokens: 3 },
    };
    const first = await client.send(new ConverseCommand(truncated));
    expect(first.stopReason).toBe('max_tokens');
    expect(seen.last['x-nova-cost-cache']).toBe('miss');
    const second = await client.send(new ConverseCommand(truncated));
    expect(seen.last['x-nova-cost-cache']).toBe('hit');
    expect(second.output).toEqual(first.output);
    await client.send(new ConverseCommand({ ...truncated, inferenceConfig: { temperature: 0, maxTokens: 4 } }));
    expect(seen.last['x-nova-cost-cache'], 'another cap is another request').toBe('miss');
  });

  it('answers InvokeModel with the model body and cost headers', async () => {
    const client = sdk(gateway);
    const seen = withHeaders(client);
    const out = await client.send(
      new InvokeModelCommand({
        modelId: MODEL,
        contentType: 'application/json',
        body: JSON.stringify({
          messages: [{ role: 'user', content: [{ text: 'hi' }] }],
          inferenceConfig: { maxTokens: 20 },
        }),
      }),
    );
    const body = JSON.parse(new TextDecoder().decode(out.body));
    expect(body.output.message.role).toBe('assistant');
    expect(seen.last['x-nova-cost-cache']).toMatch(/^(miss|bypass)$/);
  });

  it('passes a Converse image the SDK sends through to Bedrock as the same bytes', async () => {
    const png = new Uint8Array(
      Buffer.from(
        'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
        'base64',
      ),
    );
    const withImage = (bytes: Uint8Array) =>
      new ConverseCommand({
        modelId: MODEL,
        messages: [
          { role: 'user', content: [{ text: 'what is this?' }, { image: { format: 'png', source: { bytes } } }] },
        ],
      });
    const out = await sdk(gateway).send(withImage(png));
    expect(out.stopReason).toBe('end_turn');
    // Bedrock (here the local endpoint) checks the bytes are the declared format: not-a-PNG is refused.
    await expect(sdk(gateway).send(withImage(new TextEncoder().encode('not a png at all')))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/not a valid png/),
    });
  });

  it('refuses SigV4 signed with a wrong secret (403 the SDK parses)', async () => {
    await expect(sdk(gateway, 'not-the-secret').send(new ConverseCommand(deterministic('x')))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
      message: expect.stringMatching(/signature does not match/),
    });
  });

  it('refuses an unknown access key id, and accepts a validly signed request sent again within the skew window', async () => {
    const client = new BedrockRuntimeClient({
      endpoint: gateway.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'nobody', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    await expect(client.send(new ConverseCommand(deterministic('x')))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });

    let captured: { path: string; headers: Record<string, string>; body: string } | undefined;
    const ok = sdk(gateway);
    ok.middlewareStack.add(
      (next) => async (args) => {
        const req = args.request as { headers: Record<string, string>; body: string; path: string };
        captured = { path: req.path, headers: { ...req.headers }, body: req.body };
        return next(args);
      },
      { step: 'finalizeRequest', name: 'capture', priority: 'low' },
    );
    await ok.send(new ConverseCommand(deterministic('sent twice')));
    // Sent again over HTTP/2 exactly as signed (the SDK signs :authority there), as Bedrock accepts it: a client that
    // signs no nonce sends identical signatures for identical requests, which are the cache's hits.
    const again = await replayOverHttp2(gateway.url, captured!.path, captured!.headers, captured!.body);
    expect(again.status).toBe(200);
  });

  it('accepts a tenant API key sent as the AWS SDK sends a Bedrock API key (Authorization: Bearer)', async () => {
    const client = new BedrockRuntimeClient({
      endpoint: gateway.url,
      region: 'us-east-1',
      token: { token: 'demo-key' },
      authSchemePreference: ['httpBearerAuth'],
      maxAttempts: 1,
    });
    const out = await client.send(new ConverseCommand(deterministic('bearer')));
    expect(out.output?.message?.role).toBe('assistant');
  });

  it('accepts SigV4 signed over the path as sent (curl --aws-sigv4 style), and refuses it with a wrong secret', async () => {
    const signed = async (secretAccessKey: string) => {
      const url = new URL(`${gateway.url}/model/${MODEL}/converse`);
      const body = JSON.stringify(deterministic('curl style'));
      const signer = new SignatureV4({
        credentials: { accessKeyId: 'demo', secretAccessKey },
        region: 'us-east-1',
        service: 'bedrock',
        sha256: Hash.bind(null, 'sha256'),
        uriEscapePath: false,
      });
      const req = await signer.sign(
        new HttpRequest({
          method: 'POST',
          protocol: 'http:',
          hostname: url.hostname,
          port: Number(url.port),
          path: url.pathname,
          headers: { host: url.host, 'content-type': 'application/json' },
          body,
        }),
      );
      return fetch(url, {
        method: 'POST',
        headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host')),
        body,
      });
    };
    expect((await signed('demo-secret')).status).toBe(200);
    expect((await signed('wrong-secret')).status).toBe(403);
  });

  it('refuses a stale signature', async () => {
    const client = sdk(gateway);
    client.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers['x-amz-date'] = '20200101T000000Z';
        return next(args);
      },
      { step: 'finalizeRequest', name: 'oldDate', priority: 'high' },
    );
    // The SDK signs after our change only if we run before signing; either way the gateway must refuse.
    await expect(client.send(new ConverseCommand(deterministic('old')))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
  });

  describe('having bad input', () => {
    const converse = (model = MODEL) => `/model/${model}/converse`;
    const good = JSON.stringify(deterministic('ok'));
    const cases: [
      string,
      { path: string; method?: string; headers?: Record<string, string>; body?: string },
      number,
      RegExp,
    ][] = [
      ['malformed JSON', { path: converse(), body: '{"messages": [' }, 400, /not valid JSON/],
      [
        'JSON nested 10,000 levels deep',
        {
          path: converse(),
          body: `{"messages":[{"role":"user","content":[{"text":"x"}]}],"additionalModelRequestFields":{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`,
        },
        400,
        /deeper than 64 levels/,
      ],
      ['a JSON array body', { path: converse(), body: '[]' }, 400, /must be a JSON object/],
      [
        'messages of the wrong type',
        { path: converse(), body: '{"messages": "hi"}' },
        400,
        /non-empty "messages" array/,
      ],
      [
        'a message without content',
        { path: converse(), body: '{"messages": [{"role": "user"}]}' },
        400,
        /messages\[0\] must be/,
      ],
      [
        'inferenceConfig of the wrong type',
        { path: converse(), body: '{"messages": [{"role":"user","content":[{"text":"x"}]}], "inferenceConfig": 3}' },
        400,
        /inferenceConfig must be an object/,
      ],
      [
        'a model Bedrock does not have (forwarded: Bedrock says)',
        { path: converse('amazon.nova-nonexistent-v9:0'), body: good },
        400,
        /^The provided model identifier is invalid\.$/,
      ],
      ['a path trick with ..%2F', { path: converse('..%2F..%2Fcosts'), body: good }, 400, /model id must look like/],
      [
        'an encoded slash in the model id',
        { path: converse('amazon.nova-lite-v1%3A0%2F..'), body: good },
        400,
        /model id must look like/,
      ],
      ['bad percent-encoding', { path: converse('%E0%A4%A'), body: good }, 400, /percent-encoding/],
      ['an unknown path', { path: '/model/amazon.nova-lite-v1:0/explode', body: good }, 404, /no route/],
      ['no credentials', { path: converse(), body: good, headers: { 'x-api-key': '' } }, 401, /missing credentials/],
      [
        'a wrong API key',
        { path: converse(), body: good, headers: { 'x-api-key': 'wrong-key' } },
        403,
        /does not name a known API key/,
      ],
      [
        'a garbage Authorization header',
        { path: converse(), body: good, headers: { 'x-api-key': '', authorization: 'Basic ZGVtbzpkZW1v' } },
        403,
        /not an AWS4-HMAC-SHA256 signature/,
      ],
      [
        'a Bearer token that is no API key',
        { path: converse(), body: good, headers: { 'x-api-key': '', authorization: 'Bearer not-a-key' } },
        403,
        /Bearer token does not name a known API key/,
      ],
      [
        'an x-api-key beside an Authorization header',
        { path: converse(), body: good, headers: { authorization: 'Bearer demo-key' } },
        400,
        /two credentials/,
      ],
      [
        'a wrong cache hint',
        { path: converse(), body: good, headers: { 'x-nova-cost-cache-hint': 'always' } },
        400,
        /x-nova-cost-cache-hint must be one of opt-in, opt-out/,
      ],
      [
        'a wrong lane',
        { path: converse(), body: good, headers: { 'x-nova-cost-lane': 'fast' } },
        400,
        /x-nova-cost-lane must be one of/,
      ],
      [
        'a body over the limit',
        { path: converse(), body: 'x'.repeat(11 * 1024 * 1024) },
        413,
        /larger than the 10485760 byte limit/,
      ],
      [
        '/costs without credentials',
        { path: '/costs', method: 'GET', headers: { 'x-api-key': '' } },
        401,
        /missing credentials/,
      ],
      ['/costs with a bad date', { path: '/costs?from=yesterday', method: 'GET' }, 400, /from must be an ISO date/],
    ];
    it.each(cases)('%s → %i with a JSON error naming the problem', async (_name, req, status, message) => {
      const res = await fetch(`${gateway.url}${req.path}`, {
        method: req.method ?? 'POST',
        headers: Object.fromEntries(
          Object.entries({ 'content-type': 'application/json', 'x-api-key': 'demo-key', ...req.headers }).filter(
            ([, v]) => v !== '',
          ),
        ),
        ...(req.body !== undefined ? { body: req.body } : {}),
      });
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toBe('application/json');
      const body = (await res.json()) as AnyJson;
      expect(body.message).toMatch(message);
      expect(body.error.kind).toEqual(expect.any(String));
      expect(res.headers.get('x-amzn-errortype')).toMatch(/Exception$/);
    });

    it('is still healthy after all of it', async () => {
      expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200);
    });
  });

  it('exposes Prometheus metrics: requests, cost, saved cost, cache hit ratio, queue depth', async () => {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    for (const name of [
      'nova_cost_requests_total',
      'nova_cost_cost_usd_total',
      'nova_cost_saved_usd_total',
      'nova_cost_cache_hit_ratio',
      'nova_cost_batch_queue_depth',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/nova_cost_saved_usd_total\{strategy="cache"\} [0-9.e-]+/);
  });

  it('logs EMF lines (cost summed per model each interval) and request ids, never credentials or prompt text', async () => {
    await expect.poll(() => logs.join('')).toMatch(/"Namespace":"NovaCost".*"Model":"[^"]+".*"CostUsd"/);
    const all = logs.join('');
    expect(all).toContain('demo mode');
    expect(all).toMatch(/"requestId":"[0-9a-f-]{36}"/);
    expect(all).not.toContain('not-the-secret');
    expect(all).not.toContain('Signature=');
    expect(all).not.toContain('cache me');
    expect(all).not.toContain('wrong-key');
  });
});

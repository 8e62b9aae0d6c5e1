import type { BedrockRuntimeClientConfig } from '@aws-sdk/client-bedrock-runtime';
import {
  AccessDeniedException,
  BedrockRuntimeClient,
  InvokeModelWithBidirectionalStreamCommand,
  ModelStreamErrorException,
  ModelTimeoutException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { once } from 'node:events';
import { connect } from 'node:http2';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { chunkFrame, codec } from '@nova-cost/event-stream';
import type { SonicUsageTotals } from '@nova-cost/testing';
import { SonicConversation, SonicInput, SonicTranscript } from '@nova-cost/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config/load-config';
import type { Gateway } from './gateway';
import { startGateway } from './gateway';
import { createLogger } from './observability/logger';
import { gauge } from './testing/gateway-probes';
import { rejection } from './testing/sdk-probes';

const SONIC = 'amazon.nova-sonic-v1:0';
const CALM = {
  latency: { fixedMs: 0, perOutputTokenMs: 0 },
  faults: { throttleRate: 0, serverErrorRate: 0, dropRate: 0, slowRate: 0, failFirst: 0, quota: null, midStream: null },
};
const tenant = (id: string) => ({
  id,
  apiKeys: [`${id}-api-key`],
  sigv4: [{ accessKeyId: id, secret: `${id}-secret` }],
});
/** A worst case of 2 speech tokens a second out over 10 s: $0.000272 held; the budget has room for one such hold. */
const TIGHT = {
  maxSeconds: 10,
  worstCaseTokensPerSecond: { speechInput: 0, speechOutput: 2, textInput: 0, textOutput: 0 },
};

let gateway: Gateway;
const clients: BedrockRuntimeClient[] = [];

beforeAll(async () => {
  const document = {
    tenants: ['acme', 'tight', 'capped', 'quick', 'short'].map(tenant),
    policy: {
      budgets: { byTenant: { tight: { dailyUsd: 0.0004 } } },
      sessions: {
        byTenant: {
          tight: TIGHT,
          capped: { maxConcurrent: 1 },
          quick: { idleSeconds: 1 },
          short: { maxSeconds: 1 },
        },
      },
    },
  };
  gateway = await startGateway(
    { ...loadConfig({ NOVA_COST_CONFIG_JSON: JSON.stringify(document) }), port: 0 },
    { logger: createLogger('silent'), emfIntervalMs: 0 },
  );
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await gateway.shutdown();
});
beforeEach(() => {
  gateway.localBedrock!.configure(CALM);
  gateway.localBedrock!.reset();
});

/** The unchanged SDK (its default HTTP/2 handler), signing as `id`, pointed at the gateway. */
function sdk(id: string, config: Partial<BedrockRuntimeClientConfig> = {}): BedrockRuntimeClient {
  const client = new BedrockRuntimeClient({
    endpoint: gateway.url,
    region: 'us-east-1',
    credentials: { accessKeyId: id, secretAccessKey: `${id}-secret` },
    maxAttempts: 1,
    ...config,
  });
  clients.push(client);
  return client;
}

/** A session of one spoken turn: the system prompt, `seconds` of speech; ended once the answer is heard. */
async function spokenTurn(
  client: BedrockRuntimeClient,
  options: { seconds?: number; signal?: AbortSignal; modelId?: string; end?: boolean } = {},
) {
  const talk = new SonicConversation({ maxTokens: 60 });
  const input = new SonicInput();
  input.send([
    ...talk.start(),
    ...talk.text('SYSTEM', 'You are a helpful assistant.'),
    ...talk.audio(options.seconds ?? 1),
  ]);
  const out = await client.send(
    new InvokeModelWithBidirectionalStreamCommand({ modelId: options.modelId ?? SONIC, body: input }),
    options.signal ? { abortSignal: options.signal } : {},
  );
  const transcript = new SonicTranscript();
  const reading = transcript.read(out.body);
  reading.catch(() => undefined);
  if (options.end !== false) {
    // ASR, speculative text, audio, final text: the answer is heard; a stream that breaks first rejects this too.
    void transcript
      .waitFor('contentEnd', 4)
      .then(() => {
        input.send(talk.end());
        input.end();
      })
      .catch(() => undefined);
  }
  return { transcript, reading, input, talk };
}

const SESSION_PATH = `/model/${encodeURIComponent(SONIC)}/invoke-with-bidirectional-stream`;

/** Sends `frames` as a session's body over a raw HTTP/2 stream, never ending it; resolves with the answer. */
async function rawSession(
  headers: Record<string, string>,
  frames: readonly Uint8Array[],
): Promise<{ status: number; body: { message: string; error: { kind: string } } }> {
  const session = connect(gateway.url);
  session.on('error', () => undefined);
  try {
    const stream = session.request({ ':method': 'POST', ':path': SESSION_PATH, ...headers });
    stream.on('error', () => undefined);
    for (const frame of frames) stream.write(frame);
    const [response] = (await once(stream, 'response')) as [Record<string, string | number>];
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    await once(stream, 'close');
    return { status: Number(response[':status']), body: JSON.parse(Buffer.concat(chunks).toString()) };
  } finally {
    session.destroy();
  }
}

/** A request signed as the SDK signs a session, and its events signed one by one, chained; `tamper` alters one. */
async function signedSession(events: readonly object[], tamper?: number) {
  const signer = new SignatureV4({
    credentials: { accessKeyId: 'acme', secretAccessKey: 'acme-secret' },
    region: 'us-east-1',
    service: 'bedrock',
    sha256: Hash.bind(null, 'sha256'),
  });
  const request = await signer.sign(
    new HttpRequest({
      method: 'POST',
      protocol: 'http:',
      hostname: new URL(gateway.url).host,
      path: SESSION_PATH,
      headers: {
        host: new URL(gateway.url).host,
        'content-type': 'application/vnd.amazon.eventstream',
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-EVENTS',
      },
    }),
  );
  const { host: _host, ...headers } = request.headers;
  let prior = /Signature=(\w+)/.exec(headers['authorization']!)![1]!;
  const frames: Uint8Array[] = [];
  for (const [i, event] of events.entries()) {
    const date = new Date();
    const signed = chunkFrame(Buffer.from(JSON.stringify({ event })));
    const { signature } = await signer.signMessage(
      { message: { headers: { ':date': { type: 'timestamp', value: date } }, body: signed }, priorSignature: prior },
      { signingDate: date },
    );
    prior = signature;
    const sent = i === tamper ? chunkFrame(Buffer.from(JSON.stringify({ event: { sessionEnd: {} } }))) : signed;
    frames.push(
      codec.encode({
        headers: {
          ':date': { type: 'timestamp', value: date },
          ':chunk-signature': { type: 'binary', value: new Uint8Array(Buffer.from(signature, 'hex')) },
        },
        body: sent,
      }),
    );
  }
  return { headers, frames };
}

/** What a tenant's sessions cost, from the gateway's /costs. */
async function costs(id: string): Promise<{ total: { calls: number; costUsd: number }; byModel: { key: string }[] }> {
  const res = await fetch(`${gateway.url}/costs`, { headers: { 'x-api-key': `${id}-api-key` } });
  return (await res.json()) as { total: { calls: number; costUsd: number }; byModel: { key: string }[] };
}

/** Nova Sonic in us-east-1, by hand from the price table: text 0.06 in, 0.24 out; speech 3.4 in, 13.6 out per 1M. */
const sonicUsd = (u: SonicUsageTotals): number =>
  (u.input.textTokens * 0.06 + u.output.textTokens * 0.24 + u.input.speechTokens * 3.4 + u.output.speechTokens * 13.6) /
  1e6;

describe('InvokeModelWithBidirectionalStream through the gateway', () => {
  it('relays a spoken turn from the unchanged SDK over HTTP/2 and records what the session used, speech and text apart', async () => {
    const { reading } = await spokenTurn(sdk('acme'), { seconds: 2 });
    const t = await reading;
    expect(t.types[0]).toBe('completionStart');
    expect(t.types.at(-1)).toBe('completionEnd');
    expect(t.text.USER).toHaveLength(1);
    expect(t.text.ASSISTANT).toHaveLength(2);
    expect(t.audioBytes).toBeGreaterThan(0);
    expect(t.total?.input.speechTokens).toBe(50);
    expect(t.deltas).toEqual(t.total);
    const spent = await costs('acme');
    expect(spent.total.calls).toBe(1);
    expect(spent.total.costUsd).toBeCloseTo(sonicUsd(t.total!), 12);
    expect(spent.byModel.map((g) => g.key)).toEqual([SONIC]);
    expect(gateway.localBedrock!.stats().sessions).toEqual({ started: 1, completed: 1, abandoned: 0 });
    await expect.poll(() => gauge(gateway.url, 'nova_cost_speech_sessions_open')).toBe(0);
  });

  it('takes a Bedrock API key (the SDK sends it as a Bearer token and still signs the events)', async () => {
    const client = sdk('acme', {
      token: { token: 'acme-api-key' },
      authSchemePreference: ['httpBearerAuth'],
      credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
    });
    const t = await (await spokenTurn(client)).reading;
    expect(t.types.at(-1)).toBe('completionEnd');
  });

  it('refuses a signature made with the wrong secret before anything reaches Bedrock', async () => {
    const client = sdk('acme', { credentials: { accessKeyId: 'acme', secretAccessKey: 'guessed' } });
    const error = await rejection(spokenTurn(client));
    expect(error).toBeInstanceOf(AccessDeniedException);
    expect(gateway.localBedrock!.stats().calls).toBe(0);
  });

  it('refuses a model that does not speak, before anything reaches Bedrock', async () => {
    const error = await rejection(spokenTurn(sdk('acme'), { modelId: 'amazon.nova-lite-v1:0' }));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toMatch(/does not take InvokeModelWithBidirectionalStream/);
    expect(gateway.localBedrock!.stats().calls).toBe(0);
  });

  it('refuses a body that is not an event stream with a 400 naming it, before Bedrock answers', async () => {
    const { status, body } = await rawSession({ 'x-api-key': 'acme-api-key' }, [Buffer.from('{"not": "frames"}')]);
    expect(status).toBe(400);
    expect(body.message).toMatch(/the session's input is not an event stream as the AWS SDK sends it/);
  });

  it('takes events signed as the SDK signs them, and ends the session at the first whose signature does not match', async () => {
    const start = [
      { sessionStart: { inferenceConfiguration: { maxTokens: 10 } } },
      { promptStart: { promptName: 'p' } },
    ];
    const tampered = await signedSession(start, 1);
    const { status, body } = await rawSession(tampered.headers, tampered.frames);
    expect(status).toBe(403);
    expect(body.message).toMatch(/the signature of event 2 does not match/);
    // The same events, untampered, reach Bedrock: a session starts (and idles, since nothing asks for an answer).
    gateway.localBedrock!.reset();
    const valid = await signedSession(start);
    const opening = rawSession(valid.headers, valid.frames);
    await expect.poll(() => gateway.localBedrock!.stats().sessions.started).toBe(1);
    void opening.catch(() => undefined);
  });

  it('refuses HTTP/1.1 with a JSON answer naming HTTP/2', async () => {
    const res = await fetch(`${gateway.url}/model/${SONIC}/invoke-with-bidirectional-stream`, {
      method: 'POST',
      headers: { 'x-api-key': 'acme-api-key' },
      body: '',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/served over HTTP\/2 only/);
  });

  it("ends a session that goes past the tenant's budget with a ThrottlingException, recorded for what it used", async () => {
    const { transcript, reading } = await spokenTurn(sdk('tight'), { end: false });
    const error = await rejection(reading);
    expect(error).toBeInstanceOf(ThrottlingException);
    expect(error.message).toMatch(
      /the speech session used the \$0.0003 held for it and tenant tight's budget has no room/,
    );
    // The ledger has what the client was told it used: every usageEvent up to the one that went past the budget.
    const spent = await costs('tight');
    expect(spent.total.calls).toBe(1);
    expect(spent.total.costUsd).toBeCloseTo(sonicUsd(transcript.total!), 12);
    expect(spent.total.costUsd).toBeGreaterThan(0.000272);
    await expect.poll(() => gateway.localBedrock!.stats().sessions.abandoned).toBe(1);
    // The budget holds what the session used: a new session's worst case has no room left.
    expect(await rejection(spokenTurn(sdk('tight')))).toBeInstanceOf(ThrottlingException);
  });

  it("refuses a session past the tenant's cap on concurrent sessions, and admits one again once it ended", async () => {
    const release = gateway.localBedrock!.hold();
    const first = spokenTurn(sdk('capped'));
    first.catch(() => undefined);
    await expect.poll(() => gateway.localBedrock!.stats().calls).toBe(1);
    const refused = await rejection(spokenTurn(sdk('capped')));
    expect(refused).toBeInstanceOf(ThrottlingException);
    expect(refused.message).toMatch(/tenant capped has 1 speech sessions open, the most its policy allows/);
    release();
    await (
      await first
    ).reading;
    expect((await (await spokenTurn(sdk('capped'))).reading).types.at(-1)).toBe('completionEnd');
  });

  it('ends a session in which nothing passed for idleSeconds with a ModelTimeoutException, settled', async () => {
    // The answer comes, then neither side sends anything.
    const { reading } = await spokenTurn(sdk('quick'), { end: false });
    const error = await rejection(reading);
    expect(error).toBeInstanceOf(ModelTimeoutException);
    expect(error.message).toMatch(/for 1 s \(sessions.idleSeconds\)/);
    expect((await costs('quick')).total.calls).toBe(1);
    await expect.poll(() => gateway.localBedrock!.stats().sessions.abandoned).toBe(1);
  });

  it("ends a session at the tenant's maxSeconds with a ModelTimeoutException", async () => {
    const { reading } = await spokenTurn(sdk('short'), { end: false });
    const error = await rejection(reading);
    expect(error).toBeInstanceOf(ModelTimeoutException);
    expect(error.message).toMatch(/longest its policy allows, 1 s \(sessions.maxSeconds\)/);
  });

  it("passes on Bedrock's failure mid-session as the SDK's own exception, the session recorded", async () => {
    gateway.localBedrock!.configure({ faults: { midStream: { kind: 'exception', afterEvents: 5 } } });
    const before = (await costs('acme')).total.calls;
    const { reading } = await spokenTurn(sdk('acme'));
    expect(await rejection(reading)).toBeInstanceOf(ModelStreamErrorException);
    await expect.poll(async () => (await costs('acme')).total.calls).toBe(before + 1);
  });

  it('settles a session whose client aborts mid-way and cuts it at Bedrock', async () => {
    const before = await costs('acme');
    const abort = new AbortController();
    const { transcript, reading } = await spokenTurn(sdk('acme'), { signal: abort.signal, end: false });
    await transcript.waitFor('audioOutput');
    abort.abort();
    expect(await rejection(reading)).toBeInstanceOf(Error);
    await expect.poll(async () => (await costs('acme')).total.calls).toBe(before.total.calls + 1);
    expect((await costs('acme')).total.costUsd).toBeGreaterThan(before.total.costUsd);
    await expect.poll(() => gateway.localBedrock!.stats().sessions.abandoned).toBe(1);
    await expect.poll(() => gauge(gateway.url, 'nova_cost_speech_sessions_open')).toBe(0);
  });
});

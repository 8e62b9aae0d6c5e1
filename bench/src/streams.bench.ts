/**
 * Issue 15 benchmark: what the gateway costs a streaming call. Every server runs in its own process on 127.0.0.1
 * (the local Bedrock endpoint, gateways, Portkey, a throwaway redis-server); the clients run in this process.
 *
 *   npm run bench -- streams      or alone: cd bench && npx tsx src/streams.bench.ts        (about 2 minutes)
 *
 * Figures, each against a baseline measured in the same run, rounds interleaved (the order rotates):
 *   1. time to first byte of a streaming miss (ConverseStream, unique temperature-0 prompts, concurrency 1) through
 *      the gateway / straight to the local endpoint, p50 and p99, with the milliseconds added (target: <= 1 ms at p50);
 *      the same for Portkey's streaming pass-through (a chat completion with stream: true → ConverseStream). The three
 *      sides take turns request by request, after WARM_UP streams each
 *   2. time to first byte of a stream replayed from the cache (Redis) / a raw ioredis GET of the same entry's bytes
 *   3. gateway resident memory with 1,000 concurrent slow streams in flight / the same gateway idle, and per stream
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, request } from 'node:http';
import { requestKey } from '@nova-cost/domain';
import type { TestRedis } from '@nova-cost/testing';
import { freePort, startTestRedis } from '@nova-cost/testing';
import { Redis } from 'ioredis';
import type { ChildServer } from './lib/child-server';
import { rssMiB } from './lib/child-server';
import type { PostTarget } from './lib/http-load';
import type { BenchSection, Figure } from './lib/report';
import { figure, runIfMain } from './lib/report';
import { median, nowMs, quantile } from './lib/stats';
import { converseBody, startBedrockProcess, startGatewayProcess } from './gateway-servers';
import { PORTKEY_VERSION, chatCompletionBody, portkeyTarget, startPortkey } from './portkey-server';

const MODEL = 'amazon.nova-lite-v1:0';
const MAX_TOKENS = 200;
const TTFB_ROUNDS = 5;
const TTFB_SAMPLES = 100;
/**
 * Streams sent to each side before the TTFB rounds (STREAMS_BENCH_WARM_UP overrides). The gateway is measured hot, as
 * it runs in production: over its first few hundred streams V8 is still compiling the path (SDK middleware, event-stream
 * decoding, framing) and the added time falls round after round; with V8's optimising compilers off
 * (node --no-opt --no-maglev) it never falls.
 */
const WARM_UP = Number(process.env['STREAMS_BENCH_WARM_UP'] ?? 1_000);
const REPLAY_ROUNDS = 5;
const REPLAY_SAMPLES = 100;
const SLOW_STREAMS = 1_000;
const RSS_ROUNDS = 2;
/** The endpoint's pace while the slow streams run: a 100-token answer takes 10 s. */
const SLOW_PER_TOKEN_MS = 100;
const IDLE_MS = 2_000;

const round2 = (x: number): number => Math.round(x * 100) / 100;
const rotated = <T>(items: readonly T[], round: number): T[] => items.map((_, i) => items[(i + round) % items.length]!);

interface FirstByte {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** From sending the request to the first byte of the body (the first event). */
  readonly ttfbMs: number;
  /** Resolves with the whole body once it ended. */
  readonly body: Promise<Buffer>;
  /** Stops reading (the connection is closed). */
  cancel(): void;
}

/** POSTs `body` and resolves at the first byte of the answer's body. */
function firstByte(target: PostTarget, body: string, agent: Agent): Promise<FirstByte> {
  return new Promise((resolve, reject) => {
    const started = nowMs();
    const req = request(
      target.url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', ...target.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        let whole!: (b: Buffer) => void;
        let broken!: (e: Error) => void;
        const all = new Promise<Buffer>((ok, fail) => ((whole = ok), (broken = fail)));
        all.catch(() => undefined);
        res.once('data', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            ttfbMs: nowMs() - started,
            body: all,
            cancel: () => req.destroy(),
          });
        });
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => whole(Buffer.concat(chunks)));
        res.on('error', broken);
        res.on('close', () => broken(new Error('closed')));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** TTFB of one stream on `agent`, once its whole body came (so the next one starts on a quiet connection). */
async function ttfb(target: PostTarget, body: string, agent: Agent, check: (a: FirstByte) => void): Promise<number> {
  const answer = await firstByte(target, body, agent);
  if (answer.status !== 200)
    throw new Error(`${target.url}: status ${answer.status}: ${(await answer.body).toString().slice(0, 300)}`);
  check(answer);
  await answer.body;
  return answer.ttfbMs;
}

/** TTFB of each body in turn, on one keep-alive connection; `check` sees every answer. */
async function ttfbs(target: PostTarget, bodies: readonly string[], check: (a: FirstByte) => void): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const ms: number[] = [];
    for (const body of bodies) ms.push(await ttfb(target, body, agent, check));
    return ms;
  } finally {
    agent.destroy();
  }
}

/**
 * `count` streams per side, the sides taking turns request by request (the order rotating), each on its own keep-alive
 * connection: every side meets the same moment of a busy machine, which blocks of 100 per side did not.
 */
async function pairedTtfbs<S extends string>(
  names: readonly S[],
  body: (side: S, n: number) => string,
  sides: Readonly<Record<S, { readonly target: PostTarget; readonly check: (a: FirstByte) => void }>>,
  count: number,
): Promise<Record<S, number[]>> {
  const agents = new Map(names.map((side) => [side, new Agent({ keepAlive: true, maxSockets: 1 })]));
  const ms = Object.fromEntries(names.map((side) => [side, [] as number[]])) as Record<S, number[]>;
  try {
    for (let n = 0; n < count; n++) {
      for (const side of rotated(names, n)) {
        const { target, check } = sides[side];
        ms[side].push(await ttfb(target, body(side, n), agents.get(side)!, check));
      }
    }
    return ms;
  } finally {
    for (const agent of agents.values()) agent.destroy();
  }
}

const streamTarget = (base: string, headers: Record<string, string> = {}): PostTarget => ({
  url: `${base}/model/${encodeURIComponent(MODEL)}/converse-stream`,
  headers,
});
const DEMO = { 'x-api-key': 'demo-key' };
const ok = (side: string, cache?: string) => (a: FirstByte) => {
  if (a.status !== 200) throw new Error(`${side}: status ${a.status}`);
  if (cache !== undefined && a.headers['x-nova-cost-cache'] !== cache)
    throw new Error(`${side}: x-nova-cost-cache ${String(a.headers['x-nova-cost-cache'])}, expected ${cache}`);
};

async function missTtfb(bedrock: ChildServer, gateway: ChildServer, portkey: ChildServer): Promise<Figure[]> {
  const run = `${process.pid}-${Date.now()}`;
  const question = (side: string, round: number, n: number) => `bench stream ${run} ${side} ${round} ${n}: first byte?`;
  const sides = {
    gateway: {
      target: streamTarget(gateway.url, DEMO),
      body: (t: string) => converseBody(t, MAX_TOKENS),
      check: ok('gateway', 'miss'),
    },
    direct: {
      target: streamTarget(bedrock.url),
      body: (t: string) => converseBody(t, MAX_TOKENS),
      check: ok('direct'),
    },
    portkey: {
      target: portkeyTarget(portkey.url, bedrock.url),
      body: (t: string) =>
        JSON.stringify({ ...(JSON.parse(chatCompletionBody(MODEL, t, MAX_TOKENS)) as object), stream: true }),
      check: ok('portkey'),
    },
  } as const;
  type Side = keyof typeof sides;
  const names = Object.keys(sides) as Side[];
  await pairedTtfbs(names, (side, n) => sides[side].body(question(side, -1, n)), sides, WARM_UP);
  const p = {
    p50: { gateway: [] as number[], direct: [] as number[], portkey: [] as number[] },
    p99: { gateway: [] as number[], direct: [] as number[], portkey: [] as number[] },
  };
  for (let round = 0; round < TTFB_ROUNDS; round++) {
    const ms = await pairedTtfbs(names, (side, n) => sides[side].body(question(side, round, n)), sides, TTFB_SAMPLES);
    for (const side of names) {
      p.p50[side].push(quantile(ms[side], 0.5));
      p.p99[side].push(quantile(ms[side], 0.99));
    }
  }
  const figures: Figure[] = [];
  for (const q of ['p50', 'p99'] as const) {
    const { gateway: ours, direct, portkey: theirs } = p[q];
    const added = (xs: number[]) => xs.map((x, i) => x - direct[i]!);
    const details = {
      gatewayMs: round2(median(ours)),
      directMs: round2(median(direct)),
      portkeyMs: round2(median(theirs)),
      portkeyAddedMs: round2(median(added(theirs))),
      requestsPerRound: TTFB_SAMPLES,
      concurrency: 1,
      endpointTimeToFirstTokenMs: 0,
    };
    figures.push(
      figure(
        `streams.miss-ttfb-added-ms-${q}`,
        `ms the gateway adds to the first byte of a streaming miss (ConverseStream, unique temperature-0 prompts) over calling the endpoint directly, ${q}`,
        added(ours),
        {
          unit: 'ms',
          ...(q === 'p50' ? { target: { op: '<=', value: 1 } } : {}),
          details,
        },
      ),
      figure(
        `streams.portkey-ttfb-added-ms-${q}`,
        `ms Portkey ${PORTKEY_VERSION} adds to the first byte of the same streams (chat completion, stream: true → ConverseStream), ${q}`,
        added(theirs),
        { unit: 'ms', details },
      ),
    );
  }
  return figures;
}

async function replayTtfb(bedrock: ChildServer, redis: TestRedis): Promise<Figure[]> {
  const gateway = await startGatewayProcess(await freePort(), bedrock.url, { REDIS_URL: redis.url });
  const raw = new Redis(redis.url, { lazyConnect: true, enableOfflineQueue: false });
  raw.on('error', () => undefined); // a GET that fails throws where it is awaited
  try {
    await raw.connect();
    const run = `${process.pid}-${Date.now()}`;
    const texts = Array.from({ length: REPLAY_SAMPLES }, (_, n) => `bench replay ${run} ${n}: replayed from Redis?`);
    const target = streamTarget(gateway.url, DEMO);
    // Each stream once from upstream (recorded, complete), then until each one answers from Redis: the gateway's
    // connection to Redis comes up in the background (its cache fails open until then).
    await ttfbs(
      target,
      texts.map((t) => converseBody(t, MAX_TOKENS)),
      ok('gateway prime'),
    );
    const keys = texts.map((t) =>
      requestKey(
        {
          tenantId: 'demo',
          modelId: MODEL,
          operation: 'converse-stream',
          body: JSON.parse(converseBody(t, MAX_TOKENS)) as never,
        },
        'us-east-1',
      ),
    );
    for (let tries = 0; (await raw.exists(...keys)) < keys.length; tries++) {
      if (tries > 100) throw new Error('the gateway did not record the primed streams in Redis');
      await new Promise((r) => setTimeout(r, 100));
    }
    const entryBytes = (await raw.getBuffer(keys[0]!))!.length;
    const sides = {
      replay: async () =>
        ttfbs(
          target,
          texts.map((t) => converseBody(t, MAX_TOKENS)),
          ok('replay', 'hit'),
        ),
      'raw-get': async () => {
        const ms: number[] = [];
        for (const key of keys) {
          const started = nowMs();
          const value = await raw.getBuffer(key);
          ms.push(nowMs() - started);
          if (!value) throw new Error(`raw GET ${key}: no entry`);
        }
        return ms;
      },
    };
    type Side = keyof typeof sides;
    const names = Object.keys(sides) as Side[];
    for (const side of names) await sides[side]();
    const p50 = { replay: [] as number[], 'raw-get': [] as number[] };
    for (let round = 0; round < REPLAY_ROUNDS; round++) {
      for (const side of rotated(names, round)) p50[side].push(quantile(await sides[side](), 0.5));
    }
    return [
      figure(
        'streams.replay-ttfb-vs-raw-get',
        'first byte of a stream replayed from Redis through the gateway (HTTP, auth, policy, GET, first frame) / a raw ioredis GET of the same entry, p50',
        p50.replay.map((x, i) => x / p50['raw-get'][i]!),
        {
          details: {
            replayP50Ms: round2(median(p50.replay)),
            rawGetP50Ms: round2(median(p50['raw-get'])),
            entryBytes,
            requestsPerRound: REPLAY_SAMPLES,
          },
        },
      ),
    ];
  } finally {
    raw.disconnect();
    await gateway.stop();
  }
}

/** Starts `count` slow unique streams and resolves once each has its first byte. */
async function slowStreams(gatewayUrl: string, count: number, run: string): Promise<FirstByte[]> {
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const target = streamTarget(gatewayUrl, DEMO);
  const started = await Promise.all(
    Array.from({ length: count }, (_, n) =>
      firstByte(target, converseBody(`bench slow ${run} ${n}: a long answer`, MAX_TOKENS), agent),
    ),
  );
  for (const s of started) ok('slow stream', 'miss')(s);
  return started;
}

async function setLatency(bedrockUrl: string, perOutputTokenMs: number): Promise<void> {
  const res = await fetch(`${bedrockUrl}/__config`, {
    method: 'POST',
    body: JSON.stringify({ latency: { perOutputTokenMs } }),
  });
  if (!res.ok) throw new Error(`/__config answered ${res.status}`);
}

async function slowStreamRss(bedrock: ChildServer): Promise<Figure[]> {
  const idle: number[] = [];
  const loaded: number[] = [];
  await setLatency(bedrock.url, SLOW_PER_TOKEN_MS);
  try {
    for (let round = 0; round < RSS_ROUNDS; round++) {
      const gateway = await startGatewayProcess(await freePort(), bedrock.url);
      let streams: FirstByte[] = [];
      try {
        // A few streams first, so the code paths are compiled and loaded before the idle reading.
        for (const s of await slowStreams(gateway.url, 5, `${process.pid}-${round}-warm`)) s.cancel();
        await new Promise((r) => setTimeout(r, IDLE_MS));
        idle.push(rssMiB(gateway.pid));
        streams = await slowStreams(gateway.url, SLOW_STREAMS, `${process.pid}-${Date.now()}-${round}`);
        loaded.push(rssMiB(gateway.pid));
      } finally {
        for (const s of streams) s.cancel();
        await gateway.stop();
      }
    }
  } finally {
    await setLatency(bedrock.url, 0);
  }
  const perStreamKiB = loaded.map((x, i) => ((x - idle[i]!) * 1024) / SLOW_STREAMS);
  return [
    figure(
      'streams.rss-1000-slow-streams',
      `gateway RSS with ${SLOW_STREAMS} concurrent slow streams in flight (each past its first event, ${SLOW_PER_TOKEN_MS} ms per token) / the same gateway idle`,
      loaded.map((x, i) => x / idle[i]!),
      {
        details: {
          idleMiB: round2(median(idle)),
          loadedMiB: round2(median(loaded)),
          perStreamKiB: round2(median(perStreamKiB)),
          streams: SLOW_STREAMS,
        },
      },
    ),
  ];
}

async function run(): Promise<Figure[]> {
  const [bedrockPort, gatewayPort, portkeyPort] = [await freePort(), await freePort(), await freePort()];
  const servers: ChildServer[] = [];
  let redis: TestRedis | undefined;
  try {
    const bedrock = await startBedrockProcess(bedrockPort);
    servers.push(bedrock);
    servers.push(await startPortkey(portkeyPort));
    const gateway = await startGatewayProcess(gatewayPort, bedrock.url);
    servers.push(gateway);
    redis = await startTestRedis();
    const only = process.env['STREAMS_BENCH_ONLY'];
    if (only === 'ttfb') return await missTtfb(bedrock, gateway, servers[1]!);
    if (only === 'replay') return await replayTtfb(bedrock, redis);
    if (only === 'rss') return await slowStreamRss(bedrock);
    return [
      ...(await missTtfb(bedrock, gateway, servers[1]!)),
      ...(await replayTtfb(bedrock, redis)),
      ...(await slowStreamRss(bedrock)),
    ];
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await redis?.close();
  }
}

export const streamsSection: BenchSection = {
  name: 'streams',
  description:
    'streaming miss TTFB added vs the endpoint direct (and Portkey), replay TTFB vs raw Redis GET, RSS with 1,000 slow streams',
  run,
};

await runIfMain(import.meta, streamsSection);

/**
 * Issues 8 and 16: what the gateway costs on the wire, measured on the production bundle the container runs
 * (gateway-servers.ts builds it with the image's script and starts it under plain node, NODE_ENV=production), and the
 * same for the Portkey AI gateway (open source, npm @portkey-ai/gateway) as a peer. Every server runs in its own
 * process on 127.0.0.1; the load generator (autocannon) and the latency client run in this process.
 *
 *   npm run bench -- gateway     or alone: cd bench && npx tsx src/gateway.bench.ts        (about 3 min)
 *   GATEWAY_BENCH_ONLY=redis-hit,miss npm run bench -- gateway: only those parts, of throughput, cpu, redis-hit, miss,
 *   rss (default: all)
 *
 * Figures, each a ratio against a baseline measured in the same run, rounds interleaved (the order rotates):
 *   1. cache-hit throughput at 16 connections / a bare node:http server answering the same bytes
 *   2. CPU per cache hit / the bare server's CPU per request, both at the same fixed request rate
 *   3. the same hit signed with SigV4 by the AWS SDK / the x-api-key hit (throughput, 16 connections)
 *   4. a hit with REDIS_URL (read from Redis: the answer was stored by another gateway process) / an in-memory hit,
 *      both at concurrency 1; the same hit again, now served from the reader's bounded in-process copy of what it
 *      read (hotMaxBytes); commands sent to Redis and keys written per hit read from Redis
 *   5. ms added at p50 on a miss (concurrency 1) / ms Portkey adds on its pass-through to the same endpoint, in-memory
 *      and with REDIS_URL; p50 and p99 of each against calling the local Bedrock endpoint directly
 *   6. the gateway's cache-miss throughput / Portkey's pass-through throughput, both to the same endpoint
 *   7. idle resident memory of a fresh gateway process (embedded default) / a bare node:http process, and of
 *      Portkey / the same bare server
 */
import type { TestRedis } from '@nova-cost/testing';
import { freePort, startTestRedis } from '@nova-cost/testing';
import { Redis } from 'ioredis';
import type { ChildServer } from './lib/child-server';
import { rssMiB } from './lib/child-server';
import type { PostTarget, ThroughputResult } from './lib/http-load';
import { postOk, sequentialClient, throughput } from './lib/http-load';
import type { BenchSection, Figure } from './lib/report';
import { figure, runIfMain } from './lib/report';
import { median, quantile } from './lib/stats';
import {
  bedrockCalls,
  converseBody,
  cpuMs,
  directTarget,
  gatewayTarget,
  startBaselineProcess,
  startBedrockProcess,
  startGatewayProcess,
} from './gateway-servers';
import { PORTKEY_VERSION, chatCompletionBody, portkeyTarget, startPortkey } from './portkey-server';
import { sdkSignedConverse } from './sdk-signed-request';

const MODEL = 'amazon.nova-lite-v1:0';
const MAX_TOKENS = 200;
const CONNECTIONS = 16;
const DURATION_S = 3;
const THROUGHPUT_ROUNDS = 3;
const LATENCY_ROUNDS = 5;
const LATENCY_SAMPLES = 200;
const WARM_UP = 50;
/** The offered load of the CPU figure: well under what either side can answer, so both answer all of it. */
const CPU_RATE_PER_S = 1_000;
const CPU_DURATION_S = 5;
const CPU_ROUNDS = 3;
const RSS_ROUNDS = 3;
const IDLE_MS = 2_000;
const SIGV4 = { accessKeyId: 'demo', secretAccessKey: 'demo-secret' };

const HIT_TEXT = 'What does a cache hit cost on the wire?';
const cacheHeader = (h: Record<string, unknown>): string => String(h['x-nova-cost-cache'] ?? '');
const round2 = (x: number): number => Math.round(x * 100) / 100;
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Rotates the sides so each goes first, middle and last in turn. */
const rotated = <T>(items: readonly T[], round: number): T[] => items.map((_, i) => items[(i + round) % items.length]!);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `read` until two reads 300 ms apart agree (writes a server still had in hand have landed), and returns it. */
async function settled(read: () => Promise<number>): Promise<number> {
  let last = await read();
  for (;;) {
    await pause(300);
    const now = await read();
    if (now === last) return now;
    last = now;
  }
}

/**
 * The endpoint's call count once it has stopped moving: autocannon stops waiting at the end of its duration, but
 * a pass-through gateway still forwards the requests it had in flight then.
 */
const settledCalls = (bedrockUrl: string): Promise<number> => settled(() => bedrockCalls(bedrockUrl));

/** The spend ledger's applied-markers (RedisSpendLedger, default prefix): one per batch, deleted by its next interval. */
const SPEND_MARKERS = 'nc:spend:v1:*:applied:*';

/**
 * The number of keys once the spend batches have landed and their applied-markers are deleted. A marker lives from its
 * batch's write to the ledger's next interval (200 ms) and is replaced meanwhile by the next batch's, so a key count
 * that merely holds still for 300 ms may still count one: only a count read together with no marker (one MULTI) is
 * taken. After `markerWaitMs` the markers still there are counted (a ledger that leaves them shows up, no hang).
 */
async function settledKeys(admin: Redis, markerWaitMs = 10_000): Promise<number> {
  const end = Date.now() + markerWaitMs;
  for (;;) {
    const [[, keys], [, markers]] = (await admin.multi().dbsize().keys(SPEND_MARKERS).exec()) as [
      [unknown, number],
      [unknown, string[]],
    ];
    if (markers.length === 0 || Date.now() > end) return keys;
    await pause(50);
  }
}

async function stopAll(servers: readonly (ChildServer | undefined)[]): Promise<void> {
  await Promise.all(servers.map((s) => s?.stop()));
}

interface Servers {
  readonly bedrock: ChildServer;
  /** In-memory cache. */
  readonly gateway: ChildServer;
  /** REDIS_URL: answers misses (and so stores the entries `redisReader` hits). */
  readonly redisGateway: ChildServer;
  /** REDIS_URL, the same Redis: serves hits of entries another process stored, from Redis. */
  readonly redisReader: ChildServer;
  readonly portkey: ChildServer;
  readonly baseline: ChildServer;
  readonly redis: TestRedis;
  /** The bench's own connection to that Redis, for its counters. */
  readonly redisAdmin: Redis;
}

/** Latency of `samples` requests, one after another; `check` sees every answer. */
async function latencies(
  target: PostTarget,
  bodies: readonly string[],
  check?: (headers: Record<string, unknown>) => void,
): Promise<number[]> {
  const client = sequentialClient();
  try {
    const ms: number[] = [];
    for (const body of bodies) {
      const answer = await postOk(client, target, body);
      check?.(answer.headers);
      ms.push(answer.ms);
    }
    return ms;
  } finally {
    client.close();
  }
}

const expectCache = (want: string, who: string) => (h: Record<string, unknown>) => {
  if (cacheHeader(h) !== want)
    throw new Error(`${who} answered x-nova-cost-cache: ${cacheHeader(h) || '(none)'}, not ${want}`);
};

async function missLatency(s: Servers): Promise<Figure[]> {
  const run = `${process.pid}-${Date.now()}`;
  const question = (side: string, round: number, n: number) =>
    `bench miss ${run} ${side} ${round} ${n}: what does the gateway add?`;
  const converse = (t: string) => converseBody(t, MAX_TOKENS);
  const sides = {
    gateway: { target: gatewayTarget(s.gateway.url, MODEL), body: converse },
    'gateway-redis': { target: gatewayTarget(s.redisGateway.url, MODEL), body: converse },
    direct: { target: directTarget(s.bedrock.url, MODEL), body: converse },
    portkey: {
      target: portkeyTarget(s.portkey.url, s.bedrock.url),
      body: (t: string) => chatCompletionBody(MODEL, t, MAX_TOKENS),
    },
  } as const;
  type Side = keyof typeof sides;
  const names = Object.keys(sides) as Side[];
  const measure = async (side: Side, round: number, count: number): Promise<number[]> => {
    const before = await bedrockCalls(s.bedrock.url);
    const bodies = Array.from({ length: count }, (_, n) => sides[side].body(question(side, round, n)));
    const check = side.startsWith('gateway') ? expectCache('miss', `a unique cacheable request (${side})`) : undefined;
    const ms = await latencies(sides[side].target, bodies, check);
    const calls = (await bedrockCalls(s.bedrock.url)) - before;
    // Every request of every side must have reached /model/…/converse on the endpoint exactly once.
    if (calls !== count)
      throw new Error(`${side}: ${count} requests made ${calls} calls to the local Bedrock endpoint`);
    return ms;
  };

  for (const side of names) await measure(side, -1, WARM_UP);
  const p = {
    p50: Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<Side, number[]>,
    p99: Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<Side, number[]>,
  };
  for (let round = 0; round < LATENCY_ROUNDS; round++) {
    for (const side of rotated(names, round)) {
      const ms = await measure(side, round, LATENCY_SAMPLES);
      p.p50[side].push(quantile(ms, 0.5));
      p.p99[side].push(quantile(ms, 0.99));
    }
  }

  const figures: Figure[] = [];
  const who = {
    gateway: 'the gateway process (in-memory cache)',
    'gateway-redis': 'the gateway process with REDIS_URL',
    portkey: `the same prompts as chat completions through Portkey ${PORTKEY_VERSION} (→ Converse)`,
  } as const;
  const ids = {
    gateway: 'gateway.miss-added-latency',
    'gateway-redis': 'gateway.redis-miss-added-latency',
    portkey: 'portkey.miss-added-latency',
  } as const;
  for (const q of ['p50', 'p99'] as const) {
    const direct = p[q].direct;
    for (const side of ['gateway', 'gateway-redis', 'portkey'] as const) {
      const ours = p[q][side];
      figures.push(
        figure(
          `${ids[side]}-${q}`,
          `cache-miss ${q}, unique temperature-0 Converse calls through ${who[side]} / straight to the endpoint (concurrency 1)`,
          ours.map((x, i) => x / direct[i]!),
          {
            details: {
              [`${q}Ms`]: round2(median(ours)),
              [`direct${q.toUpperCase()}Ms`]: round2(median(direct)),
              addedMs: round2(median(ours.map((x, i) => x - direct[i]!))),
              requestsPerRound: LATENCY_SAMPLES,
              concurrency: 1,
              endpointLatencyMs: 0,
            },
          },
        ),
      );
    }
  }
  const added = (side: Side) => p.p50[side].map((x, i) => x - p.p50.direct[i]!);
  const theirs = added('portkey');
  for (const [id, side, target] of [
    ['gateway.miss-added-ms-vs-portkey', 'gateway', 0.35],
    ['gateway.redis-miss-added-ms-vs-portkey', 'gateway-redis', 0.5],
  ] as const) {
    const ours = added(side);
    figures.push(
      figure(
        id,
        `p50 ms ${who[side]} adds on a cache miss / p50 ms Portkey ${PORTKEY_VERSION} adds on its pass-through (concurrency 1)`,
        ours.map((x, i) => x / theirs[i]!),
        {
          target: { op: '<=', value: target },
          details: { gatewayAddedMs: round2(median(ours)), portkeyAddedMs: round2(median(theirs)) },
        },
      ),
    );
  }
  return figures;
}

/** Commands Redis processed since its last CONFIG RESETSTAT, leaving out the bench's own (INFO, DBSIZE, CONFIG). */
async function commandsProcessed(admin: Redis): Promise<number> {
  let n = 0;
  for (const m of (await admin.info('commandstats')).matchAll(/^cmdstat_([^:|]+)[^:]*:calls=(\d+)/gm))
    if (!['info', 'dbsize', 'config'].includes(m[1]!)) n += Number(m[2]);
  return n;
}

/**
 * Commands clients sent to Redis while `work` ran (MONITOR; not those Redis scripts ran inside Redis), leaving out
 * the bench's own markers. Its own pass: MONITOR costs Redis time, so no latency is measured under it.
 */
async function commandsSent(redisUrl: string, admin: Redis, work: () => Promise<void>): Promise<number> {
  const monitor = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await monitor.connect();
  const feed = await monitor.monitor();
  const sent: string[] = [];
  feed.on('monitor', (_time: string, args: string[], source: string) => {
    if (source !== 'lua') sent.push(String(args[0]).toLowerCase());
  });
  try {
    const marker = async () => {
      const n = sent.length;
      await admin.echo('bench marker');
      for (let i = 0; i < 200 && !sent.slice(n).includes('echo'); i++) await pause(10);
      if (!sent.slice(n).includes('echo')) throw new Error('MONITOR did not show the bench marker');
      return sent.length;
    };
    await marker();
    // Once the spend batches of earlier requests have landed (the ledger writes every 200 ms).
    await pause(400);
    const from = await marker();
    await work();
    await pause(400); // the spend batches of these requests, written meanwhile, are counted too
    const to = await marker();
    return sent.slice(from, to - 1).filter((c) => c !== 'echo').length;
  } finally {
    feed.disconnect();
    monitor.disconnect();
  }
}

/**
 * Hits at concurrency 1: the in-memory gateway answering what it answered before, against the Redis reader answering
 * what the Redis gateway (another process) stored: a hit read from Redis, as a fleet serves it. Each round's bodies
 * are new to both, so neither serves them from a copy in its own memory. Right after, the reader answers the same
 * bodies again: from the bounded copy in its own memory of what it read from Redis (CachingInvoker hotMaxBytes), as a
 * fleet serves a hot entry after its first hit in each process. Both are reported; they are different rows.
 */
async function hitLatency(s: Servers): Promise<Figure[]> {
  const run = `${process.pid}-${Date.now()}`;
  const memory = gatewayTarget(s.gateway.url, MODEL);
  const reader = gatewayTarget(s.redisReader.url, MODEL);
  const bodiesOf = (round: number) =>
    Array.from({ length: LATENCY_SAMPLES }, (_, n) =>
      converseBody(`bench hit ${run} ${round} ${n}: where does a hit come from?`, MAX_TOKENS),
    );
  const ratio = { cold: [] as number[], hot: [] as number[] };
  const ms = { memory: [] as number[], redis: [] as number[], hot: [] as number[] };
  const perHit = { sent: [] as number[], run: [] as number[], keys: [] as number[] };
  // A Redis read slower than the cache's store timeout is answered from upstream (fail-open), not failed: counted,
  // and left in the figure (it only makes ours slower), since a machine that busy makes that happen.
  let failedOpen = 0;
  const readerHit = (h: Record<string, unknown>) => {
    if (cacheHeader(h) === 'miss') failedOpen += 1;
    else expectCache('hit', 'the Redis reader')(h);
  };
  const writer = gatewayTarget(s.redisGateway.url, MODEL);
  for (let round = -1; round < LATENCY_ROUNDS; round++) {
    const bodies = bodiesOf(round);
    await latencies(memory, bodies, expectCache('miss', 'a new request (in-memory gateway)'));
    await latencies(writer, bodies, expectCache('miss', 'a new request (Redis)'));
    const mean1 = { memory: 0, redis: 0, hot: 0 };
    for (const side of rotated(['memory', 'redis'] as const, Math.max(0, round))) {
      if (side === 'memory') {
        mean1.memory = mean(await latencies(memory, bodies, expectCache('hit', 'the in-memory gateway')));
        continue;
      }
      // Once the misses' writes (entries, spend batches) have landed: the counters then move for the hits alone.
      await settled(() => commandsProcessed(s.redisAdmin));
      const keysBefore = await settledKeys(s.redisAdmin);
      await s.redisAdmin.config('RESETSTAT');
      mean1.redis = mean(await latencies(reader, bodies, readerHit));
      const commands = await settled(() => commandsProcessed(s.redisAdmin));
      mean1.hot = mean(await latencies(reader, bodies, expectCache('hit', 'the Redis reader, again')));
      if (round < 0) continue;
      perHit.run.push(commands / bodies.length);
      // Once the spend batches written meanwhile have landed (commands settled) and their markers were deleted.
      await settled(() => commandsProcessed(s.redisAdmin));
      perHit.keys.push(((await settledKeys(s.redisAdmin)) - keysBefore) / bodies.length);
    }
    if (round < 0) continue;
    ratio.cold.push(mean1.memory / mean1.redis);
    ratio.hot.push(mean1.memory / mean1.hot);
    ms.memory.push(mean1.memory);
    ms.redis.push(mean1.redis);
    ms.hot.push(mean1.hot);
    // Commands sent per hit read from Redis, in a pass of its own (MONITOR slows Redis): new bodies, stored first.
    const counted = bodiesOf(100 + round);
    await latencies(writer, counted, expectCache('miss', 'a new request (Redis)'));
    const sent = await commandsSent(
      s.redis.url,
      s.redisAdmin,
      async () => void (await latencies(reader, counted, readerHit)),
    );
    perHit.sent.push(sent / counted.length);
  }
  const details = {
    inMemoryHitMs: round2(median(ms.memory)),
    redisHitMs: round2(median(ms.redis)),
    redisHotCopyHitMs: round2(median(ms.hot)),
    requestsPerRound: LATENCY_SAMPLES,
    concurrency: 1,
    readerMissesFailedOpen: failedOpen,
  };
  return [
    figure(
      'gateway.redis-hit-vs-memory-hit',
      'hits/s at concurrency 1 with REDIS_URL, each answer read from Redis (stored there by another gateway process; one round trip) / with the in-memory cache (higher is better)',
      ratio.cold,
      { target: { op: '>=', value: 0.8 }, details },
    ),
    figure(
      'gateway.redis-hot-copy-hit-vs-memory-hit',
      "hits/s at concurrency 1 with REDIS_URL, the same answers asked again: served from the reader's bounded in-process copy of what it read from Redis (hotMaxBytes 16 MiB, never past the entry's TTL; no round trip) / with the in-memory cache",
      ratio.hot,
      { target: { op: '>=', value: 0.8 }, details },
    ),
    figure(
      'gateway.redis-commands-per-hit',
      'commands sent to Redis per hit read from Redis (MONITOR, in a pass of its own: the read, and the spend batches written meanwhile; the commands a script runs inside Redis are not round trips)',
      perHit.sent,
      {
        unit: 'count',
        target: { op: '<=', value: 1.05 },
        details: { ...details, commandsRunPerHitInclInsideScripts: round2(median(perHit.run)) },
      },
    ),
    figure(
      'gateway.redis-keys-per-hit',
      'Redis keys added per hit (besides the cache entry, which the miss wrote): spend is batched, counted once no batch applied-marker is left (each is deleted an interval after its batch)',
      perHit.keys,
      { unit: 'count', target: { op: '==', value: 0 }, details },
    ),
  ];
}

async function throughputs(s: Servers, hitBytes: number): Promise<Figure[]> {
  const gw = gatewayTarget(s.gateway.url, MODEL);
  const hitBody = converseBody(HIT_TEXT, MAX_TOKENS);
  const run = `${process.pid}-${Date.now()}`;
  let n = 0;
  // Signed again each round: a signature is accepted while its date is within the gateway's 5-minute skew window.
  const signed = () => sdkSignedConverse(s.gateway.url, MODEL, hitBody, SIGV4);
  let sigv4 = await signed();
  const sides = {
    'gateway-hit': { target: gw, body: hitBody as string | (() => string) },
    'gateway-sigv4-hit': { target: sigv4.target, body: sigv4.body },
    baseline: {
      target: { url: `${s.baseline.url}/model/${encodeURIComponent(MODEL)}/converse`, headers: gw.headers },
      body: hitBody,
    },
    'gateway-miss': {
      target: gw,
      body: () => converseBody(`bench load ${run} ${n++}: what does a miss cost?`, MAX_TOKENS),
    },
    portkey: {
      target: portkeyTarget(s.portkey.url, s.bedrock.url),
      body: chatCompletionBody(MODEL, HIT_TEXT, MAX_TOKENS),
    },
  };
  type Side = keyof typeof sides;
  const names = Object.keys(sides) as Side[];
  const results = Object.fromEntries(names.map((k) => [k, [] as ThroughputResult[]])) as Record<
    Side,
    ThroughputResult[]
  >;
  const forwarded = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<Side, number[]>;
  for (const side of names) await throughput(sides[side].target, sides[side].body, CONNECTIONS, 1); // warm up
  const client = sequentialClient();
  try {
    for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
      sigv4 = await signed();
      sides['gateway-sigv4-hit'] = { target: sigv4.target, body: sigv4.body };
      for (const side of rotated(names, round)) {
        const before = await settledCalls(s.bedrock.url);
        const result = await throughput(sides[side].target, sides[side].body, CONNECTIONS, DURATION_S);
        results[side].push(result);
        forwarded[side].push(((await settledCalls(s.bedrock.url)) - before) / result.requests);
      }
      for (const side of ['gateway-hit', 'gateway-sigv4-hit'] as const) {
        const sample = await postOk(client, sides[side].target, sides[side].body as string);
        expectCache('hit', `the ${side} load request`)(sample.headers);
      }
    }
  } finally {
    client.close();
  }
  // Hits must never reach the endpoint; unique requests and Portkey's pass-through must, each of them.
  for (const side of ['gateway-hit', 'gateway-sigv4-hit'] as const) {
    if (forwarded[side].some((share) => share !== 0))
      throw new Error(`${side}: the gateway called the endpoint under hit load (${forwarded[side].join(', ')})`);
  }
  for (const side of ['gateway-miss', 'portkey'] as const) {
    if (forwarded[side].some((share) => share < 0.99))
      throw new Error(`${side}: only ${forwarded[side].join(', ')} of the requests reached the endpoint`);
  }

  const rps = (side: Side) => results[side].map((r) => r.reqPerSec);
  const ratio = (a: Side, b: Side) => rps(a).map((x, i) => x / rps(b)[i]!);
  const summary = (side: Side) => ({
    reqPerSec: Math.round(median(rps(side))),
    p99Ms: median(results[side].map((r) => r.p99Ms)),
  });
  const load = { connections: CONNECTIONS, durationS: DURATION_S, loadGenerator: 'autocannon 9, in the bench process' };
  const baseline = {
    ...summary('baseline'),
    bodyBytes: hitBytes,
    note: 'answers the gateway hit bytes, also in the Portkey ratio',
  };
  return [
    figure(
      'gateway.hit-throughput-vs-node-http',
      `cache-hit req/s (x-api-key, in-memory cache), gateway process / bare node:http process sending the same bytes (${CONNECTIONS} conns; higher is better)`,
      ratio('gateway-hit', 'baseline'),
      {
        target: { op: '>=', value: 0.5 },
        details: { ...load, gateway: summary('gateway-hit'), baseline, endpointCallsPerRequest: 0 },
      },
    ),
    figure(
      'gateway.sigv4-hit-vs-api-key-hit',
      `cache-hit req/s of the request as the AWS SDK signs it (SigV4) / the same hit with x-api-key (${CONNECTIONS} conns; higher is better)`,
      ratio('gateway-sigv4-hit', 'gateway-hit'),
      {
        target: { op: '>=', value: 0.85 },
        details: { ...load, sigv4: summary('gateway-sigv4-hit'), apiKey: summary('gateway-hit') },
      },
    ),
    figure(
      'portkey.passthrough-throughput-vs-node-http',
      `req/s of Portkey ${PORTKEY_VERSION} (no cache in its OSS build: pass-through to the endpoint process) / bare node:http process`,
      ratio('portkey', 'baseline'),
      {
        details: {
          ...load,
          portkey: summary('portkey'),
          baseline,
          endpointCallsPerRequest: median(forwarded.portkey),
          cache: 'x-portkey-cache-status: DISABLED (its getFromCache hook is installed only by the hosted product)',
        },
      },
    ),
    figure(
      'gateway.miss-throughput-vs-portkey',
      `req/s of unique cache misses through the gateway / Portkey ${PORTKEY_VERSION} pass-through, both to the same endpoint process (higher is better)`,
      ratio('gateway-miss', 'portkey'),
      {
        details: {
          ...load,
          gatewayMiss: summary('gateway-miss'),
          portkey: summary('portkey'),
          endpointCallsPerRequest: { gateway: median(forwarded['gateway-miss']), portkey: median(forwarded.portkey) },
        },
      },
    ),
  ];
}

/**
 * CPU per request at the same offered load (CPU_RATE_PER_S, well under what either answers): a cache hit in the
 * gateway against the bare server answering the same bytes. At equal load both see the same pattern of wake-ups,
 * which a closed loop would not give them (the faster server keeps its client busier).
 */
async function cpuPerHit(s: Servers): Promise<Figure[]> {
  const gw = gatewayTarget(s.gateway.url, MODEL);
  const hitBody = converseBody(HIT_TEXT, MAX_TOKENS);
  const sides = {
    gateway: { server: s.gateway, target: gw },
    baseline: {
      server: s.baseline,
      target: { url: `${s.baseline.url}/model/${encodeURIComponent(MODEL)}/converse`, headers: gw.headers },
    },
  };
  type Side = keyof typeof sides;
  const usPerRequest = { gateway: [] as number[], baseline: [] as number[] };
  for (let round = 0; round < CPU_ROUNDS; round++) {
    for (const side of rotated(Object.keys(sides) as Side[], round)) {
      const { server, target } = sides[side];
      const before = cpuMs(server.pid);
      const result = await throughput(target, hitBody, CONNECTIONS, CPU_DURATION_S, CPU_RATE_PER_S);
      usPerRequest[side].push(((cpuMs(server.pid) - before) * 1000) / result.requests);
    }
  }
  return [
    figure(
      'gateway.hit-cpu-vs-node-http',
      `CPU per cache hit (x-api-key, in-memory cache) / the bare node:http server's CPU per request, both at ${CPU_RATE_PER_S} req/s offered over ${CONNECTIONS} conns`,
      usPerRequest.gateway.map((x, i) => x / usPerRequest.baseline[i]!),
      {
        target: { op: '<=', value: 2.5 },
        details: {
          gatewayUsPerHit: Math.round(median(usPerRequest.gateway)),
          baselineUsPerRequest: Math.round(median(usPerRequest.baseline)),
          ratePerS: CPU_RATE_PER_S,
          durationS: CPU_DURATION_S,
          cpu: '/proc/<pid>/stat user + system, every thread (10 ms ticks)',
        },
      },
    ),
  ];
}

/** Idle resident memory of fresh processes, started together each round, read after IDLE_MS of quiet. */
async function idleRss(hitBody: Buffer, hitHeaders: Record<string, string>): Promise<Figure[]> {
  const mib = { gateway: [] as number[], node: [] as number[], portkey: [] as number[] };
  for (let round = 0; round < RSS_ROUNDS; round++) {
    const ports = [await freePort(), await freePort(), await freePort()] as const;
    const started = await Promise.allSettled([
      startGatewayProcess(ports[0]),
      startBaselineProcess(ports[1], hitBody, hitHeaders),
      startPortkey(ports[2]),
    ]);
    const servers = started.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
    try {
      const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      await pause(IDLE_MS);
      const [gateway, node, portkey] = servers.map((x) => rssMiB(x!.pid));
      mib.gateway.push(gateway!);
      mib.node.push(node!);
      mib.portkey.push(portkey!);
    } finally {
      await stopAll(servers);
    }
  }
  const details = {
    gatewayMiB: round2(median(mib.gateway)),
    nodeHttpMiB: round2(median(mib.node)),
    portkeyMiB: round2(median(mib.portkey)),
    idleMs: IDLE_MS,
  };
  return [
    figure(
      'gateway.idle-rss',
      'idle RSS, fresh gateway process (the bundle; embedded default: in-memory cache, endpoint in-process) / bare node:http, both plain node',
      mib.gateway.map((x, i) => x / mib.node[i]!),
      { details },
    ),
    figure(
      'portkey.idle-rss-vs-node-http',
      `idle RSS, fresh Portkey ${PORTKEY_VERSION} process / bare node:http, both plain node`,
      mib.portkey.map((x, i) => x / mib.node[i]!),
      { details },
    ),
  ];
}

/**
 * Portkey's chat completion must become the same Converse call we time directly: the local endpoint's answer text
 * depends on the prompt and the route, so the same text through both means the same /model/…/converse call.
 */
async function checkPortkeyRoute(bedrockUrl: string, portkeyUrl: string): Promise<void> {
  const client = sequentialClient();
  try {
    const text = 'Which route does Portkey call?';
    const direct = await postOk(client, directTarget(bedrockUrl, MODEL), converseBody(text, MAX_TOKENS));
    const viaPortkey = await postOk(
      client,
      portkeyTarget(portkeyUrl, bedrockUrl),
      chatCompletionBody(MODEL, text, MAX_TOKENS),
    );
    const directText = (JSON.parse(direct.body.toString()) as { output: { message: { content: { text: string }[] } } })
      .output.message.content[0]?.text;
    const portkeyText = (JSON.parse(viaPortkey.body.toString()) as { choices: { message: { content: string } }[] })
      .choices[0]?.message.content;
    if (!directText || directText !== portkeyText)
      throw new Error(
        `Portkey's answer differs from the direct Converse answer: ${JSON.stringify(portkeyText)} vs ${JSON.stringify(directText)}`,
      );
  } finally {
    client.close();
  }
}

/** The hit's body and headers, for the baseline to send back: the second identical temperature-0 call is a hit. */
async function hitAnswer(gatewayUrl: string): Promise<{ body: Buffer; headers: Record<string, string> }> {
  const client = sequentialClient();
  try {
    const target = gatewayTarget(gatewayUrl, MODEL);
    await postOk(client, target, converseBody(HIT_TEXT, MAX_TOKENS));
    const hit = await postOk(client, target, converseBody(HIT_TEXT, MAX_TOKENS));
    expectCache('hit', 'the second identical temperature-0 request')(hit.headers);
    const headers = Object.fromEntries(
      Object.entries(hit.headers).filter(
        ([k, v]) =>
          typeof v === 'string' &&
          !['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(k),
      ) as [string, string][],
    );
    return { body: hit.body, headers };
  } finally {
    client.close();
  }
}

const PARTS = ['throughput', 'cpu', 'redis-hit', 'miss', 'rss'] as const;
/** GATEWAY_BENCH_ONLY: a comma-separated list of PARTS to run (default: all). */
function wanted(part: (typeof PARTS)[number]): boolean {
  const only = process.env['GATEWAY_BENCH_ONLY'];
  if (!only) return true;
  const parts = only.split(',').map((p) => p.trim());
  const unknown = parts.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length > 0)
    throw new Error(`GATEWAY_BENCH_ONLY: unknown ${unknown.join(', ')}; parts: ${PARTS.join(', ')}`);
  return parts.includes(part);
}

async function run(): Promise<Figure[]> {
  const ports = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
  const [bedrockPort, gatewayPort, portkeyPort, baselinePort, redisGatewayPort, readerPort] = ports as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const redis = await startTestRedis({ controllable: true });
  const redisAdmin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const servers: (ChildServer | undefined)[] = [];
  let hit: Awaited<ReturnType<typeof hitAnswer>>;
  const figures: Figure[] = [];
  try {
    await redisAdmin.connect();
    const started = await Promise.allSettled([startBedrockProcess(bedrockPort), startPortkey(portkeyPort)]);
    servers.push(...started.map((r) => (r.status === 'fulfilled' ? r.value : undefined)));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [bedrock, portkey] = servers as [ChildServer, ChildServer];
    await checkPortkeyRoute(bedrock.url, portkey.url);
    const gateways = await Promise.allSettled([
      startGatewayProcess(gatewayPort, bedrock.url),
      startGatewayProcess(redisGatewayPort, bedrock.url, { REDIS_URL: redis.url }),
      startGatewayProcess(readerPort, bedrock.url, { REDIS_URL: redis.url }),
    ]);
    servers.push(...gateways.map((r) => (r.status === 'fulfilled' ? r.value : undefined)));
    const failedGateway = gateways.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failedGateway) throw failedGateway.reason;
    const [gateway, redisGateway, redisReader] = servers.slice(2) as [ChildServer, ChildServer, ChildServer];
    hit = await hitAnswer(gateway.url);
    const baseline = await startBaselineProcess(baselinePort, hit.body, hit.headers);
    servers.push(baseline);

    const s: Servers = { bedrock, gateway, redisGateway, redisReader, portkey, baseline, redis, redisAdmin };
    if (wanted('throughput')) figures.push(...(await throughputs(s, hit.body.length)));
    if (wanted('cpu')) figures.push(...(await cpuPerHit(s)));
    if (wanted('redis-hit')) figures.push(...(await hitLatency(s)));
    if (wanted('miss')) figures.push(...(await missLatency(s)));
  } finally {
    await stopAll(servers);
    redisAdmin.disconnect();
    await redis.close();
  }
  if (wanted('rss')) figures.push(...(await idleRss(hit.body, hit.headers)));
  return figures;
}

export const gatewaySection: BenchSection = {
  name: 'gateway',
  description:
    'the gateway bundle (and Portkey as a peer) against direct calls and a bare node:http server: hit throughput and CPU, SigV4 and Redis hits, miss latency, idle memory',
  run,
};

await runIfMain(import.meta, gatewaySection);

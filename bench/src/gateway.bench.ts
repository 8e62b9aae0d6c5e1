/**
 * Issue 8 benchmark: what the gateway costs on the wire, and the same for the Portkey AI gateway (open source,
 * npm @portkey-ai/gateway) as a peer. Every server runs in its own process on 127.0.0.1 (see gateway-servers.ts,
 * portkey-server.ts); the load generator (autocannon) and the latency client run in this process.
 *
 *   npm run bench -- gateway     or alone: cd bench && npx tsx src/gateway.bench.ts        (about 80 s)
 *
 * Figures, each a ratio against a baseline measured in the same run, rounds interleaved (the order rotates):
 *   1. cache-hit throughput at 16 connections / a bare node:http server answering the same bytes
 *   2. p50 and p99 latency of a cache miss at concurrency 1 / calling the local Bedrock endpoint directly
 *   3. the same for Portkey (its OSS build has no response cache: its throughput is pass-through, to the endpoint),
 *      and the gateway's cache-miss throughput / Portkey's pass-through throughput, both to the same endpoint
 *   4. idle resident memory of a fresh gateway process (embedded default) / a bare node:http process, and of
 *      Portkey / the same bare server under plain node
 */
import { freePort } from '@nova-cost/testing';
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
  directTarget,
  gatewayTarget,
  startBaselineProcess,
  startBedrockProcess,
  startGatewayProcess,
} from './gateway-servers';
import { PORTKEY_VERSION, chatCompletionBody, portkeyTarget, startPortkey } from './portkey-server';

const MODEL = 'amazon.nova-lite-v1:0';
const MAX_TOKENS = 200;
const CONNECTIONS = 16;
const DURATION_S = 3;
const THROUGHPUT_ROUNDS = 3;
const LATENCY_ROUNDS = 5;
const LATENCY_SAMPLES = 200;
const WARM_UP = 50;
const RSS_ROUNDS = 3;
const IDLE_MS = 2_000;

const HIT_TEXT = 'What does a cache hit cost on the wire?';
const cacheHeader = (h: Record<string, unknown>): string => String(h['x-nova-cost-cache'] ?? '');
const round2 = (x: number): number => Math.round(x * 100) / 100;
/** Rotates the sides so each goes first, middle and last in turn. */
const rotated = <T>(items: readonly T[], round: number): T[] => items.map((_, i) => items[(i + round) % items.length]!);

/**
 * The endpoint's call count once it has stopped moving: autocannon stops waiting at the end of its duration, but
 * a pass-through gateway still forwards the requests it had in flight then.
 */
async function settledCalls(bedrockUrl: string): Promise<number> {
  let last = await bedrockCalls(bedrockUrl);
  for (;;) {
    await new Promise((r) => setTimeout(r, 150));
    const now = await bedrockCalls(bedrockUrl);
    if (now === last) return now;
    last = now;
  }
}

async function stopAll(servers: readonly (ChildServer | undefined)[]): Promise<void> {
  await Promise.all(servers.map((s) => s?.stop()));
}

interface Servers {
  readonly bedrock: ChildServer;
  readonly gateway: ChildServer;
  readonly portkey: ChildServer;
  readonly baseline: ChildServer;
}

/** Latency of `samples` unique requests, one after another; `check` sees every answer. */
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

async function missLatency(s: Servers): Promise<Figure[]> {
  const run = `${process.pid}-${Date.now()}`;
  const question = (side: string, round: number, n: number) =>
    `bench miss ${run} ${side} ${round} ${n}: what does the gateway add?`;
  const sides = {
    gateway: { target: gatewayTarget(s.gateway.url, MODEL), body: (t: string) => converseBody(t, MAX_TOKENS) },
    direct: { target: directTarget(s.bedrock.url, MODEL), body: (t: string) => converseBody(t, MAX_TOKENS) },
    portkey: {
      target: portkeyTarget(s.portkey.url, s.bedrock.url),
      body: (t: string) => chatCompletionBody(MODEL, t, MAX_TOKENS),
    },
  } as const;
  type Side = keyof typeof sides;
  const expectMiss = (h: Record<string, unknown>) => {
    if (cacheHeader(h) !== 'miss')
      throw new Error(
        `a unique cacheable request through the gateway answered x-nova-cost-cache: ${cacheHeader(h) || '(none)'}, not miss`,
      );
  };
  const measure = async (side: Side, round: number, count: number): Promise<number[]> => {
    const before = await bedrockCalls(s.bedrock.url);
    const bodies = Array.from({ length: count }, (_, n) => sides[side].body(question(side, round, n)));
    const ms = await latencies(sides[side].target, bodies, side === 'gateway' ? expectMiss : undefined);
    const calls = (await bedrockCalls(s.bedrock.url)) - before;
    // Every request of every side must have reached /model/…/converse on the endpoint exactly once.
    if (calls !== count)
      throw new Error(`${side}: ${count} requests made ${calls} calls to the local Bedrock endpoint`);
    return ms;
  };

  for (const side of Object.keys(sides) as Side[]) await measure(side, -1, WARM_UP);
  const p = {
    p50: { gateway: [] as number[], direct: [] as number[], portkey: [] as number[] },
    p99: { gateway: [] as number[], direct: [] as number[], portkey: [] as number[] },
  };
  for (let round = 0; round < LATENCY_ROUNDS; round++) {
    for (const side of rotated(Object.keys(sides) as Side[], round)) {
      const ms = await measure(side, round, LATENCY_SAMPLES);
      p.p50[side].push(quantile(ms, 0.5));
      p.p99[side].push(quantile(ms, 0.99));
    }
  }

  const figures: Figure[] = [];
  for (const q of ['p50', 'p99'] as const) {
    const { gateway, direct, portkey } = p[q];
    const details = (ours: number[]) => ({
      [`${q}Ms`]: round2(median(ours)),
      [`direct${q.toUpperCase()}Ms`]: round2(median(direct)),
      addedMs: round2(median(ours.map((x, i) => x - direct[i]!))),
      requestsPerRound: LATENCY_SAMPLES,
      concurrency: 1,
      endpointLatencyMs: 0,
    });
    figures.push(
      figure(
        `gateway.miss-added-latency-${q}`,
        `cache-miss ${q}, unique temperature-0 Converse calls through the gateway process / straight to the endpoint (concurrency 1)`,
        gateway.map((x, i) => x / direct[i]!),
        { details: details(gateway) },
      ),
      figure(
        `portkey.miss-added-latency-${q}`,
        `${q}, the same prompts as chat completions through Portkey ${PORTKEY_VERSION} (→ Converse) / straight to the endpoint (concurrency 1)`,
        portkey.map((x, i) => x / direct[i]!),
        { details: details(portkey) },
      ),
    );
  }
  const added = (ours: number[]) => ours.map((x, i) => x - p.p50.direct[i]!);
  const [oursAdded, theirsAdded] = [added(p.p50.gateway), added(p.p50.portkey)];
  figures.push(
    figure(
      'gateway.miss-added-ms-vs-portkey',
      `p50 ms the gateway adds on a cache miss / p50 ms Portkey ${PORTKEY_VERSION} adds on its pass-through`,
      oursAdded.map((x, i) => x / theirsAdded[i]!),
      {
        details: { gatewayAddedMs: round2(median(oursAdded)), portkeyAddedMs: round2(median(theirsAdded)) },
      },
    ),
  );
  return figures;
}

async function throughputs(s: Servers, hitBytes: number): Promise<Figure[]> {
  const gw = gatewayTarget(s.gateway.url, MODEL);
  const hitBody = converseBody(HIT_TEXT, MAX_TOKENS);
  const run = `${process.pid}-${Date.now()}`;
  let n = 0;
  const sides = {
    'gateway-hit': { target: gw, body: hitBody as string | (() => string) },
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
      for (const side of rotated(names, round)) {
        const before = await settledCalls(s.bedrock.url);
        const result = await throughput(sides[side].target, sides[side].body, CONNECTIONS, DURATION_S);
        results[side].push(result);
        forwarded[side].push(((await settledCalls(s.bedrock.url)) - before) / result.requests);
      }
      const sample = await postOk(client, gw, hitBody);
      if (cacheHeader(sample.headers) !== 'hit')
        throw new Error(`the hit load request answered x-nova-cost-cache: ${cacheHeader(sample.headers)}, not hit`);
    }
  } finally {
    client.close();
  }
  // Hits must never reach the endpoint; unique requests and Portkey's pass-through must, each of them.
  if (forwarded['gateway-hit'].some((share) => share !== 0))
    throw new Error(
      `the gateway called the endpoint under hit load (${forwarded['gateway-hit'].join(', ')} per request)`,
    );
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
      `cache-hit req/s, gateway process / bare node:http process sending the same bytes (${CONNECTIONS} conns; higher is better)`,
      ratio('gateway-hit', 'baseline'),
      {
        details: { ...load, gateway: summary('gateway-hit'), baseline, endpointCallsPerRequest: 0 },
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

/** Idle resident memory of fresh processes, started together each round, read after IDLE_MS of quiet. */
async function idleRss(hitBody: Buffer, hitHeaders: Record<string, string>): Promise<Figure[]> {
  const mib = { gateway: [] as number[], nodeTsx: [] as number[], nodePlain: [] as number[], portkey: [] as number[] };
  for (let round = 0; round < RSS_ROUNDS; round++) {
    const ports = [await freePort(), await freePort(), await freePort(), await freePort()] as const;
    const started = await Promise.allSettled([
      startGatewayProcess(ports[0]),
      startBaselineProcess(ports[1], hitBody, hitHeaders, 'tsx'),
      startBaselineProcess(ports[2], hitBody, hitHeaders, 'none'),
      startPortkey(ports[3]),
    ]);
    const servers = started.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
    try {
      const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      await new Promise((r) => setTimeout(r, IDLE_MS));
      const [gateway, nodeTsx, nodePlain, portkey] = servers.map((x) => rssMiB(x!.pid));
      mib.gateway.push(gateway!);
      mib.nodeTsx.push(nodeTsx!);
      mib.nodePlain.push(nodePlain!);
      mib.portkey.push(portkey!);
    } finally {
      await stopAll(servers);
    }
  }
  const details = {
    gatewayMiB: round2(median(mib.gateway)),
    nodeHttpTsxMiB: round2(median(mib.nodeTsx)),
    nodeHttpPlainMiB: round2(median(mib.nodePlain)),
    portkeyMiB: round2(median(mib.portkey)),
    idleMs: IDLE_MS,
  };
  return [
    figure(
      'gateway.idle-rss',
      'idle RSS, fresh gateway process (embedded default: in-memory cache, endpoint in-process) / bare node:http, both node --import tsx',
      mib.gateway.map((x, i) => x / mib.nodeTsx[i]!),
      { details },
    ),
    figure(
      'portkey.idle-rss-vs-node-http',
      `idle RSS, fresh Portkey ${PORTKEY_VERSION} process / bare node:http, both plain node`,
      mib.portkey.map((x, i) => x / mib.nodePlain[i]!),
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

async function run(): Promise<Figure[]> {
  const [bedrockPort, gatewayPort, portkeyPort, baselinePort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const started = await Promise.allSettled([startBedrockProcess(bedrockPort), startPortkey(portkeyPort)]);
  const servers: (ChildServer | undefined)[] = started.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
  let hitBody: Buffer;
  let hitHeaders: Record<string, string>;
  const figures: Figure[] = [];
  try {
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [bedrock, portkey] = servers as [ChildServer, ChildServer];
    await checkPortkeyRoute(bedrock.url, portkey.url);
    const gateway = await startGatewayProcess(gatewayPort, bedrock.url);
    servers.push(gateway);

    // After the first call every call with this body is a hit: keep the answer the baseline will send back.
    const client = sequentialClient();
    try {
      const target = gatewayTarget(gateway.url, MODEL);
      await postOk(client, target, converseBody(HIT_TEXT, MAX_TOKENS));
      const hit = await postOk(client, target, converseBody(HIT_TEXT, MAX_TOKENS));
      if (cacheHeader(hit.headers) !== 'hit')
        throw new Error(
          `the second identical temperature-0 request answered x-nova-cost-cache: ${cacheHeader(hit.headers)}, not hit`,
        );
      hitBody = hit.body;
      hitHeaders = Object.fromEntries(
        Object.entries(hit.headers).filter(
          ([k, v]) =>
            typeof v === 'string' &&
            !['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(k),
        ) as [string, string][],
      );
    } finally {
      client.close();
    }
    const baseline = await startBaselineProcess(baselinePort, hitBody, hitHeaders);
    servers.push(baseline);

    const s: Servers = { bedrock, gateway, portkey, baseline };
    figures.push(...(await missLatency(s)));
    figures.push(...(await throughputs(s, hitBody.length)));
  } finally {
    await stopAll(servers);
  }
  figures.push(...(await idleRss(hitBody, hitHeaders)));
  return figures;
}

export const gatewaySection: BenchSection = {
  name: 'gateway',
  description:
    'the gateway process (and Portkey as a peer) against direct calls and a bare node:http server: hit throughput, miss latency, idle memory',
  run,
};

await runIfMain(import.meta, gatewaySection);

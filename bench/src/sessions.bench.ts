/**
 * Issue 19 benchmark: what the gateway costs a Nova Sonic session (InvokeModelWithBidirectionalStream, the AWS SDK's
 * HTTP/2 stream). The local Bedrock endpoint and the gateway (production bundle) run in their own processes on
 * 127.0.0.1; the clients (the real SDK) run in this process.
 *
 *   npm run bench -- sessions      or alone: cd bench && npx tsx src/sessions.bench.ts        (about 2 minutes)
 *
 * Figures, each against a baseline measured in the same run, rounds interleaved (the order rotates):
 *   1. the relay's added latency: in one open session, a typed turn is sent and the model's first answering event
 *      awaited — one event through the relay each way — through the gateway / straight to the local endpoint, p50
 *      and p99 of the milliseconds added (target: <= 5 ms at p50 for the two crossings)
 *   2. gateway resident memory with 50 sessions open whose clients read nothing mid-answer (the relay waits for them)
 *      / the same gateway idle, with the bytes it holds for them and the memory per session
 */
import type { InvokeModelWithBidirectionalStreamCommandOutput } from '@aws-sdk/client-bedrock-runtime';
import { BedrockRuntimeClient, InvokeModelWithBidirectionalStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { SonicConversation, SonicInput, freePort } from '@nova-cost/testing';
import type { ChildServer } from './lib/child-server';
import { rssMiB } from './lib/child-server';
import type { BenchSection, Figure } from './lib/report';
import { figure, runIfMain } from './lib/report';
import { median, nowMs, quantile } from './lib/stats';
import { startBedrockProcess, startGatewayProcess } from './gateway-servers';

const SONIC = 'amazon.nova-sonic-v1:0';
const ROUNDS = 5;
const TURNS = 60;
const WARM_UP_TURNS = 20;
const SESSIONS = 50;
const RSS_ROUNDS = 2;
const IDLE_MS = 2_000;

const round2 = (x: number): number => Math.round(x * 100) / 100;
const rotated = <T>(items: readonly T[], round: number): T[] => items.map((_, i) => items[(i + round) % items.length]!);

/** Where the events of a session arrived, in order, each with its time. */
class Timeline {
  readonly types: string[] = [];
  readonly at: number[] = [];
  private waiters: (() => void)[] = [];

  async read(body: InvokeModelWithBidirectionalStreamCommandOutput['body']): Promise<void> {
    try {
      for await (const part of body ?? []) {
        const bytes = part.chunk?.bytes;
        if (!bytes) continue;
        this.at.push(nowMs());
        const { event } = JSON.parse(Buffer.from(bytes).toString('utf8')) as { event: Record<string, unknown> };
        this.types.push(Object.keys(event)[0]!);
        for (const wake of this.waiters.splice(0)) wake();
      }
    } finally {
      for (const wake of this.waiters.splice(0)) wake();
    }
  }

  /** Resolves once `test()` holds (or the stream ended: the caller then finds it does not). */
  async until(test: () => boolean): Promise<void> {
    while (!test()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  count(type: string): number {
    return this.types.filter((t) => t === type).length;
  }
}

/**
 * A session that asks `turns` typed questions one after another (each answered by a short spoken answer: 4 text tokens,
 * 0.8 s of speech, two usageEvents), and returns the ms from sending each question to the first event answering it.
 */
async function turnLatencies(client: BedrockRuntimeClient, turns: number): Promise<number[]> {
  const talk = new SonicConversation({ maxTokens: 4 });
  const input = new SonicInput();
  // The SDK resolves send() at the model's first event: the first question goes with the start, unmeasured.
  input.send([...talk.start(), ...talk.text('USER', 'first question', true)]);
  const out = await client.send(new InvokeModelWithBidirectionalStreamCommand({ modelId: SONIC, body: input }));
  const timeline = new Timeline();
  const reading = timeline.read(out.body);
  const answered = (n: number) => () => timeline.count('usageEvent') >= 2 * n;
  await timeline.until(answered(1));
  const ms: number[] = [];
  for (let turn = 1; turn <= turns; turn++) {
    const next = timeline.types.length;
    const sent = nowMs();
    input.send(talk.text('USER', `question ${turn}`, true));
    await timeline.until(() => timeline.types.length > next);
    if (timeline.types.length <= next) throw new Error(`the session ended before turn ${turn} was answered`);
    ms.push(timeline.at[next]! - sent);
    await timeline.until(answered(turn + 1));
  }
  input.send(talk.end());
  input.end();
  await reading;
  return ms;
}

function sdk(url: string, credentials = { accessKeyId: 'demo', secretAccessKey: 'demo-secret' }): BedrockRuntimeClient {
  return new BedrockRuntimeClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1 });
}

async function relayLatency(bedrock: ChildServer, gateway: ChildServer): Promise<Figure[]> {
  const sides = { gateway: sdk(gateway.url), direct: sdk(bedrock.url) };
  type Side = keyof typeof sides;
  const names = Object.keys(sides) as Side[];
  try {
    for (const side of names) await turnLatencies(sides[side], WARM_UP_TURNS);
    const p = {
      p50: { gateway: [] as number[], direct: [] as number[] },
      p99: { gateway: [] as number[], direct: [] as number[] },
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const side of rotated(names, round)) {
        const ms = await turnLatencies(sides[side], TURNS);
        p.p50[side].push(quantile(ms, 0.5));
        p.p99[side].push(quantile(ms, 0.99));
      }
    }
    return (['p50', 'p99'] as const).map((q) => {
      const { gateway: ours, direct } = p[q];
      return figure(
        `sessions.relay-added-ms-${q}`,
        `ms the gateway adds to a Nova Sonic turn's first answering event (one event relayed each way, SDK over HTTP/2) over the endpoint direct, ${q}`,
        ours.map((x, i) => x - direct[i]!),
        {
          unit: 'ms',
          ...(q === 'p50' ? { target: { op: '<=', value: 5 } } : {}),
          details: { gatewayMs: round2(median(ours)), directMs: round2(median(direct)), turnsPerRound: TURNS },
        },
      );
    });
  } finally {
    for (const c of Object.values(sides)) c.destroy();
  }
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}

/** `count` sessions, each past its first event mid-answer, whose clients read nothing more; `close()` ends them. */
async function pausedSessions(url: string, count: number): Promise<{ close(): void }> {
  const aborts = Array.from({ length: count }, () => new AbortController());
  const client = sdk(url);
  const close = (): void => {
    for (const abort of aborts) abort.abort();
    client.destroy();
  };
  try {
    await Promise.all(
      aborts.map(async (abort, i) => {
        const talk = new SonicConversation();
        const input = new SonicInput();
        input.send([...talk.start(), ...talk.audio(1, i + 1)]);
        await client.send(new InvokeModelWithBidirectionalStreamCommand({ modelId: SONIC, body: input }), {
          abortSignal: abort.signal,
        });
      }),
    );
  } catch (error) {
    close();
    throw error;
  }
  return { close };
}

/** The demo tenant, allowed the bench's sessions at once (the default cap is Bedrock's quota of 20). */
const SESSIONS_CONFIG = {
  NOVA_COST_CONFIG_JSON: JSON.stringify({
    tenants: [{ id: 'demo', apiKeys: ['demo-key'], sigv4: [{ accessKeyId: 'demo', secret: 'demo-secret' }] }],
    policy: { sessions: { default: { maxConcurrent: SESSIONS } } },
  }),
};

async function sessionRss(bedrockUrl: string): Promise<Figure[]> {
  const idle: number[] = [];
  const loaded: number[] = [];
  const held: number[] = [];
  for (let round = 0; round < RSS_ROUNDS; round++) {
    const gateway = await startGatewayProcess(await freePort(), bedrockUrl, SESSIONS_CONFIG);
    try {
      // A few sessions first, so the code paths are compiled and loaded before the idle reading.
      const warm = sdk(gateway.url);
      for (let i = 0; i < 5; i++) await turnLatencies(warm, 2);
      warm.destroy();
      await new Promise((r) => setTimeout(r, IDLE_MS));
      idle.push(rssMiB(gateway.pid));
      const sessions = await pausedSessions(gateway.url, SESSIONS);
      try {
        for (
          let tries = 0;
          (await metric(gateway.url, 'nova_cost_speech_sessions_waiting_client')) < SESSIONS;
          tries++
        ) {
          if (tries > 600) throw new Error('the sessions did not all wait for their clients');
          await new Promise((r) => setTimeout(r, 100));
        }
        loaded.push(rssMiB(gateway.pid));
        held.push(await metric(gateway.url, 'nova_cost_speech_session_buffered_bytes'));
      } finally {
        sessions.close();
      }
    } finally {
      await gateway.stop();
    }
  }
  return [
    figure(
      'sessions.rss-50-sessions',
      `gateway RSS with ${SESSIONS} Nova Sonic sessions open whose clients read nothing mid-answer / the same gateway idle`,
      loaded.map((x, i) => x / idle[i]!),
      {
        details: {
          idleMiB: round2(median(idle)),
          loadedMiB: round2(median(loaded)),
          perSessionKiB: round2(median(loaded.map((x, i) => ((x - idle[i]!) * 1024) / SESSIONS))),
          bufferedKiBPerSession: round2(median(held) / 1024 / SESSIONS),
          sessions: SESSIONS,
        },
      },
    ),
  ];
}

async function run(): Promise<Figure[]> {
  const servers: ChildServer[] = [];
  try {
    const bedrock = await startBedrockProcess(await freePort());
    servers.push(bedrock);
    const gateway = await startGatewayProcess(await freePort(), bedrock.url);
    servers.push(gateway);
    const only = process.env['SESSIONS_BENCH_ONLY'];
    if (only === 'latency') return await relayLatency(bedrock, gateway);
    if (only === 'rss') return await sessionRss(bedrock.url);
    return [...(await relayLatency(bedrock, gateway)), ...(await sessionRss(bedrock.url))];
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

export const sessionsSection: BenchSection = {
  name: 'sessions',
  description:
    'Nova Sonic sessions: relay latency added per turn vs the endpoint direct, RSS with 50 sessions whose clients do not read',
  run,
};

await runIfMain(import.meta, sessionsSection);

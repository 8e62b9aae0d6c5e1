/**
 * Issue 13 item 9 benchmark: how long one large request body holds the gateway's event loop, which serves every
 * tenant. The gateway (production bundle) and the local Bedrock endpoint run in their own processes; the gateway's
 * own event-loop delay histogram (prom-client's nodejs_eventloop_lag_max_seconds, reset by each /metrics read) gives
 * the longest stall while it answers one 4 MB body.
 *
 *   npm run bench -- bodies      or alone: cd bench && npx tsx src/bodies.bench.ts        (about a minute)
 *
 * Figures, rounds interleaved:
 *   1. longest stall answering a 4 MB body of 20,000 tool results (structure-heavy: parse and walks cost most) with
 *      the body walked off the event loop (the default, BODY_OFF_THREAD_BYTES 256 KiB) / with every body walked on it
 *      (BODY_OFF_THREAD_BYTES=0), the same gateway build in the same run
 *   2. the same for a 4 MB body of one long text
 *   3. longest stall answering the 4 MB tool-results body / answering a 4 KB body, both with the default (what a large
 *      body still costs the other tenants: its JSON.parse; an unchanged body goes to Bedrock as the bytes sent, not
 *      serialised again by the AWS SDK); a baseline under the histogram's 10 ms resolution counts as 10 ms
 */
import { freePort } from '@nova-cost/testing';
import type { ChildServer } from './lib/child-server';
import type { BenchSection, Figure } from './lib/report';
import { figure, runIfMain } from './lib/report';
import { median } from './lib/stats';
import { startBedrockProcess, startGatewayProcess } from './gateway-servers';

const ROUNDS = 5;
/**
 * The event-loop delay histogram's resolution (prom-client's default eventLoopMonitoringPrecision): a stall shorter
 * than this is not sampled, so a 4 KB body's reads as 0 ms. It is the floor of a baseline in a ratio.
 */
const HISTOGRAM_RESOLUTION_MS = 10;
const MODEL = 'amazon.nova-lite-v1:0';

type Kind = 'tools' | 'text' | 'small';

/** A Converse body of about 4 MB (tools: 20,000 tool results; text: one long text) or 4 KB; unique per call. */
function body(kind: Kind, n: number): string {
  const tag = `round ${n} ${Math.random()}`;
  const content =
    kind === 'tools'
      ? [
          { text: tag },
          ...Array.from({ length: 20_000 }, (_, j) => ({
            toolResult: {
              toolUseId: `t${j}`,
              content: [{ json: { id: j, values: [1, 2, 3, 4, 5], name: 'x'.repeat(100) } }],
            },
          })),
        ]
      : [
          {
            text: `${tag} ${'lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(kind === 'text' ? 70_000 : 70)}`,
          },
        ];
  return JSON.stringify({ messages: [{ role: 'user', content }], inferenceConfig: { temperature: 0, maxTokens: 20 } });
}

/** The longest event-loop stall (ms) of `gateway` while it answers one body of `kind`. */
async function stallOf(gateway: ChildServer, kind: Kind, n: number): Promise<number> {
  const lagMax = async () => {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    return Number(/^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text)?.[1] ?? NaN) * 1000;
  };
  const payload = body(kind, n);
  await lagMax(); // reads (and so resets) the histogram
  const response = await fetch(`${gateway.url}/model/${MODEL}/converse`, {
    method: 'POST',
    headers: { 'x-api-key': 'demo-key', 'content-type': 'application/json' },
    body: payload,
  });
  if (response.status !== 200) throw new Error(`the gateway answered ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
  return lagMax();
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

export const bodiesSection: BenchSection = {
  name: 'bodies',
  description:
    'the longest event-loop stall of the gateway while it answers one 4 MB body, walked off the event loop / on it',
  async run(): Promise<Figure[]> {
    const [bedrockPort, offPort, onPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const bedrock = await startBedrockProcess(bedrockPort);
    const offThread = await startGatewayProcess(offPort, bedrock.url);
    const onThread = await startGatewayProcess(onPort, bedrock.url, { BODY_OFF_THREAD_BYTES: '0' });
    try {
      const stalls: Record<string, number[]> = {};
      const add = (key: string, ms: number) => (stalls[key] ??= []).push(ms);
      // A warm-up call each: the first one compiles the code paths and starts the analysis thread.
      for (const g of [offThread, onThread])
        for (const kind of ['tools', 'text', 'small'] as const) await stallOf(g, kind, -1);
      for (let round = 0; round < ROUNDS; round++) {
        for (const kind of ['tools', 'text'] as const) {
          const order = round % 2 === 0 ? [offThread, onThread] : [onThread, offThread];
          for (const g of order) add(`${kind}-${g === offThread ? 'off' : 'on'}`, await stallOf(g, kind, round));
        }
        add('small-off', await stallOf(offThread, 'small', round));
      }
      const ratios = (a: string, b: string) =>
        stalls[a]!.map((x, i) => x / Math.max(stalls[b]![i]!, HISTOGRAM_RESOLUTION_MS));
      const ms = Object.fromEntries(Object.entries(stalls).map(([k, v]) => [k, round1(median(v))]));
      return [
        figure(
          'bodies.stall-4mb-tool-results-off-vs-on-thread',
          'longest event-loop stall answering a 4 MB body of 20,000 tool results, walked off the event loop / on it',
          ratios('tools-off', 'tools-on'),
          { target: { op: '<=', value: 0.7 }, details: { medianStallMs: ms } },
        ),
        figure(
          'bodies.stall-4mb-text-off-vs-on-thread',
          'longest event-loop stall answering a 4 MB body of one text, walked off the event loop / on it',
          ratios('text-off', 'text-on'),
          { details: { medianStallMs: ms } },
        ),
        figure(
          'bodies.stall-4mb-vs-4kb',
          'longest event-loop stall answering a 4 MB body of tool results / a 4 KB body (what its JSON.parse still holds; a stall under the 10 ms histogram resolution counts as 10 ms)',
          ratios('tools-off', 'small-off'),
          { details: { medianStallMs: ms } },
        ),
      ];
    } finally {
      await Promise.all([offThread.stop(), onThread.stop(), bedrock.stop()]);
    }
  },
};

await runIfMain(import.meta, bodiesSection);

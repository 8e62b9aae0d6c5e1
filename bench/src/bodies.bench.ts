/**
 * Issue 13 item 9 benchmark: how long one large request body holds the gateway's event loop, which serves every
 * tenant. The gateway (production bundle) and the local Bedrock endpoint run in their own processes; a probe
 * preloaded into the gateway (loop-delay.preload.mjs: perf_hooks monitorEventLoopDelay at 1 ms resolution, read and
 * reset on a port of its own) gives the longest stall while it answers one body.
 *
 *   npm run bench -- bodies      or alone: cd bench && npx tsx src/bodies.bench.ts        (about a minute)
 *
 * Figures, rounds interleaved (a loaded machine descheduling the gateway shows as a stall too: compare with the
 * baseline, measured in the same rounds, and with the load average):
 *   1. the longest stall (ms) answering a 4 MB body of 20,000 tool results (structure-heavy: parse and walks cost
 *      most) with the default BODY_OFF_THREAD_BYTES (256 KiB: checked and walked on the body thread, read here member
 *      by member, forwarded as the bytes that came); the same for a 4 MB body of one long text
 *   2. that stall / the longest stall answering a 4 KB body (the baseline: what any request holds the loop for)
 *   3. that stall / the same with every body walked on the event loop (BODY_OFF_THREAD_BYTES=0), same build, same run
 */
import { freePort } from '@nova-cost/testing';
import type { Probed } from './lib/loop-stall';
import { PROBE_RESOLUTION_MS, round1, stallOf as stallOfPost, startProbed, toolResultsTurn } from './lib/loop-stall';
import type { BenchSection, Figure } from './lib/report';
import { figure, runIfMain } from './lib/report';
import { median } from './lib/stats';
import { startBedrockProcess } from './gateway-servers';

const ROUNDS = 7;
const MODEL = 'amazon.nova-lite-v1:0';

type Kind = 'tools' | 'text' | 'small';

/** A Converse body of about 4 MB (tools: 20,000 tool results; text: one long text) or 4 KB; unique per call. */
function body(kind: Kind, n: number): string {
  const tag = `round ${n} ${Math.random()}`;
  const content =
    kind === 'tools'
      ? toolResultsTurn(tag, 20_000)
      : [
          {
            text: `${tag} ${'lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(kind === 'text' ? 70_000 : 70)}`,
          },
        ];
  return JSON.stringify({ messages: [{ role: 'user', content }], inferenceConfig: { temperature: 0, maxTokens: 20 } });
}

/** The longest event-loop stall (ms) of the gateway while it answers one body of `kind`. */
const stallOf = (probed: Probed, kind: Kind, n: number): Promise<number> =>
  stallOfPost(probed, `/model/${MODEL}/converse`, body(kind, n));

export const bodiesSection: BenchSection = {
  name: 'bodies',
  description:
    'the longest event-loop stall of the gateway while it answers one 4 MB body (ms; / a 4 KB body; / walked on the event loop)',
  async run(): Promise<Figure[]> {
    const bedrock = await startBedrockProcess(await freePort());
    const offThread = await startProbed(bedrock.url);
    const onThread = await startProbed(bedrock.url, { BODY_OFF_THREAD_BYTES: '0' });
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
      // Each large body the default gateway answered was walked on its body thread (a thread that failed would have
      // left them all on the event loop, and the figures would measure that).
      const metrics = await (await fetch(`${offThread.gateway.url}/metrics`)).text();
      const walked = Number(/^nova_cost_bodies_parsed_off_thread_total (\S+)$/m.exec(metrics)?.[1] ?? 0);
      const large = 2 * (ROUNDS + 1);
      if (walked !== large) throw new Error(`the gateway walked ${walked} of ${large} large bodies off its event loop`);
      const ratios = (a: string, b: string) =>
        stalls[a]!.map((x, i) => x / Math.max(stalls[b]![i]!, PROBE_RESOLUTION_MS));
      const ms = Object.fromEntries(Object.entries(stalls).map(([k, v]) => [k, round1(median(v))]));
      return [
        figure(
          'bodies.stall-4mb-tool-results-ms',
          'longest event-loop stall answering a 4 MB body of 20,000 tool results (ms, default settings)',
          stalls['tools-off']!,
          { unit: 'ms', target: { op: '<=', value: 10 }, details: { medianStallMs: ms } },
        ),
        figure(
          'bodies.stall-4mb-text-ms',
          'longest event-loop stall answering a 4 MB body of one text (ms, default settings)',
          stalls['text-off']!,
          { unit: 'ms', target: { op: '<=', value: 10 }, details: { medianStallMs: ms } },
        ),
        figure(
          'bodies.stall-4mb-vs-4kb',
          'longest event-loop stall answering a 4 MB body of tool results / a 4 KB body (the baseline: what any request holds the loop for; floored at the 1 ms resolution)',
          ratios('tools-off', 'small-off'),
          { details: { medianStallMs: ms } },
        ),
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
      ];
    } finally {
      await Promise.all([offThread.gateway.stop(), onThread.gateway.stop(), bedrock.stop()]);
    }
  },
};

await runIfMain(import.meta, bodiesSection);

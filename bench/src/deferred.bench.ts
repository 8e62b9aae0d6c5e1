/**
 * Issue 13 (deferred calls): how long one large StartAsyncInvoke body holds the gateway's event loop, which serves
 * every tenant, while the gateway makes the call durable (its calls/ document written to S3) and answers. The gateway
 * (production bundle; the local Bedrock endpoint and its S3 in their own process) runs with the event-loop probe the
 * bodies section uses (loop-delay.preload.mjs: perf_hooks monitorEventLoopDelay at 1 ms resolution).
 *
 *   npm run bench -- deferred      or alone: cd bench && npx tsx src/deferred.bench.ts        (about a minute)
 *
 * Figures, rounds interleaved (a loaded machine descheduling the gateway shows as a stall too: compare with the
 * baseline, measured in the same rounds, and with the load average):
 *   1. the longest stall (ms) submitting a 4 MB deferred Converse body of 20,000 tool results
 *   2. that stall / the longest stall submitting a 4 KB one (the baseline), same gateway, same rounds
 */
import { freePort } from '@nova-cost/testing';
import type { Probed } from './lib/loop-stall';
import { PROBE_RESOLUTION_MS, round1, stallOf, startProbed, toolResultsTurn } from './lib/loop-stall';
import type { BenchSection, Figure } from './lib/report';
import { figure, runIfMain } from './lib/report';
import { median } from './lib/stats';
import { startBedrockProcess } from './gateway-servers';

const ROUNDS = 7;
const MODEL = 'amazon.nova-lite-v1:0';
const BUCKET = 'nova-cost-bench-async';

type Kind = 'large' | 'small';

/** A StartAsyncInvoke body whose Converse modelInput is about 4 MB (20,000 tool results) or 4 KB; unique per call. */
function body(kind: Kind, n: number): string {
  const tag = `round ${n} ${Math.random()}`;
  const content = toolResultsTurn(tag, kind === 'large' ? 20_000 : 20);
  const modelInput = { messages: [{ role: 'user', content }], inferenceConfig: { temperature: 0, maxTokens: 20 } };
  return JSON.stringify({ modelId: MODEL, modelInput, clientRequestToken: `bench-${kind}-${n}-${process.pid}` });
}

/** The longest event-loop stall (ms) of the gateway while it accepts one deferred call of `kind`. */
const stallOfCall = (probed: Probed, kind: Kind, n: number): Promise<number> =>
  stallOf(probed, '/async-invoke', body(kind, n));

export const deferredSection: BenchSection = {
  name: 'deferred',
  description:
    'the longest event-loop stall of the gateway while it accepts one 4 MB deferred call (StartAsyncInvoke; ms; / a 4 KB one)',
  async run(): Promise<Figure[]> {
    const s3Port = await freePort();
    // The local Bedrock and S3 in their own process, as AWS is (the gateway's embedded default serves S3 in the
    // gateway's own process, whose uploads would count as its stalls); jobs sent no sooner than an hour: only the
    // submission is measured, not a batch job's input being written.
    const bedrock = await startBedrockProcess(await freePort(), s3Port);
    const created = await fetch(`http://127.0.0.1:${s3Port}/${BUCKET}`, { method: 'PUT' }); // CreateBucket, path-style
    if (!created.ok) throw new Error(`the local S3 answered ${created.status} creating the bucket`);
    const probed = await startProbed(bedrock.url, {
      NOVA_COST_S3_ENDPOINT: `http://127.0.0.1:${s3Port}`,
      NOVA_COST_ASYNC_BUCKET: BUCKET,
      NOVA_COST_ASYNC_ROLE_ARN: 'arn:aws:iam::000000000000:role/nova-cost-bench',
      NOVA_COST_ASYNC_MIN_RECORDS: '1000000',
      NOVA_COST_ASYNC_MAX_RECORDS: '1000000',
      NOVA_COST_ASYNC_MAX_WAIT_MS: '3600000',
    });
    try {
      const stalls: Record<Kind, number[]> = { large: [], small: [] };
      for (const kind of ['large', 'small'] as const) await stallOfCall(probed, kind, -1); // warm-up: compiles, starts the thread
      for (let round = 0; round < ROUNDS; round++) {
        const order: Kind[] = round % 2 === 0 ? ['large', 'small'] : ['small', 'large'];
        for (const kind of order) stalls[kind].push(await stallOfCall(probed, kind, round));
      }
      const ms = { large: round1(median(stalls.large)), small: round1(median(stalls.small)) };
      return [
        figure(
          'deferred.stall-4mb-ms',
          'longest event-loop stall accepting a 4 MB deferred call of 20,000 tool results (ms, default settings)',
          stalls.large,
          { unit: 'ms', target: { op: '<=', value: 10 }, details: { medianStallMs: ms } },
        ),
        figure(
          'deferred.stall-4mb-vs-4kb',
          'longest event-loop stall accepting a 4 MB deferred call / a 4 KB one (the baseline; floored at the 1 ms resolution)',
          stalls.large.map((x, i) => x / Math.max(stalls.small[i]!, PROBE_RESOLUTION_MS)),
          { details: { medianStallMs: ms } },
        ),
      ];
    } finally {
      await Promise.all([probed.gateway.stop(), bedrock.stop()]);
    }
  },
};

await runIfMain(import.meta, deferredSection);

import { fileURLToPath } from 'node:url';
import { freePort } from '@nova-cost/testing';
import type { ChildServer } from './child-server';
import { startGatewayProcess } from '../gateway-servers';

/** The probe's resolution: a shorter stall is not sampled. It is the floor of a baseline in a ratio. */
export const PROBE_RESOLUTION_MS = 1;
const PROBE = fileURLToPath(new URL('../loop-delay.preload.mjs', import.meta.url));

/** A gateway process with its event-loop probe (loop-delay.preload.mjs, read and reset on a port of its own). */
export interface Probed {
  readonly gateway: ChildServer;
  readonly probeUrl: string;
}

/** A gateway process (production bundle) calling `bedrockUrl`, with the event-loop probe on its main thread. */
export async function startProbed(bedrockUrl: string, env: Record<string, string> = {}): Promise<Probed> {
  const [port, probePort] = [await freePort(), await freePort()];
  const gateway = await startGatewayProcess(port, bedrockUrl, { ...env, LOOP_DELAY_PORT: String(probePort) }, [
    '--import',
    PROBE,
  ]);
  return { gateway, probeUrl: `http://127.0.0.1:${probePort}/` };
}

/** The longest event-loop stall (ms) of the gateway while it answers one POST of `payload` to `path`. */
export async function stallOf({ gateway, probeUrl }: Probed, path: string, payload: string): Promise<number> {
  const lagMax = async () => ((await (await fetch(probeUrl)).json()) as { maxMs: number }).maxMs;
  await lagMax(); // reads (and so resets) the histogram
  const response = await fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { 'x-api-key': 'demo-key', 'content-type': 'application/json' },
    body: payload,
  });
  if (response.status !== 200) throw new Error(`the gateway answered ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
  return lagMax();
}

/** A user turn of `count` tool results after a text `tag`: structure-heavy (parse and walks cost most), ~200 B each. */
export function toolResultsTurn(tag: string, count: number): object[] {
  return [
    { text: tag },
    ...Array.from({ length: count }, (_, j) => ({
      toolResult: {
        toolUseId: `t${j}`,
        content: [{ json: { id: j, values: [1, 2, 3, 4, 5], name: 'x'.repeat(100) } }],
      },
    })),
  ];
}

export const round1 = (x: number): number => Math.round(x * 10) / 10;

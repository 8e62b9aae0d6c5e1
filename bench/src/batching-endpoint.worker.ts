/**
 * Runs the Bedrock stand-in endpoint on its own thread for batching.bench.ts, so the upstream's timers and
 * HTTP parsing do not compete with the client under test for one event loop (a real upstream is remote).
 * Protocol: the parent sends { id, op, arg }, the worker answers { id, result }.
 */
import { parentPort } from 'node:worker_threads';
import { startStandInBedrock } from '@nova-cost/batching/testing';
import type { StandInOptions } from '@nova-cost/batching/testing';

const port = parentPort;
if (!port) throw new Error('batching-endpoint.worker.ts must run as a worker thread');
const endpoint = await startStandInBedrock();
port.on('message', async ({ id, op, arg }: { id: number; op: 'configure' | 'reset' | 'stats' | 'close'; arg?: StandInOptions }) => {
  let result: unknown;
  if (op === 'configure') endpoint.configure(arg ?? {});
  else if (op === 'reset') endpoint.reset();
  else if (op === 'stats') result = endpoint.stats();
  else await endpoint.close();
  port.postMessage({ id, result });
});
port.postMessage({ id: 0, result: endpoint.url });

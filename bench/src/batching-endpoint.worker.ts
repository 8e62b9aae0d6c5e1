/**
 * Runs the upstreams of batching.bench.ts on their own thread, so their timers and HTTP parsing do not compete
 * with the client under test for one event loop (a real upstream is remote):
 *   - the local Bedrock endpoint with a fixed latency (workerData.latencyMs);
 *   - the same endpoint enforcing a quota of workerData.requestsPerMinute, as Bedrock does.
 * Protocol: the parent sends { id, op }, the worker answers { id, result }; id 0 carries both URLs at start.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startLocalBedrock } from '@nova-cost/bedrock-local';

const port = parentPort;
if (!port) throw new Error('batching-endpoint.worker.ts must run as a worker thread');
const { latencyMs, requestsPerMinute } = workerData as { latencyMs: number; requestsPerMinute: number };
const local = await startLocalBedrock({ latency: { fixedMs: latencyMs } });
const limited = await startLocalBedrock({
  latency: { fixedMs: latencyMs },
  faults: { quota: { requestsPerWindow: requestsPerMinute / 60, windowMs: 1_000 } },
});
port.on('message', async ({ id, op }: { id: number; op: 'reset-limited' | 'limited-stats' | 'close' }) => {
  let result: unknown;
  if (op === 'reset-limited') limited.reset();
  else if (op === 'limited-stats') result = { calls: limited.stats().calls, throttled: limited.stats().faults };
  else await Promise.all([local.close(), limited.close()]);
  port.postMessage({ id, result });
});
port.postMessage({ id: 0, result: { local: local.url, limited: limited.url } });

/**
 * Runs the upstreams of batching.bench.ts on their own thread, so their timers and HTTP parsing do not compete
 * with the client under test for one event loop (a real upstream is remote):
 *   - the local Bedrock endpoint with a fixed latency (workerData.latencyMs);
 *   - an endpoint that throttles above workerData.requestsPerMinute, as a Bedrock quota does.
 * Protocol: the parent sends { id, op }, the worker answers { id, result }; id 0 carries both URLs at start.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startRateLimitedEndpoint } from '@nova-cost/batching/testing';
import { startLocalBedrock } from '@nova-cost/bedrock-local';

const port = parentPort;
if (!port) throw new Error('batching-endpoint.worker.ts must run as a worker thread');
const { latencyMs, requestsPerMinute } = workerData as { latencyMs: number; requestsPerMinute: number };
const local = await startLocalBedrock({ latency: { fixedMs: latencyMs } });
const limited = await startRateLimitedEndpoint({ latencyMs, requestsPerWindow: requestsPerMinute / 60, windowMs: 1_000 });
port.on('message', async ({ id, op }: { id: number; op: 'reset-limited' | 'limited-stats' | 'close' }) => {
  let result: unknown;
  if (op === 'reset-limited') limited.reset();
  else if (op === 'limited-stats') result = limited.stats();
  else await Promise.all([local.close(), limited.close()]);
  port.postMessage({ id, result });
});
port.postMessage({ id: 0, result: { local: local.url, limited: limited.url } });

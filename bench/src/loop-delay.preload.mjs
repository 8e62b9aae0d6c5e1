/**
 * Preloaded into a server the bench measures (`node --import <this file> server.mjs`): its event loop's longest stall
 * at 1 ms resolution (perf_hooks monitorEventLoopDelay; prom-client's histogram samples every 10 ms, too coarse for a
 * stall of a few milliseconds), served on a port of its own so the server's routes are untouched. Plain JavaScript:
 * it runs beside the production bundle under plain node. Only on the main thread: the event loop every tenant shares. Environment:
 *   LOOP_DELAY_PORT   port on 127.0.0.1; GET / answers {"maxMs": <longest stall since the last GET>} and resets
 */
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

// Preloads run in the server's worker threads too (they inherit its execArgv): the probe is the main thread's.
if (isMainThread) probe();

function probe() {
  const port = Number(process.env.LOOP_DELAY_PORT);
  if (!Number.isInteger(port) || port <= 0)
    throw new Error(`LOOP_DELAY_PORT must be a port number, got ${JSON.stringify(process.env.LOOP_DELAY_PORT)}`);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const server = createServer((_req, res) => {
    // The histogram counts each sample's delay past the 1 ms timer: its max is the longest stall.
    const maxMs = delay.max / 1e6;
    delay.reset();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ maxMs }));
  });
  server.listen(port, '127.0.0.1');
  server.unref();
}

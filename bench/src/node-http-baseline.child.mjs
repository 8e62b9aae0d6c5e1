/**
 * Child process of gateway.bench.ts: the baseline server, a bare `node:http` server that reads each request body
 * and answers with fixed bytes (the body and headers the gateway answered a cache hit with), so the difference
 * is everything the gateway does per request. Plain JavaScript so the same file runs both ways the bench needs:
 * `node --import tsx <this file>` (the gateway's loader, for a fair comparison with it) and `node <this file>`
 * (plain node, like Portkey's built bundle). Environment:
 *   PORT              port on 127.0.0.1
 *   BASELINE_BODY     the answer body, base64
 *   BASELINE_HEADERS  the answer headers, a JSON object (default {"content-type":"application/json"})
 */
import { createServer } from 'node:http';

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0)
  throw new Error(`PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`);
const body = Buffer.from(process.env.BASELINE_BODY ?? '', 'base64');
const headers = {
  ...JSON.parse(process.env.BASELINE_HEADERS ?? '{"content-type":"application/json"}'),
  'content-length': String(body.length),
};

const server = createServer((req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    res.writeHead(200, headers);
    res.end(body);
  });
});
server.listen(port, '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));

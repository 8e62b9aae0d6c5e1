import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RateLimitedEndpointOptions {
  /** Added before every answer. @default 0 */
  readonly latencyMs?: number;
  /** Calls allowed to start within any `windowMs`; the rest get 429 ThrottlingException. */
  readonly requestsPerWindow: number;
  /** @default 1000 */
  readonly windowMs?: number;
}

export interface RateLimitedEndpoint {
  readonly url: string;
  stats(): { readonly calls: number; readonly throttled: number };
  reset(): void;
  configure(options: RateLimitedEndpointOptions): void;
  close(): Promise<void>;
}

/**
 * A Converse endpoint that enforces a request rate the way a Bedrock quota does: calls beyond the allowance of
 * a sliding window are throttled. `@nova-cost/bedrock-local` throttles a random share of calls instead, which
 * cannot show that a client keeps under a rate; this small server exists only for that check.
 */
export async function startRateLimitedEndpoint(initial: RateLimitedEndpointOptions): Promise<RateLimitedEndpoint> {
  let options = initial;
  let calls = 0;
  let throttled = 0;
  let starts: number[] = [];

  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      calls += 1;
      const now = performance.now();
      starts = starts.filter((t) => t > now - (options.windowMs ?? 1_000));
      const over = starts.length >= options.requestsPerWindow;
      starts.push(now);
      if (over) {
        throttled += 1;
        res.writeHead(429, { 'content-type': 'application/json', 'x-amzn-errortype': 'ThrottlingException' });
        res.end(JSON.stringify({ message: 'Too many requests, please wait before trying again.' }));
        return;
      }
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ output: { message: { role: 'assistant', content: [{ text: 'ok' }] } }, stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1 } }));
      }, options.latencyMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => ({ calls, throttled }),
    reset: () => {
      calls = throttled = 0;
      starts = [];
    },
    configure: (next) => {
      options = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

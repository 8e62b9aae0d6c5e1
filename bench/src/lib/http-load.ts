import autocannon from 'autocannon';
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, request } from 'node:http';
import { nowMs } from './stats';

export interface PostTarget {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface ThroughputResult {
  /** Mean requests per second over the run (2xx only: any error or non-2xx makes `throughput` throw). */
  readonly reqPerSec: number;
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/**
 * Closed-loop load with autocannon: `connections` keep-alive connections, each sending a POST as soon as its
 * previous answer arrived, for `durationS` seconds; with `ratePerS`, no more than that many requests a second in
 * all (the same offered load for every side). `body` is the same bytes every time, or a function called for each
 * request (unique requests). Throws if any request failed or was not 2xx, so a figure is never computed from error
 * answers.
 */
export async function throughput(
  target: PostTarget,
  body: string | (() => string),
  connections: number,
  durationS: number,
  ratePerS?: number,
): Promise<ThroughputResult> {
  const headers = { 'content-type': 'application/json', ...target.headers };
  const result = await autocannon({
    url: target.url,
    method: 'POST',
    headers,
    connections,
    duration: durationS,
    ...(ratePerS === undefined ? {} : { overallRate: ratePerS }),
    ...(typeof body === 'string'
      ? { body }
      : {
          requests: [
            {
              method: 'POST',
              path: new URL(target.url).pathname,
              headers,
              setupRequest: (req: autocannon.Request) => ({ ...req, body: body() }),
            },
          ],
        }),
  });
  if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0) {
    throw new Error(
      `load on ${target.url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers of ${result.requests.total}`,
    );
  }
  return {
    reqPerSec: result.requests.total / durationS,
    requests: result.requests.total,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  };
}

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly ms: number;
}

/** One keep-alive connection, for latency at concurrency 1 (no connection set-up inside a measured request). */
export function sequentialClient(): { post(target: PostTarget, body: string): Promise<Answer>; close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return {
    post: (target, body) =>
      new Promise((resolve, reject) => {
        const started = nowMs();
        const req = request(
          target.url,
          {
            method: 'POST',
            agent,
            headers: {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
              ...target.headers,
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: Buffer.concat(chunks),
                ms: nowMs() - started,
              }),
            );
            res.on('error', reject);
          },
        );
        req.setTimeout(30_000, () => req.destroy(new Error(`no answer from ${target.url} within 30 s`)));
        req.on('error', reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}

/** Posts and insists on a 2xx, naming the target and the answer otherwise. */
export async function postOk(
  client: ReturnType<typeof sequentialClient>,
  target: PostTarget,
  body: string,
): Promise<Answer> {
  const answer = await client.post(target, body);
  if (answer.status < 200 || answer.status >= 300) {
    throw new Error(`POST ${target.url} answered ${answer.status}: ${answer.body.toString().slice(0, 300)}`);
  }
  return answer;
}

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Behaviour of the stand-in endpoint; every field can be changed between calls with configure(). */
export interface StandInOptions {
  /** Added before every answer. @default 0 */
  readonly latencyMs?: number;
  /** Answer 429 ThrottlingException to every n-th call (1-based), e.g. 3 throttles calls 3, 6, 9… @default never */
  readonly throttleEvery?: number;
  /** Answer 500 to calls whose first user text contains this marker. @default none */
  readonly failMarker?: string;
  /** Throttle calls beyond this many started within any `quotaWindowMs` (Bedrock's per-model quota, scaled down). */
  readonly quotaPerWindow?: number;
  /** @default 1000 */
  readonly quotaWindowMs?: number;
}

export interface StandInStats {
  readonly calls: number;
  readonly throttled: number;
  readonly failed: number;
  readonly byModel: Readonly<Record<string, number>>;
  /** Most calls seen running at the same time. */
  readonly maxConcurrent: number;
}

export interface StandInEndpoint {
  readonly url: string;
  stats(): StandInStats;
  reset(): void;
  configure(options: StandInOptions): void;
  close(): Promise<void>;
}

const firstText = (body: Record<string, unknown>): string => JSON.stringify(body['messages'] ?? body['texts'] ?? '').slice(0, 500);

/**
 * A small HTTP server on the Bedrock runtime paths, used by this package's integration spec and the benchmark
 * until `@nova-cost/bedrock-local` exists: Converse answers echo the prompt with token usage, Cohere embed
 * answers carry one embedding per text; latency, throttling (every n-th call, or above a quota) and 500s are
 * injected. Only what the batcher's behaviour depends on, nothing more.
 */
export async function startStandInBedrock(initial: StandInOptions = {}): Promise<StandInEndpoint> {
  let options = initial;
  let calls = 0;
  let throttled = 0;
  let failed = 0;
  let running = 0;
  let maxConcurrent = 0;
  let byModel: Record<string, number> = {};
  let starts: number[] = [];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const match = /^\/model\/([^/]+)\/(converse|invoke)$/.exec(req.url ?? '');
      if (req.method !== 'POST' || !match) {
        res.writeHead(404).end();
        return;
      }
      const modelId = decodeURIComponent(match[1] ?? '');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      calls += 1;
      byModel[modelId] = (byModel[modelId] ?? 0) + 1;
      const now = performance.now();
      const window = options.quotaWindowMs ?? 1_000;
      starts = starts.filter((t) => t > now - window);
      const overQuota = options.quotaPerWindow !== undefined && starts.length >= options.quotaPerWindow;
      starts.push(now);
      const error = (status: number, type: string) => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type }).end(JSON.stringify({ message: type }));
      };
      if (overQuota || (options.throttleEvery !== undefined && calls % options.throttleEvery === 0)) {
        throttled += 1;
        return error(429, 'ThrottlingException');
      }
      running += 1;
      maxConcurrent = Math.max(maxConcurrent, running);
      setTimeout(() => {
        running -= 1;
        if (options.failMarker && firstText(body).includes(options.failMarker)) {
          failed += 1;
          return error(500, 'InternalServerException');
        }
        const texts = Array.isArray(body['texts']) ? (body['texts'] as string[]) : undefined;
        const prompt = firstText(body);
        const answer = texts
          ? { id: `emb-${calls}`, embeddings: texts.map((t) => [t.length, t.charCodeAt(0) || 0]), texts, response_type: 'embeddings_floats' }
          : {
              output: { message: { role: 'assistant', content: [{ text: `echo: ${prompt}` }] } },
              stopReason: 'end_turn',
              usage: { inputTokens: Math.ceil(prompt.length / 4), outputTokens: 5, totalTokens: Math.ceil(prompt.length / 4) + 5 },
            };
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (texts) headers['x-amzn-bedrock-input-token-count'] = String(texts.reduce((n, t) => n + Math.ceil(t.length / 4), 0));
        res.writeHead(200, headers).end(JSON.stringify(answer));
      }, options.latencyMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => ({ calls, throttled, failed, byModel: { ...byModel }, maxConcurrent }),
    reset: () => {
      calls = throttled = failed = maxConcurrent = 0;
      byModel = {};
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

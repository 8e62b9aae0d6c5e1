import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import { constants as h2, createServer as createH2Server } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { Duplex } from 'node:stream';
import { FaultPlan } from './fault-plan';
import type { LocalBedrockStats } from './local-bedrock-stats';
import { emptyStats } from './local-bedrock-stats';
import type { LocalBedrockFaults, LocalBedrockLatency, LocalBedrockOptions, ResolvedLatency } from './local-bedrock.options';
import { resolveFaults, resolveLatency, resolveOptions } from './local-bedrock.options';
import type { ModelAnswer } from './model-answer';
import { answerModelCall } from './model-dispatch';
import { lookUpModel, parseModelRoute } from './model-route';
import { PromptCache } from './prompt-cache';
import { isObject } from './prompt';
import { WireError, internalError, serviceUnavailable, throttling, validation } from './wire-error';

export interface LocalBedrockChange {
  latency?: LocalBedrockLatency;
  faults?: LocalBedrockFaults;
}

/** A running local Bedrock runtime endpoint. */
export interface LocalBedrock {
  /** Base URL to pass as the SDK client's `endpoint`, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  readonly port: number;
  /** A snapshot of the call counters. */
  stats(): LocalBedrockStats;
  /** Clears counters and the prompt cache, re-seeds the fault dice and re-arms `failFirst`. */
  reset(): void;
  /** Changes latency and/or faults; absent fields keep their current value. Re-arms `failFirst`. */
  configure(change: LocalBedrockChange): void;
  /** Stops listening and cuts open connections. */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 25 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => (size > MAX_BODY_BYTES ? reject(validation(`Input is too long: ${size} bytes, the limit is ${MAX_BODY_BYTES}`)) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function parseJsonObject(raw: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw validation('Malformed input request: the body is not valid JSON.');
  }
  if (!isObject(parsed)) throw validation('Malformed input request: the body must be a JSON object.');
  return parsed;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': randomUUID(), ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, error: WireError): void {
  sendJson(res, error.status, { message: error.message }, { 'x-amzn-errortype': error.type });
}

/** Waits, but gives up as soon as the client goes away, so aborted calls free the server at once. */
function delay(ms: number, res: ServerResponse): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    }
    res.on('close', done);
  });
}

// HTTP/2 streams are multiplexed: drop the one stream, not the session carrying other calls.
function dropConnection(req: IncomingMessage): void {
  const stream = (req as unknown as Partial<Http2ServerRequest>).stream;
  if (stream) stream.close(h2.NGHTTP2_INTERNAL_ERROR);
  else req.socket.destroy();
}

function isGone(res: ServerResponse): boolean {
  const stream = (res as unknown as { stream?: { destroyed: boolean } }).stream;
  return res.writableEnded || (stream ? stream.destroyed : res.destroyed);
}

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0');

// node:http2 reads a real socket natively, below the bytes we already peeked at (and unshifted);
// behind a plain Duplex it reads through JavaScript, so the peeked preface is seen.
function asJsStream(socket: Socket): Duplex {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(error, callback) {
      socket.destroy();
      callback(error);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) socket.pause();
  });
  socket.on('end', () => duplex.push(null));
  socket.on('close', () => duplex.destroy());
  socket.on('error', (error) => duplex.destroy(error));
  return duplex;
}

function invokeHeaders(answer: ModelAnswer, latencyMs: number): Record<string, string> {
  const headers: Record<string, string> = {
    'x-amzn-bedrock-input-token-count': String(answer.inputTokens),
    'x-amzn-bedrock-output-token-count': String(answer.outputTokens),
    'x-amzn-bedrock-invocation-latency': String(latencyMs),
  };
  if (answer.cacheReadInputTokens > 0) headers['x-amzn-bedrock-cache-read-input-token-count'] = String(answer.cacheReadInputTokens);
  if (answer.cacheWriteInputTokens > 0) headers['x-amzn-bedrock-cache-write-input-token-count'] = String(answer.cacheWriteInputTokens);
  return headers;
}

/** Starts the endpoint. Bad options reject with a NovaCostError of kind 'configuration'. */
export async function startLocalBedrock(options: LocalBedrockOptions = {}): Promise<LocalBedrock> {
  const resolved = resolveOptions(options);
  let latency: ResolvedLatency = resolved.latency;
  let faults = resolved.faults;
  const plan = new FaultPlan(faults, resolved.seed);
  const promptCache = new PromptCache();
  let stats = emptyStats();

  const configure = (change: unknown): void => {
    if (!isObject(change)) throw validation('config must be a JSON object with latency and/or faults');
    const nextLatency = resolveLatency(change['latency'], latency);
    const nextFaults = resolveFaults(change['faults'], faults);
    latency = nextLatency;
    faults = nextFaults;
    plan.configure(faults);
  };
  const reset = (): void => {
    stats = emptyStats();
    promptCache.clear();
    plan.reset();
  };
  const snapshot = (): LocalBedrockStats => ({ ...stats, byModel: { ...stats.byModel }, embeddedInputs: [...stats.embeddedInputs] });

  async function handleModelCall(req: IncomingMessage, res: ServerResponse, route: { modelId: string; operation: 'converse' | 'invoke' }): Promise<void> {
    const raw = await readBody(req);
    stats.calls += 1;
    stats.byModel[route.modelId] = (stats.byModel[route.modelId] ?? 0) + 1;
    const decision = plan.next();
    if (decision.fault !== undefined) {
      stats.faults += 1;
      if (decision.fault === 'drop') {
        dropConnection(req);
        return;
      }
      throw decision.fault === 'throttle' ? throttling() : decision.fault === 'internal-error' ? internalError() : serviceUnavailable();
    }
    const { spec, baseModelId } = lookUpModel(route.modelId);
    const body = parseJsonObject(raw);
    const latencyFor = (outputTokens: number): number => Math.round(latency.fixedMs + latency.perOutputTokenMs * outputTokens + decision.extraMs);
    const answer = answerModelCall(route.operation, spec, body, { modelId: route.modelId, baseModelId, latencyMs: latencyFor }, promptCache);
    const latencyMs = latencyFor(answer.outputTokens);
    await delay(latencyMs, res);
    if (isGone(res)) return;
    if (answer.embeddedInputs !== undefined) stats.embeddedInputs.push(answer.embeddedInputs);
    sendJson(res, 200, answer.body, route.operation === 'invoke' ? invokeHeaders(answer, latencyMs) : {});
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = new URL(req.url ?? '/', 'http://local').pathname;
    if (pathname === '/__stats' && req.method === 'GET') return sendJson(res, 200, snapshot());
    if (pathname === '/__reset' && req.method === 'POST') {
      await readBody(req);
      reset();
      return sendJson(res, 200, { ok: true });
    }
    if (pathname === '/__config' && req.method === 'POST') {
      const change = parseJsonObject(await readBody(req));
      try {
        configure(change);
      } catch (error) {
        throw validation(error instanceof Error ? error.message : String(error));
      }
      return sendJson(res, 200, { ok: true });
    }
    const route = parseModelRoute(pathname);
    if (route && req.method === 'POST') return handleModelCall(req, res, route);
    req.resume();
    sendJson(res, 404, { message: `No operation at ${req.method ?? '?'} ${pathname.slice(0, 200)}` }, { 'x-amzn-errortype': 'UnknownOperationException' });
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent || isGone(res)) return;
      sendError(res, error instanceof WireError ? error : new WireError(500, 'InternalServerException', 'The local endpoint failed to answer.'));
    });
  };
  // The SDK's Bedrock runtime client speaks HTTP/2 by default (cleartext, prior knowledge) and HTTP/1.1
  // with a NodeHttpHandler: one port serves both, picked by the connection's first bytes.
  const http1 = createServer(onRequest);
  http1.keepAliveTimeout = 5_000;
  const http2 = createH2Server(onRequest as unknown as Parameters<typeof createH2Server>[1]);
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // A client resetting before its first byte must not crash the process (no server owns the socket yet).
    socket.on('error', () => socket.destroy());
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      if (first.subarray(0, H2_PREFACE.length).equals(H2_PREFACE)) http2.emit('connection', asJsStream(socket));
      else http1.emit('connection', socket);
      socket.resume();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;

  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    stats: snapshot,
    reset,
    configure: (change) => configure(change),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        http1.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      }),
  };
}

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import { constants as h2 } from 'node:http2';
import type { ModelAnswer } from './model-answer';
import { isObject } from './prompt';
import type { WireError } from './wire-error';
import { validation } from './wire-error';

// One request/response exchange, the same for HTTP/1.1 and HTTP/2 (compatibility API).

const MAX_BODY_BYTES = 25 * 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () =>
      size > MAX_BODY_BYTES
        ? reject(validation(`Input is too long: ${size} bytes, the limit is ${MAX_BODY_BYTES}`))
        : resolve(Buffer.concat(chunks)),
    );
    req.on('error', reject);
  });
}

export function parseJsonObject(raw: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw validation('Malformed input request: the body is not valid JSON.');
  }
  if (!isObject(parsed)) throw validation('Malformed input request: the body must be a JSON object.');
  return parsed;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: WireError): void {
  sendJson(res, error.status, { ...error.members, message: error.message }, { 'x-amzn-errortype': error.type });
}

/** Waits, but gives up as soon as the client goes away, so aborted calls free the server at once. */
export function delay(ms: number, res: ServerResponse): Promise<void> {
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
export function dropConnection(req: IncomingMessage): void {
  const stream = (req as unknown as Partial<Http2ServerRequest>).stream;
  if (stream) stream.close(h2.NGHTTP2_INTERNAL_ERROR);
  else req.socket.destroy();
}

export function isGone(res: ServerResponse): boolean {
  const stream = (res as unknown as { stream?: { destroyed: boolean } }).stream;
  return res.writableEnded || (stream ? stream.destroyed : res.destroyed);
}

export function invokeHeaders(answer: ModelAnswer, latencyMs: number): Record<string, string> {
  const headers: Record<string, string> = {
    'x-amzn-bedrock-input-token-count': String(answer.inputTokens),
    'x-amzn-bedrock-output-token-count': String(answer.outputTokens),
    'x-amzn-bedrock-invocation-latency': String(latencyMs),
  };
  if (answer.cacheReadInputTokens > 0)
    headers['x-amzn-bedrock-cache-read-input-token-count'] = String(answer.cacheReadInputTokens);
  if (answer.cacheWriteInputTokens > 0)
    headers['x-amzn-bedrock-cache-write-input-token-count'] = String(answer.cacheWriteInputTokens);
  return headers;
}

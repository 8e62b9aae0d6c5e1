import type { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { NovaCostError, isJsonObject, sourceDigestOf } from '@nova-cost/domain';

// A Converse body between its JSON (as callers send it, and as Bedrock's JSON protocol carries it) and the SDK: blob
// fields decoded to bytes on the way in and encoded again on the way out, or the caller's own JSON bytes sent as they
// came when nothing changed the body (and signed with their sha256, known already).

// Converse fields of Smithy type blob. On the JSON wire they are base64 strings; the SDK wants Uint8Array and
// base64-encodes whatever it is given, so a string passed through unchanged would be encoded twice.
const BLOB_PATHS: readonly (readonly string[])[] = [
  ['image', 'source', 'bytes'],
  ['document', 'source', 'bytes'],
  ['video', 'source', 'bytes'],
  ['audio', 'source', 'bytes'],
  ['guardContent', 'image', 'source', 'bytes'],
  ['reasoningContent', 'redactedContent'],
];

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBase64(value: unknown, field: string): unknown {
  if (typeof value !== 'string') return value;
  if (value.length % 4 !== 0 || !BASE64.test(value)) {
    throw new NovaCostError(
      'validation',
      `${field} must be base64 (standard alphabet, padded), as the Bedrock JSON protocol sends bytes`,
      { details: { field } },
    );
  }
  return Buffer.from(value, 'base64');
}

/** A copy of `value` with the leaf at `path` replaced, or `value` itself when the path is absent. */
function updateIn(
  value: unknown,
  path: readonly string[],
  field: string,
  update: (leaf: unknown, field: string) => unknown,
): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return update(value, field);
  if (!isJsonObject(value) || !(head in value)) return value;
  const next = updateIn(value[head], rest, `${field}.${head}`, update);
  return next === value[head] ? value : { ...value, [head]: next };
}

function mapArray(value: unknown, field: string, each: (item: unknown, field: string) => unknown): unknown {
  return Array.isArray(value) ? value.map((item, i) => each(item, `${field}[${i}]`)) : value;
}

function decodeBlock(block: unknown, field: string): unknown {
  let out = block;
  for (const path of BLOB_PATHS) out = updateIn(out, path, field, decodeBase64);
  return updateIn(out, ['toolResult', 'content'], field, (content, f) => mapArray(content, f, decodeBlock));
}

/**
 * The Converse request as the SDK wants it: base64 strings of blob fields (image, document, video and audio
 * bytes, in messages, system and tool results; redacted reasoning) decoded to bytes. The body is not mutated.
 * Invalid base64 fails as 'validation', naming the field.
 */
export function converseInputFromJson(body: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body };
  if ('messages' in body) {
    out['messages'] = mapArray(body['messages'], 'messages', (message, f) =>
      updateIn(message, ['content'], f, (content, cf) => mapArray(content, cf, decodeBlock)),
    );
  }
  if ('system' in body) out['system'] = mapArray(body['system'], 'system', decodeBlock);
  return out;
}

/** Content blocks (an array, as ApplyGuardrail's `content`) with their base64 blob fields decoded to bytes. */
export function blocksFromJson(blocks: unknown, field: string): unknown {
  return mapArray(blocks, field, decodeBlock);
}

/** The SDK's Converse output made JSON again: every Uint8Array (a blob) back to a base64 string. */
export function blobsToBase64(value: unknown): unknown {
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return value.map(blobsToBase64);
  if (isJsonObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, blobsToBase64(v)]));
  }
  return value;
}

/**
 * Makes `command` send `bytes` as its HTTP body in place of what the SDK serialised from its input: the JSON text the
 * caller sent, when its body reaches the adapter unchanged (see rememberBodySource), so Bedrock gets those bytes as
 * they came instead of the SDK walking megabytes of JSON again on the thread every tenant shares. For Converse and
 * ConverseStream, whose every body member the caller's JSON holds (the input then carries the path's `modelId` only).
 * Runs first in the build step, before the content length is set and long before the request is
 * signed, so the signature covers the bytes sent; a retry sends them again.
 */
export function sendingBytes<C extends ConverseCommand | ConverseStreamCommand>(command: C, bytes: Uint8Array): C {
  // Both commands' stacks take the same build middleware; the union's overloads do not say so.
  (command as ConverseCommand).middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { body?: unknown; headers?: Record<string, string> };
      request.body = bytes;
      if (request.headers) {
        for (const name of Object.keys(request.headers))
          if (name.toLowerCase() === 'content-length') delete request.headers[name];
        request.headers['content-length'] = String(bytes.byteLength);
      }
      return next(args);
    },
    { step: 'build', priority: 'high', name: 'novaCostCallerBytes' },
  );
  return command;
}

const SHA256_HEADER = 'x-amz-content-sha256';

/** Sets a caller's bytes' known sha256 as the request's x-amz-content-sha256 (BedrockStreamCall's requests too). */
export function withKnownPayloadHash(request: { body?: unknown; headers?: Record<string, string> }): void {
  const digest = request.body instanceof Uint8Array ? sourceDigestOf(request.body) : undefined;
  if (digest !== undefined && request.headers) request.headers[SHA256_HEADER] = digest;
}

/**
 * Makes `client` sign a request whose body is a caller's bytes with their sha256 already known (computed off the
 * event loop, see sourceDigestOf) by setting it as the x-amz-content-sha256 header (which the signer sends anyway),
 * so the SigV4 signer takes it as the payload hash instead of hashing megabytes again on the thread every tenant
 * shares. Runs last in the
 * build step, after the caller's bytes replaced the serialised body; any other body is hashed by the signer as before.
 */
export function signingWithKnownPayloadHash(client: BedrockRuntimeClient): BedrockRuntimeClient {
  client.middlewareStack.add(
    (next) => async (args) => {
      withKnownPayloadHash(args.request as { body?: unknown; headers?: Record<string, string> });
      return next(args);
    },
    { step: 'build', priority: 'low', name: 'novaCostKnownPayloadHash' },
  );
  return client;
}

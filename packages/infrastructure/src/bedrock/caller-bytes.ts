import type { ConverseCommand, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';

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

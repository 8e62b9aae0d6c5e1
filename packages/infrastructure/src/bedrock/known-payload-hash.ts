import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { sourceDigestOf } from '@nova-cost/domain';

const SHA256_HEADER = 'x-amz-content-sha256';

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
      const request = args.request as { body?: unknown; headers?: Record<string, string> };
      const digest = request.body instanceof Uint8Array ? sourceDigestOf(request.body) : undefined;
      if (digest !== undefined && request.headers) request.headers[SHA256_HEADER] = digest;
      return next(args);
    },
    { step: 'build', priority: 'low', name: 'novaCostKnownPayloadHash' },
  );
  return client;
}

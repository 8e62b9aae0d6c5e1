/**
 * A Converse request exactly as the AWS SDK sends it, SigV4-signed (its headers, path and body), captured by a
 * request handler that sends nothing: what the gateway verifies on every call from an SDK client. A load generator
 * then replays it byte for byte, as a client that signs no per-call nonce would (the gateway accepts a valid
 * signature again while its date is within the skew window), so every request costs the verifier a full check.
 */
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import type { PostTarget } from './lib/http-load';

/** Headers the load generator sets itself from the URL and the body. */
const OWN_HEADERS = new Set(['host', 'content-length']);

class Captured extends Error {
  constructor(readonly request: { path: string; headers: Record<string, string>; body: unknown }) {
    super('captured');
  }
}

/** The signed Converse call of `modelId` with `body` (a Converse request body, JSON) to `gatewayUrl`. */
export async function sdkSignedConverse(
  gatewayUrl: string,
  modelId: string,
  body: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
): Promise<{ target: PostTarget; body: string }> {
  const client = new BedrockRuntimeClient({
    endpoint: gatewayUrl,
    region: 'us-east-1',
    credentials,
    maxAttempts: 1,
    requestHandler: {
      handle: async (request: { path: string; headers: Record<string, string>; body: unknown }) => {
        throw new Captured(request);
      },
    },
  });
  try {
    await client.send(new ConverseCommand({ modelId, ...(JSON.parse(body) as object) }));
  } catch (err) {
    if (!(err instanceof Captured)) throw err;
    const { path, headers, body: sent } = err.request;
    return {
      target: {
        url: `${gatewayUrl}${path}`,
        headers: Object.fromEntries(Object.entries(headers).filter(([k]) => !OWN_HEADERS.has(k.toLowerCase()))),
      },
      body: sent instanceof Uint8Array ? Buffer.from(sent).toString('utf8') : String(sent),
    };
  } finally {
    client.destroy();
  }
  throw new Error('the SDK sent no request to capture');
}

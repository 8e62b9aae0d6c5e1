import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';

// Helpers of the gateway's specs (not part of the gateway).

/** Calls `listener` with the response headers of every answer `client` gets (x-nova-cost-*: the SDK drops them). */
export function onAnswerHeaders<C extends BedrockRuntimeClient>(
  client: C,
  listener: (headers: Record<string, string>) => void,
): C {
  client.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      listener((out.response as { headers: Record<string, string> }).headers);
      return out;
    },
    { step: 'deserialize', name: 'novaCostAnswerHeaders' },
  );
  return client;
}

/** The error `promise` rejects with; fails when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: Error) => e,
  );
}

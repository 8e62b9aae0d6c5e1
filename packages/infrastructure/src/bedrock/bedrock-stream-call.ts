import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import {
  ConverseStream$,
  ConverseStreamCommand,
  InvokeModelWithResponseStream$,
} from '@aws-sdk/client-bedrock-runtime';
import type { StreamOperation } from '@nova-cost/domain';
import { getEndpointFromInstructions, toEndpointV1 } from '@smithy/core/endpoints';
import { DefaultIdentityProviderConfig, httpAuthSchemeMiddleware, httpSigningMiddleware } from '@smithy/core';
import { retryMiddleware } from '@smithy/core/retry';
import { operation } from '@smithy/core/schema';
import type { HttpRequest, HttpResponse } from '@smithy/core/transport';
import { withKnownPayloadHash } from './converse-json';
import type { RawEventStream } from './raw-event-stream';
import { firstFrames, sdkError } from './raw-event-stream';

type OperationSchema = ReturnType<typeof operation>;
/** The client's resolved protocol (restJson1); its declared union of protocol types has no common call signature. */
interface Protocol {
  serializeRequest(op: OperationSchema, input: object, context: object): Promise<HttpRequest>;
  deserializeResponse(op: OperationSchema, context: object, response: HttpResponse): Promise<unknown>;
}
/** The key under which the SDK's middleware finds a call's abort signal and auth scheme (@smithy/types SMITHY_CONTEXT_KEY). */
const SMITHY_CONTEXT_KEY = '__smithy_context';

const schemaOf = (op: StreamOperation): OperationSchema => {
  const [, ns, name, traits, input, output] =
    op === 'converse-stream' ? ConverseStream$ : InvokeModelWithResponseStream$;
  return operation(ns, name, traits, input, output);
};
const SCHEMAS = {
  'converse-stream': schemaOf('converse-stream'),
  'invoke-with-response-stream': schemaOf('invoke-with-response-stream'),
};

/**
 * A streaming call (ConverseStream, InvokeModelWithResponseStream) made with the SDK client's own parts — its endpoint
 * rules, protocol serialiser, auth scheme choice and signer (SigV4 with its credentials and clock-skew correction, or a
 * Bedrock API key as a bearer token, as `send` chooses), retry strategy and middleware, HTTP handler, error
 * deserialiser and event-stream codec — without building and running the whole middleware stack for every call
 * (a command's stack is resolved per call, and its deserialiser decodes every event into objects the gateway
 * only encodes again). What goes out is what `client.send` sends, signed the same way; an error answer, or a first
 * frame that is an exception, raises the SDK's own exception, retried as the SDK retries it.
 */
export class BedrockStreamCall {
  private parts: Promise<{ context: object }> | undefined;

  constructor(readonly client: BedrockRuntimeClient) {}

  /** Resolves once the first event arrived, with it and the frames after it (undefined for a stream with no frames). */
  async start(
    op: StreamOperation,
    input: { readonly modelId: string } & object,
    bytes: Uint8Array | undefined,
    abortSignal: AbortSignal,
  ): Promise<RawEventStream | undefined> {
    const { context } = await (this.parts ??= this.resolveParts().catch((error: unknown) => {
      this.parts = undefined; // a failed setup is tried again by the next call
      throw error;
    }));
    const config = this.client.config;
    const protocol = config.protocol as unknown as Protocol;
    const schema = SCHEMAS[op];
    const request = await protocol.serializeRequest(schema, input, context);
    if (bytes) request.body = bytes; // the caller's bytes (see rememberBodySource)
    request.headers['content-length'] = String(
      typeof request.body === 'string' ? Buffer.byteLength(request.body) : (request.body as Uint8Array).byteLength,
    );
    request.headers['host'] = request.hostname + (request.port ? `:${request.port}` : '');
    withKnownPayloadHash(request); // as the client's signingWithKnownPayloadHash middleware does for send
    const attempt = async (args: { request: HttpRequest }) => {
      const { response } = await config.requestHandler.handle(args.request as never, { abortSignal });
      if (response.statusCode !== 200) {
        // The SDK's error deserialiser throws the modelled exception (name, status, members, $metadata).
        throw withResponse(await rejection(protocol.deserializeResponse(schema, context, response)), response);
      }
      const frames = await firstFrames(response.body as AsyncIterable<Uint8Array>);
      if (frames && frames.kind === 'not-event')
        throw withResponse(await sdkError(this.client, op, frames.first), response);
      return { response, output: { $metadata: {}, frames: frames?.stream } };
    };
    const callContext = {
      [SMITHY_CONTEXT_KEY]: { abortSignal, operation: schema.name },
      logger: config.logger,
    } as never;
    // As the client's stack: the auth scheme chosen once per call, then retried attempts each signed by it.
    const signing = httpSigningMiddleware(config as never)(attempt as never, callContext);
    const retrying = retryMiddleware(config as never)(signing as never, callContext);
    const authenticating = httpAuthSchemeMiddleware(config as never, AUTH_SCHEME_OPTIONS)(
      retrying as never,
      callContext,
    );
    const { output } = (await authenticating({ input, request } as never)) as { output: { frames?: RawEventStream } };
    return output.frames;
  }

  private async resolveParts(): Promise<{ context: object }> {
    const config = this.client.config;
    // Bedrock Runtime's endpoint rules read no member of the input (region, FIPS, dual-stack, a custom endpoint): one
    // endpoint serves every call of the client, both streaming operations included.
    const endpoint = await getEndpointFromInstructions({}, ConverseStreamCommand as never, config as never);
    const context = { ...config, endpoint: async () => toEndpointV1(endpoint) };
    return { context };
  }
}

/** What the client gives its auth scheme middleware (the client's own, @aws-sdk/client-bedrock-runtime's constructor). */
const AUTH_SCHEME_OPTIONS = {
  httpAuthSchemeParametersProvider: async (
    config: { region: () => Promise<string> },
    context: Record<string, { operation?: string }>,
  ) => ({ operation: context[SMITHY_CONTEXT_KEY]?.operation, region: await config.region() }),
  identityProviderConfigProvider: async (config: { credentials: unknown; token: unknown }) =>
    new DefaultIdentityProviderConfig({
      'aws.auth#sigv4': config.credentials as never,
      'smithy.api#httpBearerAuth': config.token as never,
    }),
} as never;

/** The error a promise that must reject rejected with. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return new Error('the SDK did not raise an error answer');
}

/** As the SDK's deserializer middleware: the raw answer rides on the error (the retry strategy reads Retry-After). */
function withResponse(error: unknown, response: HttpResponse): unknown {
  if (error && typeof error === 'object' && !('$response' in error))
    Object.defineProperty(error, '$response', { value: response, enumerable: false });
  return error;
}

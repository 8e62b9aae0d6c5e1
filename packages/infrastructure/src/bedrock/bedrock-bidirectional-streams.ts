import type { InvokeModelWithBidirectionalStreamOutput } from '@aws-sdk/client-bedrock-runtime';
import { BedrockRuntimeClient, InvokeModelWithBidirectionalStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import type { BidirectionalModelStreams, BidirectionalStreamRequest } from '@nova-cost/domain';
import type { BedrockCallContext } from './bedrock-error.mapper';
import { mapBedrockError } from './bedrock-error.mapper';
import type { BedrockCredentials } from './bedrock-model-invoker.options';
import { resolveInvokerOptions } from './bedrock-model-invoker.options';

/** Where the sessions go: settings to build the SDK client from, or a ready client. */
export type BedrockBidirectionalStreamsOptions =
  | {
      /** AWS region to call, e.g. 'us-east-1'. */
      readonly region: string;
      /** Endpoint URL override, e.g. the local Bedrock endpoint's `url`. @default the regional Bedrock runtime endpoint */
      readonly endpoint?: string;
      /** @default the SDK's default credential provider chain */
      readonly credentials?: BedrockCredentials;
    }
  | { readonly client: BedrockRuntimeClient };

const OPERATION = 'invoke-with-bidirectional-stream' as const;

const ignore = (): void => undefined;
/**
 * Without a logger of its own the SDK warns on the console about every failed session ("An error was encountered in a
 * non-retryable streaming request"); the failure reaches the caller as a NovaCostError, which says more.
 */
const QUIET = { trace: ignore, debug: ignore, info: ignore, warn: ignore, error: ignore };

async function* chunks(input: AsyncIterable<Uint8Array>): AsyncGenerator<{ chunk: { bytes: Uint8Array } }> {
  for await (const bytes of input) yield { chunk: { bytes } };
}

async function* events(
  output: AsyncIterable<InvokeModelWithBidirectionalStreamOutput> | Iterable<never>,
  context: BedrockCallContext,
): AsyncGenerator<Uint8Array> {
  try {
    for await (const event of output) if (event.chunk?.bytes) yield event.chunk.bytes;
  } catch (error) {
    throw mapBedrockError(error, context);
  }
}

/**
 * Bedrock's InvokeModelWithBidirectionalStream (Nova Sonic) through the AWS SDK, which speaks it over HTTP/2 only (its
 * default request handler, one connection per session). Each call is made once: a session's input cannot be sent
 * twice, so nothing is retried. The SDK resolves `send` at the model's first event, so a refusal (an error answer, or
 * an exception as the first event) rejects `open` with Bedrock's status and name; a later exception event is thrown
 * by the iteration with its name in `upstream`. Aborting the request's signal closes the HTTP/2 stream.
 */
export class BedrockBidirectionalStreams implements BidirectionalModelStreams {
  private readonly client: BedrockRuntimeClient;

  constructor(options: BedrockBidirectionalStreamsOptions) {
    if ('client' in options) {
      this.client = options.client;
      return;
    }
    const { region, endpoint, credentials } = options;
    // Validated as the invoker's settings are (region shape, endpoint URL, credentials).
    const resolved = resolveInvokerOptions({ region, endpoint, credentials });
    const settings = 'settings' in resolved ? resolved.settings : undefined;
    this.client = new BedrockRuntimeClient({
      region: settings!.region,
      ...(settings!.endpoint ? { endpoint: settings!.endpoint } : {}),
      ...(settings!.credentials ? { credentials: settings!.credentials } : {}),
      maxAttempts: 1,
      logger: QUIET,
    });
  }

  async open(request: BidirectionalStreamRequest): Promise<AsyncIterable<Uint8Array>> {
    const { modelId, signal } = request;
    const context: BedrockCallContext = { modelId, operation: OPERATION, signal };
    if (signal.aborted) throw mapBedrockError(signal.reason, context);
    try {
      const output = await this.client.send(
        new InvokeModelWithBidirectionalStreamCommand({ modelId, body: chunks(request.input) }),
        { abortSignal: signal },
      );
      return events(output.body ?? [], context);
    } catch (error) {
      throw mapBedrockError(error, context);
    }
  }

  /** Closes the client's connections. */
  close(): void {
    this.client.destroy();
  }
}

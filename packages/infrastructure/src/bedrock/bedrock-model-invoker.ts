import type { ConverseCommandInput, ConverseCommandOutput } from '@aws-sdk/client-bedrock-runtime';
import { BedrockRuntimeClient, ConverseCommand, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import type {
  GuardrailApplier,
  GuardrailRequest,
  GuardrailResult,
  InvocationRequest,
  PlannedInvocation,
  InvocationResult,
  InvokeOptions,
  JsonObject,
  ModelInvoker,
  ModelStream,
  ModelStreamer,
} from '@nova-cost/domain';
import {
  NovaCostError,
  ZERO_USAGE,
  bodySourceOf,
  hourCacheWrites,
  isJsonObject,
  isStreamOperation,
  withHourWrites,
} from '@nova-cost/domain';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { BedrockCallContext } from './bedrock-error.mapper';
import { mapBedrockError } from './bedrock-error.mapper';
import type { BedrockModelInvokerOptions, ResolvedClientSettings } from './bedrock-model-invoker.options';
import { resolveInvokerOptions } from './bedrock-model-invoker.options';
import { CallDeadline } from './call-deadline';
import { countTokens } from './bedrock-count-tokens';
import { applyGuardrail } from './bedrock-guardrail';
import { startBedrockStream } from './bedrock-stream';
import { BedrockStreamCall } from './bedrock-stream-call';
import { invokeParametersInput } from './invoke-parameters';
import { blobsToBase64, converseInputFromJson, sendingBytes, signingWithKnownPayloadHash } from './converse-json';
import type { HeaderBag } from './invoke-usage';
import { invokeLatencyMs, invokeStopReason, invokeUsage } from './invoke-usage';
import { BedrockLevers } from './bedrock-levers';
import { ThrottleRefusingRetryStrategy } from './throttle-refusing.retry-strategy';

function buildClient(settings: ResolvedClientSettings): BedrockRuntimeClient {
  const client = new BedrockRuntimeClient({
    region: settings.region,
    endpoint: settings.endpoint,
    credentials: settings.credentials,
    retryMode: settings.retryMode,
    maxAttempts: settings.maxAttempts,
    ...(settings.retryThrottles
      ? {}
      : { retryStrategy: new ThrottleRefusingRetryStrategy(settings.retryMode, settings.maxAttempts) }),
    // HTTP/1.1 with a per-attempt time limit that fails the attempt (by default the handler only warns).
    requestHandler: new NodeHttpHandler({
      requestTimeout: settings.requestTimeoutMs,
      connectionTimeout: settings.connectionTimeoutMs,
      httpAgent: { keepAlive: true, maxSockets: settings.maxSockets },
      httpsAgent: { keepAlive: true, maxSockets: settings.maxSockets },
      throwOnRequestTimeout: true,
    }),
  });
  return signingWithKnownPayloadHash(client);
}

/** What an operation answered, before the invoker adds where it came from. */
type UpstreamAnswer = Omit<InvocationResult, 'latencyMs' | 'cache' | 'modelId'> & {
  /** The model's latency as Bedrock reports it, when it does. */
  readonly upstreamLatencyMs?: number;
};

/**
 * Calls Amazon Bedrock (or anything speaking its runtime protocol) with Converse and InvokeModel, their streams,
 * CountTokens and ApplyGuardrail.
 */
export class BedrockModelInvoker implements ModelInvoker, ModelStreamer, GuardrailApplier {
  private readonly client: BedrockRuntimeClient;
  private readonly callTimeoutMs: number;
  private readonly levers: BedrockLevers;
  private readonly streamCall: BedrockStreamCall;

  constructor(options: BedrockModelInvokerOptions) {
    const resolved = resolveInvokerOptions(options);
    this.client = 'client' in resolved ? resolved.client : buildClient(resolved.settings);
    this.callTimeoutMs = resolved.callTimeoutMs;
    this.levers = new BedrockLevers();
    this.streamCall = new BedrockStreamCall(this.client);
  }

  async invoke(request: PlannedInvocation, options: InvokeOptions = {}): Promise<InvocationResult> {
    if (isStreamOperation(request.operation)) {
      throw new NovaCostError(
        'internal',
        `BedrockModelInvoker.invoke answers converse and invoke; ${request.operation} is a stream (use stream())`,
        { details: { operation: request.operation } },
      );
    }
    const { signal } = options;
    const context = { modelId: request.modelId, operation: request.operation, signal };
    if (signal?.aborted) throw mapBedrockError(signal.reason, context);
    const deadline = new CallDeadline(this.callTimeoutMs, signal);
    const started = performance.now();
    try {
      const answer =
        request.operation === 'count-tokens'
          ? { body: await countTokens(this.client, request, deadline.signal), usage: ZERO_USAGE }
          : await this.levers.run(request, async ({ sent, serviceTier }) => {
              const answered =
                sent.operation === 'converse'
                  ? await this.converse(sent, deadline.signal)
                  : await this.invokeModel(sent, deadline.signal);
              // Priced at the tier Bedrock says served the call, else the one the adapter sent it in.
              const served = answered.serviceTier ?? serviceTier;
              return served === undefined ? answered : { ...answered, serviceTier: served };
            });
      const { upstreamLatencyMs, ...rest } = answer;
      const latencyMs = upstreamLatencyMs ?? Math.round(performance.now() - started);
      return { ...rest, latencyMs, cache: 'bypass', modelId: request.modelId, billing: 'on-demand' };
    } catch (error) {
      throw mapBedrockError(error, deadline.expired ? { ...context, deadlineExceededMs: this.callTimeoutMs } : context);
    } finally {
      deadline.dispose();
    }
  }

  /** ConverseStream and InvokeModelWithResponseStream (see startBedrockStream). */
  stream(request: PlannedInvocation, options: InvokeOptions = {}): Promise<ModelStream> {
    const operation = request.operation;
    if (!isStreamOperation(operation)) {
      return Promise.reject(
        new NovaCostError(
          'internal',
          `BedrockModelInvoker.stream answers converse-stream and invoke-with-response-stream, not ${operation}`,
          { details: { operation } },
        ),
      );
    }
    return this.levers.run(request, async ({ sent, serviceTier }) => {
      const stream = await startBedrockStream(this.streamCall, { ...sent, operation }, options, this.callTimeoutMs);
      if (serviceTier === undefined) return stream;
      // Priced at the tier the metadata says served it, else the one the adapter sent it in.
      const report = stream.report.then((r) => (r.serviceTier === undefined ? { ...r, serviceTier } : r));
      return { ...stream, report };
    });
  }

  /** ApplyGuardrail, under the same call deadline and error mapping as a model call. */
  async apply(request: GuardrailRequest, options: InvokeOptions = {}): Promise<GuardrailResult> {
    const { signal } = options;
    const context: BedrockCallContext = {
      modelId: `guardrail ${request.guardrailId}@${request.guardrailVersion}`,
      operation: 'apply-guardrail',
      signal,
    };
    if (signal?.aborted) throw mapBedrockError(signal.reason, context);
    const deadline = new CallDeadline(this.callTimeoutMs, signal);
    const started = performance.now();
    try {
      const body = await applyGuardrail(this.client, request, deadline.signal);
      return { body, cache: 'bypass', latencyMs: Math.round(performance.now() - started) };
    } catch (error) {
      throw mapBedrockError(error, deadline.expired ? { ...context, deadlineExceededMs: this.callTimeoutMs } : context);
    } finally {
      deadline.dispose();
    }
  }

  /**
   * Resolves the client's credentials once, so a process without any (no environment keys, profile or role) learns it
   * at start-up instead of failing every call; rejects with a 'configuration' error naming where they come from.
   */
  async checkCredentials(): Promise<void> {
    try {
      await this.client.config.credentials();
    } catch (error) {
      throw new NovaCostError(
        'configuration',
        `no AWS credentials to call Bedrock: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run with a task or instance role (${error instanceof Error ? error.message : String(error)})`,
        { cause: error },
      );
    }
  }

  /** Releases the sockets of a client this invoker built (a passed-in client is the caller's to destroy). */
  destroy(): void {
    this.client.destroy();
  }

  private async converse(request: InvocationRequest, signal: AbortSignal): Promise<UpstreamAnswer> {
    // The body is the caller's Converse request in its JSON form: sent as the caller's bytes when unchanged, else
    // serialised by the SDK (the fields it knows).
    const bytes = bodySourceOf(request.body);
    const input = {
      ...(bytes ? {} : converseInputFromJson(request.body)),
      modelId: request.modelId,
    } as unknown as ConverseCommandInput;
    const command = new ConverseCommand(input);
    const output: ConverseCommandOutput = await this.client.send(bytes ? sendingBytes(command, bytes) : command, {
      abortSignal: signal,
    });
    const { $metadata: _metadata, ...rest } = output;
    const usage = output.usage;
    const reported = output.metrics?.latencyMs;
    return {
      body: blobsToBase64(rest) as JsonObject,
      usage: withHourWrites(
        {
          inputTokens: usage?.inputTokens ?? 0,
          outputTokens: usage?.outputTokens ?? 0,
          cacheReadInputTokens: usage?.cacheReadInputTokens ?? 0,
          cacheWriteInputTokens: usage?.cacheWriteInputTokens ?? 0,
        },
        hourCacheWrites(usage),
      ),
      stopReason: output.stopReason,
      ...(output.serviceTier?.type ? { serviceTier: output.serviceTier.type } : {}),
      ...(typeof reported === 'number' && Number.isFinite(reported) && reported >= 0
        ? { upstreamLatencyMs: reported }
        : {}),
    };
  }

  private async invokeModel(request: InvocationRequest, signal: AbortSignal): Promise<UpstreamAnswer> {
    const command = new InvokeModelCommand({
      modelId: request.modelId,
      body: bodySourceOf(request.body) ?? JSON.stringify(request.body),
      contentType: 'application/json',
      accept: 'application/json',
      // What Bedrock reads beside the body (X-Amzn-Bedrock-* headers), as the caller sent it.
      ...invokeParametersInput(request.parameters),
    });
    // The token counts and latency travel in response headers the SDK does not copy to the output: keep the raw
    // response of the last attempt.
    let headers: HeaderBag = {};
    command.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const raw = result.response as { headers?: HeaderBag } | undefined;
        headers = lowerCaseKeys(raw?.headers ?? {});
        return result;
      },
      { step: 'deserialize', name: 'novaCostCaptureInvokeHeaders' },
    );
    const output = await this.client.send(command, { abortSignal: signal });
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(output.body));
    } catch (error) {
      throw new NovaCostError('internal', `Bedrock invoke on ${request.modelId} answered a body that is not JSON`, {
        cause: error,
        details: { modelId: request.modelId },
      });
    }
    if (!isJsonObject(body))
      throw new NovaCostError('internal', `Bedrock invoke on ${request.modelId} answered JSON that is not an object`, {
        details: { modelId: request.modelId },
      });
    const upstreamLatencyMs = invokeLatencyMs(headers);
    return {
      body,
      usage: invokeUsage(headers, body),
      stopReason: invokeStopReason(body),
      ...(output.serviceTier ? { serviceTier: output.serviceTier } : {}),
      ...(upstreamLatencyMs !== undefined ? { upstreamLatencyMs } : {}),
    };
  }
}

function lowerCaseKeys(headers: HeaderBag): HeaderBag {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

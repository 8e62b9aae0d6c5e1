import { NovaCostError, ZERO_USAGE, isJsonObject } from '@nova-cost/domain';
import type {
  PlannedInvocation,
  InvocationResult,
  InvokeOptions,
  JsonObject,
  ModelInvoker,
  NovaCostErrorKind,
} from '@nova-cost/domain';

const KIND_BY_STATUS: Readonly<Record<number, NovaCostErrorKind>> = {
  400: 'validation',
  403: 'access-denied',
  404: 'not-found',
  408: 'timeout',
  429: 'throttled',
};

/**
 * A bare-bones ModelInvoker over the Bedrock runtime HTTP paths, for this package's integration specs and the
 * benchmark only (the real adapter, with the AWS SDK, lives in packages/infrastructure, which an adapter may not
 * import). No signing: the local endpoint does not check it.
 */
export class HttpModelInvoker implements ModelInvoker {
  constructor(private readonly baseUrl: string) {}

  async invoke(request: PlannedInvocation, options: InvokeOptions = {}): Promise<InvocationResult> {
    const started = performance.now();
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}/model/${encodeURIComponent(request.modelId)}/${request.operation}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(request.body),
        signal: options.signal ?? null,
      });
    } catch (error) {
      if (options.signal?.aborted) throw new NovaCostError('aborted', 'the call was aborted', { cause: error });
      throw new NovaCostError('upstream-unavailable', 'the endpoint could not be reached', { cause: error });
    }
    const text = await response.text().catch(() => '');
    if (!response.ok) {
      const kind = KIND_BY_STATUS[response.status] ?? (response.status >= 500 ? 'upstream-unavailable' : 'internal');
      throw new NovaCostError(
        kind,
        `endpoint answered ${response.status} ${response.headers.get('x-amzn-errortype') ?? ''}`.trim(),
        {
          details: { status: response.status },
        },
      );
    }
    let body: JsonObject;
    try {
      body = JSON.parse(text) as JsonObject;
    } catch (error) {
      throw new NovaCostError(
        'upstream-unavailable',
        `endpoint answered ${response.status} with a body that is not JSON`,
        { cause: error },
      );
    }
    const usage = isJsonObject(body['usage']) ? body['usage'] : {};
    const header = (name: string) => Number(response.headers.get(name) ?? 0) || 0;
    return {
      body,
      usage: {
        ...ZERO_USAGE,
        inputTokens:
          typeof usage['inputTokens'] === 'number' ? usage['inputTokens'] : header('x-amzn-bedrock-input-token-count'),
        outputTokens:
          typeof usage['outputTokens'] === 'number'
            ? usage['outputTokens']
            : header('x-amzn-bedrock-output-token-count'),
      },
      latencyMs: performance.now() - started,
      cache: 'bypass',
      modelId: request.modelId,
    };
  }
}

import type { NovaCostErrorKind, Operation, UpstreamError } from '@nova-cost/domain';
import { NovaCostError } from '@nova-cost/domain';

// Bedrock runtime exception names (x-amzn-errortype) → what the caller can do about them.
const BY_AWS_NAME: Readonly<Record<string, NovaCostErrorKind>> = {
  ThrottlingException: 'throttled',
  ServiceQuotaExceededException: 'throttled',
  ValidationException: 'validation',
  ModelTimeoutException: 'timeout',
  ServiceUnavailableException: 'upstream-unavailable',
  InternalServerException: 'upstream-unavailable',
  // Bedrock answers 429 while it loads a model: the SDK retries it, like a throttle.
  ModelNotReadyException: 'throttled',
  ModelErrorException: 'upstream-unavailable',
  ModelStreamErrorException: 'upstream-unavailable',
  ConflictException: 'validation',
  AccessDeniedException: 'access-denied',
  ResourceNotFoundException: 'not-found',
  TimeoutError: 'timeout',
};

/**
 * Bedrock refusing the gateway's own AWS credentials: a client that sent valid credentials to the gateway cannot fix
 * that, so it is the operator's configuration error (500), not passed on as the client's 403.
 */
const GATEWAY_CREDENTIAL_ERRORS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'IncompleteSignatureException',
  'MissingAuthenticationTokenException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
]);

/** Members of Bedrock error bodies besides `message` (ModelErrorException, ModelStreamErrorException), passed on to the client. */
const ERROR_MEMBERS = ['originalStatusCode', 'originalMessage', 'resourceName'] as const;

/**
 * Connection failures before the request went out (no route, no name, refused, a session closing): Bedrock never saw
 * the call, so it cannot have run or billed it. A reset after the request was sent (ECONNRESET, socket hang up, a
 * stream closed early) is not one of them: the model may be running it.
 */
const UNSENT_CODES = new Set([
  'ECONNREFUSED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_HTTP2_GOAWAY_SESSION',
]);

/** Connection failures: those before sending, and those after (the model may be running the call). */
const NETWORK_CODES = new Set([
  ...UNSENT_CODES,
  'ECONNRESET',
  'ERR_HTTP2_STREAM_ERROR',
  'ERR_HTTP2_SESSION_ERROR',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** Whether a failure mapped by mapBedrockError is a connection that failed before Bedrock got the request. */
export function failedBeforeSending(error: NovaCostError): boolean {
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return error.upstream === undefined && typeof code === 'string' && UNSENT_CODES.has(code);
}

export interface BedrockCallContext {
  /** What was called, for messages: a model id, or a guardrail. */
  readonly modelId: string;
  /** The operation called: a model call's, or one that is no Operation of the chain (a guardrail, Nova Sonic's bidirectional stream). */
  readonly operation: Operation | 'apply-guardrail' | 'invoke-with-bidirectional-stream';
  /** The caller's signal: when it is aborted, the failure is the caller's abort whatever the SDK threw. */
  readonly signal?: AbortSignal;
  /** Set when the call's own deadline (`callTimeoutMs`) ran out before the caller aborted: the failure is 'timeout'. */
  readonly deadlineExceededMs?: number;
}

interface SdkErrorShape {
  name?: unknown;
  originalStatusCode?: unknown;
  originalMessage?: unknown;
  resourceName?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number };
}

function kindOf(error: SdkErrorShape): NovaCostErrorKind {
  const name = typeof error.name === 'string' ? error.name : '';
  // The HTTP handler renames connection resets to TimeoutError (so the SDK retries them): the code tells.
  if (typeof error.code === 'string' && NETWORK_CODES.has(error.code)) return 'upstream-unavailable';
  const known = BY_AWS_NAME[name];
  if (known) return known;
  if (name === 'AbortError') return 'aborted';
  if (typeof error.code === 'string' && (error.code === 'ETIMEDOUT' || error.code === 'ESOCKETTIMEDOUT'))
    return 'timeout';
  if (
    typeof error.message === 'string' &&
    /socket hang up|ECONNRESET|stream (was )?(closed|reset)/i.test(error.message)
  )
    return 'upstream-unavailable';
  const status = error.$metadata?.httpStatusCode;
  if (error.$fault === 'server' || (status !== undefined && status >= 500)) return 'upstream-unavailable';
  if (status === 429) return 'throttled';
  if (status === 403 || status === 401) return 'access-denied';
  if (status === 404) return 'not-found';
  if (status !== undefined && status >= 400) return 'validation';
  return 'internal';
}

/** A name the AWS SDK can turn into an exception class, safe as a header value. */
const ERROR_NAME = /^[A-Za-z][A-Za-z0-9.#:_-]{0,127}$/;

/** Bedrock's answer, when the failure is one: its name, its status (none for an exception event mid-stream), its body members. */
function upstreamOf(shape: SdkErrorShape, name: string | undefined): UpstreamError | undefined {
  if (name === undefined || !ERROR_NAME.test(name)) return undefined;
  const status = shape.$metadata?.httpStatusCode;
  const members: Record<string, string | number> = {};
  for (const member of ERROR_MEMBERS) {
    const value = shape[member];
    if (typeof value === 'string' || typeof value === 'number') members[member] = value;
  }
  const withMembers = Object.keys(members).length > 0 ? { members } : {};
  if (status !== undefined && status >= 400 && status <= 599) return { name, status, ...withMembers };
  // An exception event of a started stream: the SDK raises it by its Bedrock name, its HTTP answer was a 200.
  if (shape.$fault !== undefined && BY_AWS_NAME[name] !== undefined) return { name, ...withMembers };
  return undefined;
}

/**
 * The one place where errors of the AWS SDK (and the network under it) become NovaCostError. An error Bedrock
 * answered keeps Bedrock's message word for word and carries its name, status and body members in `upstream`, so the
 * edge answers what Bedrock said; failures that never reached an answer (network, timeouts, aborts) are described by
 * nova-cost.
 */
export function mapBedrockError(error: unknown, context: BedrockCallContext): NovaCostError {
  if (NovaCostError.is(error)) return error;
  const details: Record<string, string | number | boolean> = { modelId: context.modelId, operation: context.operation };
  if (context.deadlineExceededMs !== undefined) {
    details['callTimeoutMs'] = context.deadlineExceededMs;
    return new NovaCostError(
      'timeout',
      `Bedrock ${context.operation} on ${context.modelId} did not finish within callTimeoutMs (${context.deadlineExceededMs} ms)`,
      { cause: error, details },
    );
  }
  if (context.signal?.aborted) {
    return new NovaCostError(
      'aborted',
      `Bedrock ${context.operation} on ${context.modelId} was aborted by the caller`,
      { cause: error, details },
    );
  }
  const shape: SdkErrorShape = typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
  const name = typeof shape.name === 'string' ? shape.name : undefined;
  if (shape.$metadata?.requestId) details['requestId'] = shape.$metadata.requestId;
  if (shape.$metadata?.attempts !== undefined) details['attempts'] = shape.$metadata.attempts;
  const reason = typeof shape.message === 'string' && shape.message !== '' ? shape.message : String(error);
  if (name !== undefined && GATEWAY_CREDENTIAL_ERRORS.has(name)) {
    return new NovaCostError(
      'configuration',
      `Bedrock refused the gateway's AWS credentials (${name}): ${reason.slice(0, 300)}`,
      { cause: error, details },
    );
  }
  const kind = kindOf(shape);
  const upstream = upstreamOf(shape, name);
  // Bedrock answered: the message is Bedrock's own, word for word, so the client's SDK raises what Bedrock raised.
  if (upstream) return new NovaCostError(kind, reason, { cause: error, details, upstream });
  return new NovaCostError(
    kind,
    `Bedrock ${context.operation} on ${context.modelId} failed (${kind}): ${reason.slice(0, 300)}`,
    { cause: error, details },
  );
}

/** What went wrong, in terms the gateway can map to a status code and a caller can act on. */
export type NovaCostErrorKind =
  | 'validation'
  | 'budget-exceeded'
  | 'throttled'
  | 'upstream-unavailable'
  | 'timeout'
  | 'not-found'
  | 'access-denied'
  | 'unknown-price'
  | 'queue-full'
  | 'shutting-down'
  | 'aborted'
  | 'configuration'
  | 'internal';

const RETRYABLE: ReadonlySet<NovaCostErrorKind> = new Set([
  'throttled',
  'upstream-unavailable',
  'timeout',
  'queue-full',
]);

// A registry-wide symbol, so `is()` holds even when two copies of this package are loaded.
const BRAND = Symbol.for('@nova-cost/domain/NovaCostError');

/**
 * What the upstream service (Bedrock) answered, when the failure is its answer: set once, by the adapter that called
 * it, so the edge can answer the client as Bedrock did rather than re-derive it from the kind.
 */
export interface UpstreamError {
  /** The error's name as Bedrock sent it (`x-amzn-errortype`, or an exception event's type), e.g. ThrottlingException. */
  readonly name: string;
  /** The HTTP status Bedrock answered with (400–599); absent for an exception event inside a started stream. */
  readonly status?: number;
  /** Members of the error body besides the message (ModelErrorException's originalStatusCode, resourceName). */
  readonly members?: Readonly<Record<string, string | number>>;
}

export interface NovaCostErrorOptions {
  readonly cause?: unknown;
  /** What Bedrock answered, when this error is its answer (the message is then Bedrock's own). @default none */
  readonly upstream?: UpstreamError;
  /** Machine-readable facts about the failure (limit, model id, field…). Never prompt text or secrets. */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

/** The one error type that crosses a port. Adapters map foreign errors to it in one place. */
export class NovaCostError extends Error {
  readonly [BRAND] = true;
  override readonly name = 'NovaCostError';
  readonly details: Readonly<Record<string, string | number | boolean>>;
  readonly upstream?: UpstreamError;

  constructor(
    readonly kind: NovaCostErrorKind,
    message: string,
    options: NovaCostErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.details = options.details ?? {};
    if (options.upstream !== undefined) this.upstream = options.upstream;
  }

  /** Whether trying the same call again later may succeed. */
  get retryable(): boolean {
    return RETRYABLE.has(this.kind);
  }

  static is(value: unknown, kind?: NovaCostErrorKind): value is NovaCostError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[BRAND] === true &&
      (kind === undefined || (value as NovaCostError).kind === kind)
    );
  }
}

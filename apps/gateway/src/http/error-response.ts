import type { NovaCostErrorKind } from '@nova-cost/domain';
import { NovaCostError } from '@nova-cost/domain';

/** An error as sent on the wire: Bedrock's restJson1 shape (status, x-amzn-errortype, {"message"}) plus our kind. */
export interface ErrorResponse {
  readonly status: number;
  /** The x-amzn-errortype header, the name the AWS SDK turns into an exception class. */
  readonly type: string;
  readonly headers: Record<string, string>;
  readonly body: {
    message: string;
    /** Members of a Bedrock error body besides the message (ModelErrorException's), passed on as Bedrock sent them. */
    [member: string]: unknown;
    error: { kind: NovaCostErrorKind; details: Readonly<Record<string, string | number | boolean>> };
  };
}

/** Status and Bedrock error type of every error kind: the one place this mapping lives. */
const BY_KIND: Readonly<Record<NovaCostErrorKind, { status: number; type: string }>> = {
  validation: { status: 400, type: 'ValidationException' },
  'budget-exceeded': { status: 429, type: 'ThrottlingException' },
  throttled: { status: 429, type: 'ThrottlingException' },
  'upstream-unavailable': { status: 503, type: 'ServiceUnavailableException' },
  timeout: { status: 408, type: 'ModelTimeoutException' },
  'not-found': { status: 404, type: 'ResourceNotFoundException' },
  'access-denied': { status: 403, type: 'AccessDeniedException' },
  'unknown-price': { status: 400, type: 'ValidationException' },
  'queue-full': { status: 429, type: 'ThrottlingException' },
  'shutting-down': { status: 503, type: 'ServiceUnavailableException' },
  aborted: { status: 499, type: 'RequestAbortedException' },
  configuration: { status: 500, type: 'InternalServerException' },
  internal: { status: 500, type: 'InternalServerException' },
};

/** The Bedrock error type an error of nova-cost's own is answered with (before any detail of the error refines it). */
export function errorTypeOf(kind: NovaCostErrorKind): string {
  return (BY_KIND[kind] ?? BY_KIND.internal).type;
}

function secondsToNextUtcDay(now: Date): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
}

/**
 * Maps any error to the response the client gets. An error Bedrock answered goes back as Bedrock said it (status,
 * x-amzn-errortype, message, body members), with nova-cost's `error` beside it. Unknown errors become a 500 that
 * says nothing internal.
 */
export function errorResponse(error: unknown, now: Date = new Date()): ErrorResponse {
  const err = NovaCostError.is(error)
    ? error
    : new NovaCostError('internal', 'the gateway failed to handle the request', { cause: error });
  const { upstream } = err;
  if (upstream?.status !== undefined) {
    const headers: Record<string, string> = err.kind === 'throttled' ? { 'retry-after': '1' } : {};
    return {
      status: upstream.status,
      type: upstream.name,
      headers,
      body: { message: err.message, ...upstream.members, error: { kind: err.kind, details: err.details } },
    };
  }
  let { status, type } = BY_KIND[err.kind] ?? BY_KIND.internal;
  const headers: Record<string, string> = {};
  if (err.kind === 'access-denied' && err.details['reason'] === 'unauthenticated') {
    status = 401;
    type = 'UnrecognizedClientException';
  }
  if (err.kind === 'validation' && err.details['reason'] === 'body-too-large') {
    status = 413;
  }
  if (err.kind === 'budget-exceeded') {
    // The policy decides what the caller should do (TenantBudget.onExceeded); this says it in HTTP.
    if (err.details['onExceeded'] === 'stop') {
      status = 402;
      type = 'BudgetExceededException';
    } else {
      const after = err.details['retryAfterSeconds'];
      headers['retry-after'] = String(
        typeof after === 'number' && after > 0 ? Math.ceil(after) : secondsToNextUtcDay(now),
      );
    }
  }
  if (err.kind === 'queue-full' || err.kind === 'throttled') headers['retry-after'] = '1';
  const message = err.message;
  return { status, type, headers, body: { message, error: { kind: err.kind, details: err.details } } };
}

import { NovaCostError } from '@nova-cost/domain';

interface AwsError {
  readonly name?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

function aws(error: unknown): AwsError {
  return typeof error === 'object' && error !== null ? (error as AwsError) : {};
}

/** Whether S3 said the object (or its bucket's key) is not there. */
export function isNotFound(error: unknown): boolean {
  const e = aws(error);
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

/** Whether trying the same call later may work: throttling, a 5xx, or no answer at all. */
export function isRetryable(error: unknown): boolean {
  const status = aws(error).$metadata?.httpStatusCode;
  const name = aws(error).name ?? '';
  return (
    status === undefined ||
    status === 429 ||
    status >= 500 ||
    /Throttl|ServiceUnavailable|InternalServer|TooManyRequests|SlowDown/.test(name)
  );
}

/** A failed S3 or Bedrock control-plane call as a NovaCostError saying what was being done. */
export function mapAwsError(error: unknown, doing: string): NovaCostError {
  if (NovaCostError.is(error)) return error;
  const e = aws(error);
  const status = e.$metadata?.httpStatusCode;
  const what = `${doing}: ${e.name ?? 'Error'}${e.message ? ` (${e.message.slice(0, 200)})` : ''}`;
  if (status === 403)
    return new NovaCostError('access-denied', what, {
      cause: error,
      details: { awsErrorName: e.name ?? 'AccessDenied' },
    });
  if (status === 400 || status === 404 || status === 409)
    return new NovaCostError('validation', what, {
      cause: error,
      details: { awsErrorName: e.name ?? 'ValidationException', httpStatusCode: status },
    });
  if (status === 429) return new NovaCostError('throttled', what, { cause: error });
  return new NovaCostError('upstream-unavailable', what, {
    cause: error,
    ...(status ? { details: { httpStatusCode: status } } : {}),
  });
}

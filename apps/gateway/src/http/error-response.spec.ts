import type { NovaCostErrorKind } from '@nova-cost/domain';
import { NovaCostError } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { errorResponse } from './error-response';

const KINDS: [NovaCostErrorKind, number, string][] = [
  ['validation', 400, 'ValidationException'],
  ['throttled', 429, 'ThrottlingException'],
  ['upstream-unavailable', 503, 'ServiceUnavailableException'],
  ['timeout', 408, 'ModelTimeoutException'],
  ['not-found', 404, 'ResourceNotFoundException'],
  ['access-denied', 403, 'AccessDeniedException'],
  ['unknown-price', 400, 'ValidationException'],
  ['queue-full', 429, 'ThrottlingException'],
  ['shutting-down', 503, 'ServiceUnavailableException'],
  ['configuration', 500, 'InternalServerException'],
  ['internal', 500, 'InternalServerException'],
];

describe('errorResponse', () => {
  it.each(KINDS)('maps kind %s to %i %s with the message and kind in the body', (kind, status, type) => {
    const wire = errorResponse(new NovaCostError(kind, `broken: ${kind}`, { details: { field: 'x' } }));
    expect(wire).toMatchObject({
      status,
      type,
      body: { message: `broken: ${kind}`, error: { kind, details: { field: 'x' } } },
    });
  });

  describe('having a budget error', () => {
    const now = new Date('2026-03-10T23:59:00Z');
    it('answers a daily limit with 429 and Retry-After until the next UTC day, naming the limit', () => {
      const wire = errorResponse(
        new NovaCostError('budget-exceeded', 'daily budget of 5 USD for tenant acme is spent', {
          details: { period: 'daily', limitUsd: 5 },
        }),
        now,
      );
      expect(wire).toMatchObject({
        status: 429,
        type: 'ThrottlingException',
        headers: { 'retry-after': '60' },
        body: { error: { kind: 'budget-exceeded', details: { period: 'daily', limitUsd: 5 } } },
      });
    });
    it('takes Retry-After from the policy when it says', () => {
      const wire = errorResponse(
        new NovaCostError('budget-exceeded', 'daily budget spent', {
          details: { period: 'daily', limitUsd: 5, retryAfterSeconds: 42 },
        }),
        now,
      );
      expect(wire.headers['retry-after']).toBe('42');
    });
    it("answers a limit whose outcome is 'stop' with 402", () => {
      const wire = errorResponse(
        new NovaCostError('budget-exceeded', 'monthly budget of 100 USD is spent', {
          details: { period: 'monthly', limitUsd: 100, onExceeded: 'stop' },
        }),
        now,
      );
      expect(wire).toMatchObject({ status: 402, body: { message: 'monthly budget of 100 USD is spent' } });
      expect(wire.headers['retry-after']).toBeUndefined();
    });
    it.each([
      ['daily', 'stop', 402, 'BudgetExceededException'],
      ['monthly', 'retry-later', 429, 'ThrottlingException'],
      ['daily', 'retry-later', 429, 'ThrottlingException'],
      ['monthly', 'stop', 402, 'BudgetExceededException'],
    ])('answers a %s limit whose budget says onExceeded %s with %i %s', (period, onExceeded, status, type) => {
      const wire = errorResponse(
        new NovaCostError('budget-exceeded', `${period} budget spent`, {
          details: { period, limitUsd: 5, onExceeded, retryAfterSeconds: 3600 },
        }),
        now,
      );
      expect(wire).toMatchObject({ status, type, body: { error: { details: { onExceeded } } } });
      expect(wire.headers['retry-after']).toBe(status === 429 ? '3600' : undefined);
    });
  });

  it('answers missing credentials with 401 and wrong ones with 403', () => {
    expect(
      errorResponse(new NovaCostError('access-denied', 'no credentials', { details: { reason: 'unauthenticated' } }))
        .status,
    ).toBe(401);
    expect(
      errorResponse(new NovaCostError('access-denied', 'bad key', { details: { reason: 'forbidden' } })).status,
    ).toBe(403);
  });

  it('answers an oversized body with 413', () => {
    expect(
      errorResponse(new NovaCostError('validation', 'too big', { details: { reason: 'body-too-large' } })).status,
    ).toBe(413);
  });

  it('hides the message of an error that is not a NovaCostError', () => {
    const wire = errorResponse(new TypeError('secret internals at /srv/x.ts'));
    expect(wire).toMatchObject({ status: 500, type: 'InternalServerException', body: { error: { kind: 'internal' } } });
    expect(wire.body.message).not.toContain('/srv');
  });
});

describe('errorResponse of an error Bedrock answered', () => {
  const answered = (
    kind: NovaCostErrorKind,
    name: string,
    status: number | undefined,
    members?: Record<string, string | number>,
  ) =>
    new NovaCostError(kind, 'Model is not ready for inference. Wait and try your request again.', {
      details: { modelId: 'm' },
      upstream: { name, ...(status === undefined ? {} : { status }), ...(members ? { members } : {}) },
    });

  it("answers Bedrock's status, error type and message rather than the kind's", () => {
    expect(errorResponse(answered('throttled', 'ModelNotReadyException', 429))).toMatchObject({
      status: 429,
      type: 'ModelNotReadyException',
      body: {
        message: 'Model is not ready for inference. Wait and try your request again.',
        error: { kind: 'throttled' },
      },
    });
  });

  it("passes on ModelErrorException's originalStatusCode and resourceName", () => {
    expect(
      errorResponse(
        answered('upstream-unavailable', 'ModelErrorException', 424, {
          originalStatusCode: 500,
          resourceName: 'arn:x',
        }),
      ).body,
    ).toMatchObject({ originalStatusCode: 500, resourceName: 'arn:x' });
  });

  it('keeps the mapping of its kind for an exception event, which had no status', () => {
    expect(errorResponse(answered('upstream-unavailable', 'ModelStreamErrorException', undefined))).toMatchObject({
      status: 503,
      type: 'ServiceUnavailableException',
    });
  });
});

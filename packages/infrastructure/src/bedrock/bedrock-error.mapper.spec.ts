import {
  AccessDeniedException,
  InternalServerException,
  ModelErrorException,
  ModelStreamErrorException,
  ModelNotReadyException,
  ModelTimeoutException,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import type { NovaCostErrorKind } from '@nova-cost/domain';
import { NovaCostError } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { mapBedrockError } from './bedrock-error.mapper';

const context = { modelId: 'amazon.nova-lite-v1:0', operation: 'converse' as const };
const meta = (httpStatusCode: number) => ({
  $metadata: { httpStatusCode, requestId: 'req-1', attempts: 1 },
  message: 'm',
});

describe(mapBedrockError, () => {
  const cases: [string, unknown, NovaCostErrorKind][] = [
    ['ThrottlingException', new ThrottlingException(meta(429)), 'throttled'],
    ['ServiceQuotaExceededException', new ServiceQuotaExceededException(meta(400)), 'throttled'],
    ['ValidationException', new ValidationException(meta(400)), 'validation'],
    ['ModelTimeoutException', new ModelTimeoutException(meta(408)), 'timeout'],
    ['ServiceUnavailableException', new ServiceUnavailableException(meta(503)), 'upstream-unavailable'],
    ['InternalServerException', new InternalServerException(meta(500)), 'upstream-unavailable'],
    ['ModelNotReadyException', new ModelNotReadyException(meta(429)), 'throttled'],
    ['ModelErrorException', new ModelErrorException(meta(424)), 'upstream-unavailable'],
    ['AccessDeniedException', new AccessDeniedException(meta(403)), 'access-denied'],
    ['ResourceNotFoundException', new ResourceNotFoundException(meta(404)), 'not-found'],
    [
      'a request timeout of the HTTP handler',
      Object.assign(new Error('exceeded requestTimeout'), { name: 'TimeoutError', code: 'ETIMEDOUT' }),
      'timeout',
    ],
    [
      'a connection reset (renamed TimeoutError by the handler)',
      Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' }),
      'upstream-unavailable',
    ],
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      'upstream-unavailable',
    ],
    ['an AbortError', Object.assign(new Error('aborted'), { name: 'AbortError' }), 'aborted'],
    [
      'an unknown 5xx service error',
      { name: 'SomethingNew', $fault: 'server', $metadata: { httpStatusCode: 502 } },
      'upstream-unavailable',
    ],
    ['something unrecognisable', 'a string', 'internal'],
  ];

  it.each(cases)('maps %s', (_name, error, kind) => {
    const mapped = mapBedrockError(error, context);
    expect(mapped).toBeInstanceOf(NovaCostError);
    expect(mapped.kind).toBe(kind);
    expect(mapped.cause).toBe(error);
    expect(mapped.details['modelId']).toBe('amazon.nova-lite-v1:0');
  });

  it("keeps Bedrock's message word for word and marks the error as Bedrock's answer", () => {
    const mapped = mapBedrockError(
      new ModelErrorException({
        ...meta(424),
        message: 'Received client error (400) from primary.',
        originalStatusCode: 400,
        resourceName: 'arn:model',
      }),
      context,
    );
    expect(mapped.message).toBe('Received client error (400) from primary.');
    expect(mapped.upstream).toEqual({
      name: 'ModelErrorException',
      status: 424,
      members: { originalStatusCode: 400, resourceName: 'arn:model' },
    });
  });

  it('carries the name of an exception event mid-stream, with no status', () => {
    const event = new ModelStreamErrorException({
      $metadata: {},
      message: 'The stream broke.',
      originalStatusCode: 500,
      originalMessage: 'boom',
    });
    expect(mapBedrockError(event, context)).toMatchObject({
      kind: 'upstream-unavailable',
      message: 'The stream broke.',
      upstream: { name: 'ModelStreamErrorException', members: { originalStatusCode: 500, originalMessage: 'boom' } },
    });
    expect(mapBedrockError(event, context).upstream?.status).toBeUndefined();
  });

  it('carries no upstream answer when the name could not be sent as an error type', () => {
    const mapped = mapBedrockError({ name: 'Bad\nName', message: 'x', $metadata: { httpStatusCode: 503 } }, context);
    expect(mapped.upstream).toBeUndefined();
    expect(mapped.kind).toBe('upstream-unavailable');
  });

  it.each(['UnrecognizedClientException', 'ExpiredTokenException', 'InvalidSignatureException'])(
    "makes Bedrock refusing the gateway's own credentials (%s) a configuration error, not the client's 403",
    (name) => {
      const mapped = mapBedrockError(
        { name, message: 'The security token included in the request is invalid.', $metadata: { httpStatusCode: 403 } },
        context,
      );
      expect(mapped).toMatchObject({
        kind: 'configuration',
        message: expect.stringMatching(/refused the gateway's AWS credentials/),
      });
      expect(mapped.upstream).toBeUndefined();
    },
  );

  it('describes a failure that never reached an answer in its own words', () => {
    const mapped = mapBedrockError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), context);
    expect(mapped.message).toMatch(/^Bedrock converse on amazon.nova-lite-v1:0 failed \(upstream-unavailable\)/);
  });

  it('carries the AWS error name and status as upstream, the request id and attempts in details', () => {
    const mapped = mapBedrockError(new ThrottlingException(meta(429)), context);
    expect(mapped.upstream).toEqual({ name: 'ThrottlingException', status: 429 });
    expect(mapped.details).toEqual({
      modelId: 'amazon.nova-lite-v1:0',
      requestId: 'req-1',
      attempts: 1,
      operation: 'converse',
    });
  });

  it("maps anything to 'aborted' once the caller's signal is aborted", () => {
    const mapped = mapBedrockError(new ThrottlingException(meta(429)), { ...context, signal: AbortSignal.abort() });
    expect(mapped.kind).toBe('aborted');
  });

  it("maps the abort of an expired call deadline to 'timeout', naming callTimeoutMs", () => {
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    const mapped = mapBedrockError(abort, {
      ...context,
      signal: new AbortController().signal,
      deadlineExceededMs: 250,
    });
    expect(mapped.kind).toBe('timeout');
    expect(mapped.message).toMatch(/did not finish within callTimeoutMs \(250 ms\)/);
    expect(mapped.details['callTimeoutMs']).toBe(250);
  });

  it('passes a NovaCostError through unchanged', () => {
    const original = new NovaCostError('internal', 'x');
    expect(mapBedrockError(original, context)).toBe(original);
  });
});

import { NovaCostError } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { exceptionEventOf } from './stream-answer';

describe(exceptionEventOf, () => {
  it('sends the exception Bedrock sent, with its members', () => {
    const error = new NovaCostError('upstream-unavailable', 'The stream broke.', {
      upstream: { name: 'ModelStreamErrorException', members: { originalStatusCode: 500, originalMessage: 'boom' } },
    });
    expect(exceptionEventOf(error, 'converse-stream')).toEqual({
      type: 'modelStreamErrorException',
      payload: { message: 'The stream broke.', originalStatusCode: 500, originalMessage: 'boom' },
    });
  });

  it.each<[string, NovaCostError, 'converse-stream' | 'invoke-with-response-stream', string]>([
    ['a throttle of our own', new NovaCostError('queue-full', 'full'), 'converse-stream', 'throttlingException'],
    ['a spent budget', new NovaCostError('budget-exceeded', 'spent'), 'converse-stream', 'throttlingException'],
    ['an unpriced model', new NovaCostError('unknown-price', 'no price'), 'converse-stream', 'validationException'],
    [
      'a timeout, where the union has it',
      new NovaCostError('timeout', 't'),
      'invoke-with-response-stream',
      'modelTimeoutException',
    ],
    ['a timeout, where it does not', new NovaCostError('timeout', 't'), 'converse-stream', 'internalServerException'],
    [
      'a bad event signature',
      new NovaCostError('access-denied', 'sig'),
      'invoke-with-response-stream',
      'validationException',
    ],
    [
      'a lost upstream',
      new NovaCostError('upstream-unavailable', 'cut'),
      'converse-stream',
      'serviceUnavailableException',
    ],
    [
      "Bedrock's error the union has no event for, by its kind",
      new NovaCostError('not-found', 'gone', { upstream: { name: 'ResourceNotFoundException', status: 404 } }),
      'converse-stream',
      'internalServerException',
    ],
  ])('sends %s as the exception its kind is answered with', (_name, error, operation, type) => {
    expect(exceptionEventOf(error, operation)).toMatchObject({ type, payload: { message: error.message } });
  });
});

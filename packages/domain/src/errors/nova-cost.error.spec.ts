import { describe, expect, it } from 'vitest';
import { NovaCostError } from './nova-cost.error';

describe(NovaCostError, () => {
  it('carries a kind, a cause and details', () => {
    const cause = new Error('socket hang up');
    const err = new NovaCostError('upstream-unavailable', 'Bedrock did not answer', {
      cause,
      details: { modelId: 'm' },
    });
    expect(err).toMatchObject({
      kind: 'upstream-unavailable',
      cause,
      details: { modelId: 'm' },
      name: 'NovaCostError',
    });
    expect(err.retryable).toBe(true);
    expect(new NovaCostError('validation', 'bad').retryable).toBe(false);
  });

  describe('.is', () => {
    it('recognises an error from another copy of the package by its registry-wide brand', () => {
      const foreign = Object.assign(new Error('x'), {
        [Symbol.for('@nova-cost/domain/NovaCostError')]: true,
        kind: 'throttled',
      });
      expect(NovaCostError.is(foreign)).toBe(true);
      expect(NovaCostError.is(foreign, 'throttled')).toBe(true);
      expect(NovaCostError.is(foreign, 'timeout')).toBe(false);
    });

    it.each([new Error('plain'), null, undefined, 'throttled', { kind: 'throttled' }])('rejects %o', (value) => {
      expect(NovaCostError.is(value)).toBe(false);
    });
  });
});

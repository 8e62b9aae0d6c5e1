import { describe, expect, it } from 'vitest';
import { NovaCostError } from '../errors/nova-cost.error';
import { findModel, getModel, resolveModelId } from './model-catalog';

describe(resolveModelId, () => {
  it.each([
    ['amazon.nova-lite-v1:0', 'amazon.nova-lite-v1:0', 'none'],
    ['us.amazon.nova-lite-v1:0', 'amazon.nova-lite-v1:0', 'geo'],
    ['jp.anthropic.claude-haiku-4-5-20251001-v1:0', 'anthropic.claude-haiku-4-5-20251001-v1:0', 'geo'],
    ['global.anthropic.claude-sonnet-4-5-20250929-v1:0', 'anthropic.claude-sonnet-4-5-20250929-v1:0', 'global'],
    ['arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0', 'amazon.nova-pro-v1:0', 'none'],
    ['arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0', 'amazon.nova-pro-v1:0', 'geo'],
    ['arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6', 'a1b2c3d4e5f6', 'none'],
  ])('resolves %s to %s (%s)', (id, base, scope) => {
    expect(resolveModelId(id)).toEqual({ baseModelId: base, scope });
  });

  it.each(['../../etc/passwd', 'amazon.nova-lite-v1:0/../x', '', 'amazon nova', 'a/b.c', '%2e%2e.x'])(
    'rejects %j as a validation error',
    (id) => {
      let caught: unknown;
      try {
        resolveModelId(id);
      } catch (err) {
        caught = err;
      }
      expect(NovaCostError.is(caught, 'validation')).toBe(true);
    },
  );
});

describe(getModel, () => {
  it('finds a model by a profile id', () => {
    expect(getModel('us.anthropic.claude-3-5-haiku-20241022-v1:0').name).toBe('Claude 3.5 Haiku');
  });

  it('throws not-found naming an unknown model', () => {
    expect(() => getModel('writer.palmyra-x5-v1:0')).toThrowError('unknown model "writer.palmyra-x5-v1:0"');
    expect(findModel('writer.palmyra-x5-v1:0')).toBeUndefined();
  });
});

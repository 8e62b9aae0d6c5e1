import { describe, expect, it } from 'vitest';
import { legacyTenantKeySegment, tenantKeySegment, tenantOfKeySegment } from './tenant-key-segment';

describe(tenantKeySegment, () => {
  it.each([
    ['acme', 'acme'],
    ['team.a', 'team.a'],
    ['.', '%2E'],
    ['..', '%2E%2E'],
    ['...', '%2E%2E%2E'],
    ['a/b', 'a%2Fb'],
    ['../x', '..%2Fx'],
    ['50%', '50%25'],
    ['zoë', 'zo%C3%AB'],
  ])('keys tenant %j as the one segment %j, and reads it back', (tenantId, segment) => {
    expect(tenantKeySegment(tenantId)).toBe(segment);
    expect(tenantOfKeySegment(segment)).toBe(tenantId);
  });

  it('refuses an empty or overlong tenant id with a validation error naming it', () => {
    expect(() => tenantKeySegment('')).toThrow(expect.objectContaining({ kind: 'validation' }));
    expect(() => tenantKeySegment('x'.repeat(513))).toThrow(/at most 512 fit/);
  });

  it('reads no tenant from a segment it could not have written', () => {
    expect(tenantOfKeySegment('%E0%A4%A')).toBeUndefined();
    expect(tenantOfKeySegment('a%2fb')).toBeUndefined();
  });

  it.each(['.', '..', '...'])(
    'reads tenant %j back from the literal segment builds before the encoding wrote',
    (id) => {
      expect(tenantOfKeySegment(id)).toBe(id);
      expect(legacyTenantKeySegment(id)).toBe(id);
    },
  );

  it('has no legacy segment for an id keyed as itself', () => {
    expect(legacyTenantKeySegment('team.a')).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { defaultTenant, IdentityMap } from './identity-rules';

describe(defaultTenant, () => {
  it.each([
    ['arn:aws:sts::123456789012:assumed-role/checkout-api/i-0abc', 'checkout-api'],
    ['arn:aws:iam::123456789012:user/ops/alice', 'alice'],
    ['arn:aws:iam::123456789012:role/service-role/indexer', 'indexer'],
    ['arn:aws:iam::123456789012:root', 'root'],
    ['', 'unknown'],
  ])('%s is tenant %s', (arn, tenant) => {
    expect(defaultTenant(arn)).toBe(tenant);
  });
});

describe(IdentityMap, () => {
  const call = (identityArn: string, requestMetadata: Record<string, string> = {}) => ({
    identityArn,
    requestMetadata,
  });

  it('applies the first rule whose glob matches the ARN', () => {
    const map = new IdentityMap([
      { match: 'arn:aws:sts::*:assumed-role/batch-*/*', tenant: 'batch', lane: 'deferrable' },
      { match: '*', tenant: 'everyone-else' },
    ]);
    expect(map.resolve(call('arn:aws:sts::1:assumed-role/batch-nightly/s'))).toEqual({
      tenantId: 'batch',
      hints: { lane: 'deferrable' },
    });
    expect(map.resolve(call('arn:aws:sts::1:assumed-role/web/s'))).toEqual({ tenantId: 'everyone-else' });
  });

  it('matches request metadata, and derives the tenant when the rule names none', () => {
    const map = new IdentityMap([{ metadata: { team: 'search' }, cache: 'opt-in' }]);
    expect(map.resolve(call('arn:aws:sts::1:assumed-role/web/s', { team: 'search' }))).toEqual({
      tenantId: 'web',
      hints: { cache: 'opt-in' },
    });
    expect(map.resolve(call('arn:aws:sts::1:assumed-role/web/s', { team: 'ads' }))).toEqual({ tenantId: 'web' });
  });

  it('treats glob characters other than * literally', () => {
    const map = new IdentityMap([{ match: 'arn:aws:iam::1:user/a.b', tenant: 'x' }]);
    expect(map.resolve(call('arn:aws:iam::1:user/aXb')).tenantId).toBe('aXb');
  });
});

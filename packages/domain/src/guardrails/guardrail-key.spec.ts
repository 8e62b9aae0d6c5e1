import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../json';
import { guardrailBodyDigest, guardrailKey, rememberGuardrailDigest } from './guardrail-key';
import type { GuardrailRequest } from './guardrail.types';

const body = (text: string): JsonObject => ({ source: 'INPUT', content: [{ text: { text } }], outputScope: 'FULL' });
const request = (b: JsonObject, change: Partial<GuardrailRequest> = {}): GuardrailRequest => ({
  tenantId: 'acme',
  guardrailId: 'gr1',
  guardrailVersion: '1',
  body: b,
  ...change,
});

describe(guardrailKey, () => {
  it('is the same for the same content whatever the order of its fields, and differs by content, version and tenant', () => {
    const key = guardrailKey(request(body('hello')), 'us-east-1');
    const reordered: JsonObject = { outputScope: 'FULL', content: [{ text: { text: 'hello' } }], source: 'INPUT' };
    expect(guardrailKey(request(reordered), 'us-east-1')).toBe(key);
    expect(guardrailKey(request(body('hello!')), 'us-east-1')).not.toBe(key);
    expect(guardrailKey(request(body('hello'), { guardrailVersion: '2' }), 'us-east-1')).not.toBe(key);
    expect(guardrailKey(request(body('hello'), { tenantId: 'other' }), 'us-east-1')).not.toBe(key);
  });

  it('uses a digest remembered for the body (computed on another thread) instead of walking it again', () => {
    const inline = guardrailKey(request(body('checked elsewhere')), 'us-east-1');
    const parsed = body('checked elsewhere');
    rememberGuardrailDigest(parsed, guardrailBodyDigest(body('checked elsewhere')));
    expect(guardrailKey(request(parsed), 'us-east-1')).toBe(inline);
    // What is remembered is what is used: a digest remembered for a body is not recomputed.
    const other = body('x');
    rememberGuardrailDigest(other, 'f'.repeat(64));
    expect(guardrailKey(request(other), 'us-east-1')).toMatch(/:f{64}$/);
  });
});

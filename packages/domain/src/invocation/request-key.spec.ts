import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../json';
import type { InvocationRequest } from './invocation.types';
import { REQUEST_KEY_VERSION, canonicalJson, requestKey } from './request-key';

const request = (body: JsonObject, over: Partial<InvocationRequest> = {}): InvocationRequest => ({
  tenantId: 'acme',
  modelId: 'amazon.nova-lite-v1:0',
  operation: 'converse',
  body,
  ...over,
});

/** The same JSON value with every object's keys in another order. */
function shuffled(value: JsonValue, seed: number): JsonValue {
  if (Array.isArray(value)) return value.map((v, i) => shuffled(v, seed + i));
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    const order = keys
      .map((k, i) => [k, (i * 7919 + seed * 104729) % (keys.length + 13)] as const)
      .sort((a, b) => a[1] - b[1]);
    return Object.fromEntries(order.map(([k]) => [k, shuffled((value as JsonObject)[k] as JsonValue, seed + 1)]));
  }
  return value;
}

const jsonObject = fc.dictionary(
  fc.string({ maxLength: 8 }),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>,
  { maxKeys: 6 },
);

describe(requestKey, () => {
  it('is namespaced by key-format version, tenant, region and model', () => {
    const key = requestKey(request({ messages: [] }), 'us-east-1');
    expect(key).toMatch(
      new RegExp(`^nc:${REQUEST_KEY_VERSION}:acme:us-east-1:amazon\\.nova-lite-v1%3A0:converse:[0-9a-f]{64}$`),
    );
  });

  it('does not depend on the order of object keys', () => {
    fc.assert(
      fc.property(jsonObject, fc.integer({ min: 0, max: 1000 }), (body, seed) => {
        expect(requestKey(request(shuffled(body, seed) as JsonObject), 'us-east-1')).toBe(
          requestKey(request(body), 'us-east-1'),
        );
      }),
    );
  });

  it('changes when any significant field of the body changes', () => {
    fc.assert(
      fc.property(
        jsonObject,
        fc.string({ minLength: 1, maxLength: 8 }),
        fc.jsonValue({ maxDepth: 2 }),
        (body, field, value) => {
          fc.pre(
            field !== 'requestMetadata' &&
              field !== 'serviceTier' &&
              canonicalJson(body[field] ?? null) !== canonicalJson(value as JsonValue),
          );
          fc.pre(!(field in body) || body[field] !== undefined);
          const changed = { ...body, [field]: value as JsonValue };
          expect(requestKey(request(changed), 'us-east-1')).not.toBe(requestKey(request(body), 'us-east-1'));
        },
      ),
    );
  });

  it('changes with the tenant, region, model and operation, so tenants never share an entry', () => {
    const body = { messages: [{ role: 'user', content: [{ text: 'hi' }] }] };
    const keys = new Set([
      requestKey(request(body), 'us-east-1'),
      requestKey(request(body, { tenantId: 'other' }), 'us-east-1'),
      requestKey(request(body), 'ap-northeast-1'),
      requestKey(request(body, { modelId: 'amazon.nova-micro-v1:0' }), 'us-east-1'),
      requestKey(request(body, { operation: 'invoke' }), 'us-east-1'),
    ]);
    expect(keys.size).toBe(5);
  });

  it('cannot be confused by a tenant id that contains the separator', () => {
    const body = { a: 1 };
    expect(requestKey(request(body, { tenantId: 'a:b' }), 'c')).not.toBe(
      requestKey(request(body, { tenantId: 'a' }), 'b:c'),
    );
  });

  it('ignores requestMetadata, which only tags the call for the caller', () => {
    const body = { messages: [], inferenceConfig: { temperature: 0 } };
    expect(requestKey(request({ ...body, requestMetadata: { trace: 'x' } }), 'us-east-1')).toBe(
      requestKey(request(body), 'us-east-1'),
    );
  });

  it('ignores the service tier, which changes the price, not the answer', () => {
    const body = { messages: [], inferenceConfig: { temperature: 0 } };
    expect(requestKey(request({ ...body, serviceTier: { type: 'priority' } }), 'us-east-1')).toBe(
      requestKey(request(body), 'us-east-1'),
    );
    expect(
      requestKey(
        request(body, { operation: 'invoke', parameters: { serviceTier: 'flex', requestMetadata: { a: 'b' } } }),
        'r',
      ),
    ).toBe(requestKey(request(body, { operation: 'invoke' }), 'r'));
  });

  it("changes with InvokeModel's guardrail, trace and latency parameters", () => {
    const body = { messages: [] };
    const keys = new Set(
      [
        {},
        { guardrailIdentifier: 'g', guardrailVersion: '1' },
        { guardrailIdentifier: 'g', guardrailVersion: '2' },
        { trace: 'ENABLED' },
        { performanceConfigLatency: 'optimized' },
      ].map((parameters) => requestKey(request(body, { operation: 'invoke', parameters }), 'r')),
    );
    expect(keys.size).toBe(5);
  });

  it('keeps the order of arrays significant', () => {
    expect(requestKey(request({ texts: ['a', 'b'] }), 'r')).not.toBe(requestKey(request({ texts: ['b', 'a'] }), 'r'));
  });
});

describe(canonicalJson, () => {
  it('sorts keys and drops whitespace', () => {
    expect(canonicalJson({ b: [1, { d: 2, c: 3 }], a: 'x' })).toBe('{"a":"x","b":[1,{"c":3,"d":2}]}');
  });

  it('orders keys as the built-in string sort does (UTF-16 code units, integer-like keys as strings)', () => {
    expect(canonicalJson({ é: 1, Z: 2, z: 3, '😀': 4, Ω: 5, '': 6, 10: 7, 9: 8 })).toBe(
      '{"":6,"10":7,"9":8,"Z":2,"z":3,"é":1,"Ω":5,"😀":4}',
    );
    const reference = (v: JsonValue): string =>
      Array.isArray(v)
        ? `[${v.map(reference).join(',')}]`
        : typeof v === 'object' && v !== null
          ? `{${Object.keys(v)
              .sort()
              .filter((k) => v[k] !== undefined)
              .map((k) => `${JSON.stringify(k)}:${reference(v[k]!)}`)
              .join(',')}}`
          : JSON.stringify(v);
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(canonicalJson(v as JsonValue)).toBe(reference(v as JsonValue));
      }),
    );
  });
});

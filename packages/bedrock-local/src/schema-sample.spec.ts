import { describe, expect, it } from 'vitest';
import { sampleOf } from './schema-sample';
import { seededDice } from './seeded-dice';

const sample = (schema: unknown, seed = 7) => sampleOf(schema, seededDice(seed));

describe(sampleOf, () => {
  it('fills every property of an object with a value of its type', () => {
    const value = sample({
      type: 'object',
      properties: {
        name: { type: 'string' },
        count: { type: 'integer', minimum: 3, maximum: 9 },
        ratio: { type: 'number' },
        ok: { type: 'boolean' },
        tags: { type: 'array', items: { type: 'string' }, minItems: 2 },
      },
      required: ['name', 'count'],
      additionalProperties: false,
    }) as Record<string, unknown>;
    expect(Object.keys(value).sort()).toEqual(['count', 'name', 'ok', 'ratio', 'tags']);
    expect(value['name']).toEqual(expect.any(String));
    expect(Number.isInteger(value['count']) && (value['count'] as number) >= 3 && (value['count'] as number) <= 9).toBe(
      true,
    );
    expect(value['ratio']).toEqual(expect.any(Number));
    expect(value['ok']).toEqual(expect.any(Boolean));
    expect((value['tags'] as unknown[]).length).toBeGreaterThanOrEqual(2);
  });

  it('gives the same value for the same schema and seed', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' }, b: { type: 'number' } } };
    expect(sample(schema, 42)).toEqual(sample(schema, 42));
  });

  it.each([
    ['an enum', { enum: ['low', 'high'] }, (v: unknown) => ['low', 'high'].includes(v as string)],
    ['a const', { const: 'fixed' }, (v: unknown) => v === 'fixed'],
    ['a nullable string (type list)', { type: ['string', 'null'] }, (v: unknown) => typeof v === 'string'],
    [
      'anyOf with null first',
      { anyOf: [{ type: 'null' }, { type: 'integer', minimum: 1 }] },
      (v: unknown) => Number.isInteger(v) && (v as number) >= 1,
    ],
    [
      'a string with lengths',
      { type: 'string', minLength: 30, maxLength: 35 },
      (v: unknown) => (v as string).length >= 30 && (v as string).length <= 35,
    ],
    ['a date-time', { type: 'string', format: 'date-time' }, (v: unknown) => !Number.isNaN(Date.parse(v as string))],
    [
      'an exclusive range',
      { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
      (v: unknown) => (v as number) > 0 && (v as number) < 1,
    ],
    [
      'a $ref into $defs',
      { $defs: { item: { type: 'boolean' } }, $ref: '#/$defs/item' },
      (v: unknown) => typeof v === 'boolean',
    ],
    [
      'allOf of two objects',
      {
        allOf: [
          { type: 'object', properties: { a: { type: 'string' } } },
          { type: 'object', properties: { b: { type: 'integer' } } },
        ],
      },
      (v: unknown) =>
        typeof (v as Record<string, unknown>)['a'] === 'string' &&
        Number.isInteger((v as Record<string, unknown>)['b']),
    ],
  ])('satisfies %s', (_name, schema, holds) => {
    expect(holds(sample(schema))).toBe(true);
  });

  it('stops at a recursive schema instead of looping', () => {
    const tree = {
      $defs: { node: { type: 'object', properties: { child: { $ref: '#/$defs/node' } } } },
      $ref: '#/$defs/node',
    };
    expect(JSON.stringify(sample(tree)).length).toBeLessThan(1000);
  });
});

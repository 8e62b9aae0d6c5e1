/** Uniform numbers in [0, 1). */
type Dice = () => number;

type Schema = Record<string, unknown>;

const WORDS = ['nova', 'local', 'answer', 'cost', 'cache', 'budget', 'route', 'token', 'model', 'saving'];
const MAX_DEPTH = 8;

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** `#/$defs/x` or `#/definitions/x` inside the root schema. */
function resolveRef(ref: string, root: Schema): Schema {
  const path = ref
    .replace(/^#\/?/, '')
    .split('/')
    .filter(Boolean)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let cur: unknown = root;
  for (const part of path) cur = isSchema(cur) ? cur[part] : undefined;
  return isSchema(cur) ? cur : {};
}

function sampleString(schema: Schema, dice: Dice): string {
  switch (schema['format']) {
    case 'date-time':
      return '2026-01-01T00:00:00.000Z';
    case 'date':
      return '2026-01-01';
    case 'time':
      return '00:00:00';
    case 'email':
      return 'someone@example.com';
    case 'uri':
    case 'url':
      return 'https://example.com/';
    case 'uuid':
      return '00000000-0000-4000-8000-000000000000';
  }
  const min = num(schema['minLength']) ?? 1;
  const max = num(schema['maxLength']) ?? Math.max(min, 40);
  let text = '';
  while (text.length < min || text === '')
    text = `${text}${text ? ' ' : ''}${WORDS[Math.floor(dice() * WORDS.length)]}`;
  return text.slice(0, Math.max(max, 0));
}

function sampleNumber(schema: Schema, integer: boolean, dice: Dice): number {
  const exclusiveMin = num(schema['exclusiveMinimum']);
  const exclusiveMax = num(schema['exclusiveMaximum']);
  let lo = num(schema['minimum']) ?? (exclusiveMin !== undefined ? exclusiveMin + (integer ? 1 : 1e-6) : 0);
  let hi = num(schema['maximum']) ?? (exclusiveMax !== undefined ? exclusiveMax - (integer ? 1 : 1e-6) : lo + 100);
  if (integer) {
    lo = Math.ceil(lo);
    hi = Math.floor(hi);
  }
  if (hi < lo) return lo;
  const value = lo + dice() * (hi - lo);
  return integer ? Math.round(value) : Math.round(value * 100) / 100;
}

/**
 * A value satisfying a tool's JSON Schema, drawn from `dice` (so the same schema and seed give the same value).
 * Covers what tool schemas use: type (or a list of types), properties and required, items and prefixItems with
 * min/maxItems, enum and const, anyOf/oneOf/allOf, $ref into $defs/definitions, string formats and lengths,
 * number and integer bounds. A `pattern` is not honoured.
 */
export function sampleOf(
  schema: unknown,
  dice: Dice,
  root: Schema = isSchema(schema) ? schema : {},
  depth = 0,
): unknown {
  if (!isSchema(schema) || depth > MAX_DEPTH) return null;
  if (typeof schema['$ref'] === 'string') return sampleOf(resolveRef(schema['$ref'], root), dice, root, depth + 1);
  if ('const' in schema) return schema['const'];
  if (Array.isArray(schema['enum']) && schema['enum'].length > 0)
    return schema['enum'][Math.floor(dice() * schema['enum'].length)];
  for (const key of ['anyOf', 'oneOf']) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) {
      // Prefer an option that is not null, so an optional field still gets a value.
      const chosen = options.find((o) => isSchema(o) && o['type'] !== 'null') ?? options[0];
      return sampleOf(chosen, dice, root, depth + 1);
    }
  }
  if (Array.isArray(schema['allOf'])) {
    const merged: Schema = { type: 'object', properties: {}, required: [] };
    for (const part of schema['allOf'].map((p) =>
      isSchema(p) && typeof p['$ref'] === 'string' ? resolveRef(p['$ref'], root) : p,
    )) {
      if (!isSchema(part)) continue;
      Object.assign(merged['properties'] as Schema, part['properties']);
      (merged['required'] as unknown[]).push(...(Array.isArray(part['required']) ? part['required'] : []));
      if (part['type'] !== undefined && part['type'] !== 'object') return sampleOf(part, dice, root, depth + 1);
    }
    return sampleOf(merged, dice, root, depth + 1);
  }
  const types = Array.isArray(schema['type']) ? schema['type'] : [schema['type']];
  const type =
    types.find((t) => t !== 'null') ??
    types[0] ??
    (isSchema(schema['properties']) ? 'object' : schema['items'] ? 'array' : 'string');
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const properties = isSchema(schema['properties']) ? schema['properties'] : {};
      for (const [name, sub] of Object.entries(properties)) out[name] = sampleOf(sub, dice, root, depth + 1);
      return out;
    }
    case 'array': {
      const prefix = Array.isArray(schema['prefixItems']) ? schema['prefixItems'] : [];
      const min = num(schema['minItems']) ?? 1;
      const max = num(schema['maxItems']) ?? Math.max(min, 2);
      const length = Math.max(prefix.length, Math.min(Math.max(min, 1), max));
      return Array.from({ length }, (_, i) => sampleOf(prefix[i] ?? schema['items'], dice, root, depth + 1));
    }
    case 'string':
      return sampleString(schema, dice);
    case 'integer':
      return sampleNumber(schema, true, dice);
    case 'number':
      return sampleNumber(schema, false, dice);
    case 'boolean':
      return dice() < 0.5;
    default:
      return null;
  }
}

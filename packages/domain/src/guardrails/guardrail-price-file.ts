import { NovaCostError } from '../errors/nova-cost.error';
import type { GuardrailPrice } from './guardrail-price-table';

const RATES = [
  'contentPer1KUnits',
  'topicPer1KUnits',
  'sensitiveInformationPer1KUnits',
  'contextualGroundingPer1KUnits',
  'automatedReasoningPer1KUnits',
  'contentPerImage',
] as const;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The guardrail rows of a price file (already parsed JSON; see parsePriceFile): its `guardrailPrices`, one row per
 * region, each rate in USD per 1,000 text units (per image for `contentPerImage`), with where and when it was read.
 * None when the document has no `guardrailPrices`. Refuses what could misprice: a rate that is not a finite number
 * >= 0 (rates left out keep the default table's for the region, or 0 in a region it does not price), a region priced
 * twice, a row without source or date. `name` says where the document came from in errors.
 */
export function parseGuardrailPrices(
  value: unknown,
  name: string,
  defaults: readonly GuardrailPrice[] = [],
): GuardrailPrice[] {
  if (!isObject(value) || value['guardrailPrices'] === undefined) return [];
  const bad = (path: string, expected: string): NovaCostError =>
    new NovaCostError('configuration', `${name}: ${path} ${expected}`, { details: { field: path } });
  const rows = value['guardrailPrices'];
  if (!Array.isArray(rows)) throw bad('guardrailPrices', 'must be an array of guardrail prices, one per region');
  const seen = new Set<string>();
  return rows.map((row, i) => {
    const at = `guardrailPrices[${i}]`;
    if (!isObject(row)) throw bad(at, 'must be an object');
    const { region, source, asOf } = row;
    if (typeof region !== 'string' || !REGION.test(region))
      throw bad(`${at}.region`, 'must be a region like us-east-1');
    if (seen.has(region)) throw bad(at, `prices guardrails in ${region} a second time`);
    seen.add(region);
    const base = defaults.find((p) => p.region === region);
    const rates = {} as Record<(typeof RATES)[number], number>;
    for (const rate of RATES) {
      const v = row[rate] ?? base?.[rate] ?? 0;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
        throw bad(
          `${at}.${rate}`,
          `must be a number >= 0 (USD per ${rate === 'contentPerImage' ? 'image' : '1,000 text units'})`,
        );
      rates[rate] = v;
    }
    const unknown = Object.keys(row).filter((k) => !['region', 'source', 'asOf', ...RATES].includes(k));
    if (unknown.length > 0) throw bad(`${at}.${unknown[0]}`, `is not a guardrail rate (${RATES.join(', ')})`);
    if (typeof source !== 'string' || source === '') throw bad(`${at}.source`, 'must say where the price was read');
    if (typeof asOf !== 'string' || !DAY.test(asOf))
      throw bad(`${at}.asOf`, 'must be the day it was read (YYYY-MM-DD)');
    return { region, ...rates, source, asOf };
  });
}

/** The default guardrail rows with `overrides` in place of those of the same region, and the others added. */
export function mergeGuardrailPrices(
  defaults: readonly GuardrailPrice[],
  overrides: readonly GuardrailPrice[],
): GuardrailPrice[] {
  const replaced = new Set(overrides.map((p) => p.region));
  return [...defaults.filter((p) => !replaced.has(p.region)), ...overrides];
}

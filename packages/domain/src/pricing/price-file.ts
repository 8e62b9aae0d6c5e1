import { NovaCostError } from '../errors/nova-cost.error';
import type { ModelPrice } from './price-table';

/** The version of the price file format this code reads and writes. */
export const PRICE_FILE_VERSION = 1;

/** A price file: the rows that replace or extend the default table, as `npm run prices` writes them. */
export interface PriceFile {
  readonly version: typeof PRICE_FILE_VERSION;
  /** When the file was made (ISO 8601). */
  readonly generatedAt: string;
  readonly prices: readonly ModelPrice[];
  /** ApplyGuardrail's rates, one row per region (see parseGuardrailPrices). @default none: the built-in guardrail table */
  readonly guardrailPrices?: readonly unknown[];
}

const RATES = ['inputPer1M', 'outputPer1M', 'cacheReadPer1M', 'cacheWritePer1M'] as const;
const MODEL_ID = /^[a-z0-9-]+\.[a-z0-9.:-]+$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads a price file (already parsed JSON): a PriceFile, `{"prices": […]}` or a bare array of rows. Refuses anything
 * it could misprice: another version, a row without a model id, region, source or date, a rate that is not a finite
 * number >= 0 (cache rates may be left out: 0), a model priced twice in a region. `name` says where the document came
 * from in errors (e.g. the variable that named the file).
 */
export function parsePriceFile(value: unknown, name: string): ModelPrice[] {
  const bad = (path: string, expected: string): NovaCostError =>
    new NovaCostError('configuration', `${name}: ${path} ${expected}`, { details: { field: path } });
  if (!Array.isArray(value) && !isObject(value))
    throw bad('(the document)', 'must be a JSON object {version, generatedAt, prices} or an array of prices');
  if (isObject(value) && value['version'] !== undefined && value['version'] !== PRICE_FILE_VERSION)
    throw bad('version', `must be ${PRICE_FILE_VERSION}`);
  const prices = Array.isArray(value) ? value : value['prices'];
  // A file may price guardrails only (its guardrailPrices, read by parseGuardrailPrices).
  if (!Array.isArray(value) && prices === undefined && value['guardrailPrices'] !== undefined) return [];
  if (!Array.isArray(prices) || prices.length === 0) throw bad('prices', 'must be a non-empty array of prices');
  const seen = new Set<string>();
  return prices.map((row, i) => {
    const at = `prices[${i}]`;
    if (!isObject(row)) throw bad(at, 'must be an object');
    const { modelId, region, source, asOf, regionalPremium, tierMultipliers, speech } = row;
    if (typeof modelId !== 'string' || !MODEL_ID.test(modelId))
      throw bad(`${at}.modelId`, 'must be a base model id like amazon.nova-lite-v1:0');
    if (typeof region !== 'string' || !REGION.test(region))
      throw bad(`${at}.region`, 'must be a region like us-east-1');
    for (const rate of RATES) {
      const v = row[rate] ?? (rate.startsWith('cache') ? 0 : undefined);
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
        throw bad(`${at}.${rate}`, 'must be a number >= 0 (USD per 1M tokens)');
    }
    const hour = row['cacheWrite1hPer1M'];
    if (hour !== undefined && !(typeof hour === 'number' && Number.isFinite(hour) && hour >= 0))
      throw bad(`${at}.cacheWrite1hPer1M`, 'must be a number >= 0 (USD per 1M tokens)');
    if (
      regionalPremium !== undefined &&
      !(typeof regionalPremium === 'number' && regionalPremium >= 1 && regionalPremium < 10)
    )
      throw bad(`${at}.regionalPremium`, 'must be a number from 1 to 10');
    if (tierMultipliers !== undefined) {
      if (!isObject(tierMultipliers))
        throw bad(`${at}.tierMultipliers`, 'must be an object of service tier to multiplier');
      for (const [tier, m] of Object.entries(tierMultipliers)) {
        if (!/^[a-z]+$/.test(tier) || typeof m !== 'number' || !(m > 0 && m < 10))
          throw bad(`${at}.tierMultipliers.${tier}`, 'must be a number above 0 and below 10, keyed by a tier name');
      }
    }
    for (const [field, what] of [
      ['tierSource', 'the tier multipliers were read'],
      ['regionalPremiumSource', 'the regional premium was read'],
    ] as const) {
      const read = row[field];
      if (
        read !== undefined &&
        !(
          isObject(read) &&
          typeof read['source'] === 'string' &&
          read['source'] !== '' &&
          typeof read['asOf'] === 'string' &&
          DAY.test(read['asOf'])
        )
      )
        throw bad(`${at}.${field}`, `must be {source, asOf}: where and the day (YYYY-MM-DD) ${what}`);
    }
    if (speech !== undefined) {
      const rate = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
      if (
        !isObject(speech) ||
        !rate(speech['inputPer1M']) ||
        !rate(speech['outputPer1M']) ||
        Object.keys(speech).length !== 2
      )
        throw bad(`${at}.speech`, 'must be {inputPer1M, outputPer1M}: numbers >= 0 (USD per 1M speech tokens)');
    }
    if (typeof source !== 'string' || source === '') throw bad(`${at}.source`, 'must say where the price was read');
    if (typeof asOf !== 'string' || !DAY.test(asOf))
      throw bad(`${at}.asOf`, 'must be the day it was read (YYYY-MM-DD)');
    const key = `${region}|${modelId}`;
    if (seen.has(key)) throw bad(at, `prices ${modelId} in ${region} a second time`);
    seen.add(key);
    return { cacheReadPer1M: 0, cacheWritePer1M: 0, ...row } as unknown as ModelPrice;
  });
}

/** The default rows with `overrides` in place of those of the same model and region, and the others added. */
export function mergePrices(defaults: readonly ModelPrice[], overrides: readonly ModelPrice[]): ModelPrice[] {
  const key = (p: ModelPrice) => `${p.region}|${p.modelId}`;
  const replaced = new Set(overrides.map(key));
  return [...defaults.filter((p) => !replaced.has(key(p))), ...overrides];
}

/**
 * What a new price file would lose against the previous one: model and region pairs it no longer prices, and rates
 * that became 0 where they were not. A rebuild that loses anything must not be written.
 */
export function pricesLost(previous: readonly ModelPrice[], next: readonly ModelPrice[]): string[] {
  const byKey = new Map(next.map((p) => [`${p.region}|${p.modelId}`, p]));
  const lost: string[] = [];
  for (const old of previous) {
    const now = byKey.get(`${old.region}|${old.modelId}`);
    if (!now) {
      lost.push(`${old.modelId} in ${old.region}: no longer priced`);
      continue;
    }
    for (const rate of RATES)
      if (old[rate] > 0 && !(now[rate] > 0))
        lost.push(`${old.modelId} in ${old.region}: ${rate} went from ${old[rate]} to ${now[rate]}`);
  }
  return lost;
}

import { readFileSync } from 'node:fs';
import type { CostPolicyRules, Lane, ModelPrice, PricingCatalog } from '@nova-cost/domain';
import {
  DEFAULT_PRICES,
  InMemorySpendLedger,
  NovaCostError,
  RuleBasedCostPolicy,
  mergePrices,
  parsePriceFile,
} from '@nova-cost/domain';
import { parsePolicy } from '@nova-cost/policy-schema';
import type { IdentityRule } from '../replay/identity-rules';
import type { ReplayBatchOptions } from '../replay/replay-batch-queue';
import { ReportError } from '../report-error';

export interface ReportPolicy {
  readonly rules: CostPolicyRules;
  readonly identities: readonly IdentityRule[];
  /** The batch job queue's settings, where the file gives them (`batchJobs`). */
  readonly batch?: ReplayBatchOptions;
}

/** `batchJobs` fields: the gateway's NOVA_COST_ASYNC_* settings of the same names. */
const BATCH_FIELDS = ['minRecords', 'maxRecords', 'maxWaitMs', 'jobTurnaroundMs', 'defaultDeadlineMs'] as const;
/** `batchJobs` fields, with the numbers: NOVA_COST_ASYNC_ON_DEMAND_TIER's. */
const ALL_FIELDS = [...BATCH_FIELDS, 'onDemandTier'] as const;

function batchJobs(value: unknown, path: string): ReplayBatchOptions | undefined {
  if (value === undefined) return undefined;
  const bad = (at: string, expected: string) => new ReportError('configuration', `${path} ${at} ${expected}`);
  if (!isObject(value)) throw bad('batchJobs', `must be an object of ${ALL_FIELDS.join(', ')}`);
  const out: Partial<Record<(typeof BATCH_FIELDS)[number], number>> & { onDemandTier?: 'flex' | 'standard' } = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'onDemandTier') {
      if (v !== 'flex' && v !== 'standard')
        throw bad('batchJobs.onDemandTier', `must be "flex" or "standard", got ${JSON.stringify(v)}`);
      out.onDemandTier = v;
      continue;
    }
    if (!(BATCH_FIELDS as readonly string[]).includes(key))
      throw bad(`batchJobs.${key}`, `is not a batch job setting; the settings are ${ALL_FIELDS.join(', ')}`);
    const least = key === 'minRecords' || key === 'maxRecords' || key === 'defaultDeadlineMs' ? 1 : 0;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < least)
      throw bad(`batchJobs.${key}`, `must be an integer >= ${least}, got ${JSON.stringify(v)}`);
    out[key as (typeof BATCH_FIELDS)[number]] = v;
  }
  if (out.minRecords !== undefined && out.maxRecords !== undefined && out.maxRecords < out.minRecords)
    throw bad('batchJobs.maxRecords', `must be at least minRecords (${out.minRecords}), got ${out.maxRecords}`);
  return out;
}

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ReportError(
      'configuration',
      `${what} ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const pos = /position (\d+)/.exec((err as Error).message);
    throw new ReportError('configuration', `${what} ${path} is not valid JSON${pos ? ` (at position ${pos[1]})` : ''}`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function identityRules(value: unknown, path: string): IdentityRule[] {
  if (value === undefined) return [];
  const bad = (at: string, expected: string) => new ReportError('configuration', `${path} ${at} ${expected}`);
  if (!Array.isArray(value))
    throw bad('identities', 'must be an array of {"match", "metadata", "tenant", "lane", "cache"}');
  return value.map((r, i) => {
    const at = `identities[${i}]`;
    if (!isObject(r)) throw bad(at, 'must be an object');
    for (const key of Object.keys(r))
      if (!['match', 'metadata', 'tenant', 'lane', 'cache'].includes(key))
        throw bad(`${at}.${key}`, 'is not an identity rule field; a rule takes match, metadata, tenant, lane, cache');
    if (r['match'] !== undefined && (typeof r['match'] !== 'string' || r['match'] === ''))
      throw bad(`${at}.match`, 'must be a glob over identity.arn, e.g. "arn:aws:sts::*:assumed-role/checkout-*"');
    if (r['tenant'] !== undefined && (typeof r['tenant'] !== 'string' || r['tenant'] === ''))
      throw bad(`${at}.tenant`, 'must be a non-empty string');
    if (r['lane'] !== undefined && r['lane'] !== 'interactive' && r['lane'] !== 'deferrable')
      throw bad(`${at}.lane`, 'must be interactive or deferrable');
    if (r['cache'] !== undefined && r['cache'] !== 'opt-in' && r['cache'] !== 'opt-out')
      throw bad(`${at}.cache`, 'must be opt-in or opt-out');
    const metadata = r['metadata'];
    if (metadata !== undefined && (!isObject(metadata) || Object.values(metadata).some((v) => typeof v !== 'string')))
      throw bad(`${at}.metadata`, 'must be an object of strings');
    return {
      ...(r['match'] !== undefined ? { match: r['match'] as string } : {}),
      ...(metadata !== undefined ? { metadata: metadata as Record<string, string> } : {}),
      ...(r['tenant'] !== undefined ? { tenant: r['tenant'] as string } : {}),
      ...(r['lane'] !== undefined ? { lane: r['lane'] as Lane } : {}),
      ...(r['cache'] !== undefined ? { cache: r['cache'] as 'opt-in' | 'opt-out' } : {}),
    };
  });
}

/**
 * The cost policy for a replay, from `path`: the gateway's tenants document (`{"tenants": …, "policy": …}`; the
 * tenants' credentials are not read), or a bare policy object, plus the report's own `identities` rules mapping
 * logged callers to tenants and `batchJobs`, the batch job queue's settings (the gateway's NOVA_COST_ASYNC_*). The policy is checked exactly as the gateway checks it at start-up.
 */
export function loadReportPolicy(path: string | undefined, pricing: PricingCatalog): ReportPolicy {
  if (path === undefined) return { rules: {}, identities: [] };
  const doc = readJson(path, 'policy file');
  if (!isObject(doc))
    throw new ReportError(
      'configuration',
      `policy file ${path} must hold a JSON object: {"policy": {…}, "identities": […]} or the policy itself`,
    );
  const isDocument = 'policy' in doc || 'identities' in doc || 'tenants' in doc || 'batchJobs' in doc;
  const rules = parsePolicy(
    isDocument ? (doc['policy'] ?? {}) : doc,
    (at, expected) => new ReportError('configuration', `policy file ${path} ${at} ${expected}`),
  );
  try {
    // What only the domain can judge (a route to a pricier model, …) is refused as the gateway refuses it.
    new RuleBasedCostPolicy(rules, { pricing, ledger: new InMemorySpendLedger() });
  } catch (err) {
    if (!NovaCostError.is(err)) throw err;
    throw new ReportError('configuration', `policy file ${path}: ${err.message}`, { cause: err });
  }
  if (!isDocument) return { rules, identities: [] };
  const batch = batchJobs(doc['batchJobs'], `policy file ${path}`);
  return {
    rules,
    identities: identityRules(doc['identities'], `policy file ${path}`),
    ...(batch === undefined ? {} : { batch }),
  };
}

/**
 * The price table: the domain's defaults (DEFAULT_PRICES, each with source and date), with the rows of the price file
 * at `path` (as `npm run prices` writes it, `{"prices": […]}`, or a bare array of rows) replacing those of the same
 * model and region and adding others. The gateway reads NOVA_COST_PRICES the same way.
 */
export function loadPriceTable(path: string | undefined): readonly ModelPrice[] {
  if (path === undefined) return DEFAULT_PRICES;
  const doc = readJson(path, 'prices file');
  try {
    return mergePrices(DEFAULT_PRICES, parsePriceFile(doc, `prices file ${path}`));
  } catch (error) {
    if (NovaCostError.is(error, 'configuration'))
      throw new ReportError('configuration', error.message, { cause: error });
    throw error;
  }
}

import type { IncomingHttpHeaders } from 'node:http';
import { DEFAULT_PRICES, NovaCostError } from '@nova-cost/domain';
import { isObject } from './prompt';
import { WireError, validation } from './wire-error';

/** Which Bedrock service tiers the local endpoint serves. */
export interface LocalBedrockServiceTiers {
  /**
   * The tiers each base model serves besides `default` (which every model serves), e.g.
   * `{ 'amazon.nova-lite-v1:0': [] }` to refuse flex and priority on Nova Lite. `null` drops every entry. A model not
   * listed serves the tiers its row of the default price table prices (Nova: flex and priority; Claude: none).
   * @default {}
   */
  byModel?: Record<string, string[]> | null;
}

const TIERS = ['priority', 'default', 'flex', 'reserved'];

/** What the default price table prices, per base model: the tiers Bedrock offers it, as far as we know. */
const PRICED_TIERS: ReadonlyMap<string, readonly string[]> = new Map(
  DEFAULT_PRICES.filter((p) => p.region === 'us-east-1').map((p) => [p.modelId, Object.keys(p.tierMultipliers ?? {})]),
);

export function resolveServiceTiers(
  value: unknown,
  base: ReadonlyMap<string, readonly string[]> = new Map(),
): ReadonlyMap<string, readonly string[]> {
  if (value === undefined) return base;
  if (!isObject(value)) throw new NovaCostError('configuration', 'serviceTiers must be an object with byModel');
  const byModel = value['byModel'];
  if (byModel === undefined) return base;
  if (byModel === null) return new Map();
  if (!isObject(byModel))
    throw new NovaCostError('configuration', 'serviceTiers.byModel must map base model ids to arrays of tiers');
  const next = new Map(base);
  for (const [model, tiers] of Object.entries(byModel)) {
    if (!Array.isArray(tiers) || tiers.some((t) => typeof t !== 'string' || !TIERS.includes(t)))
      throw new NovaCostError(
        'configuration',
        `serviceTiers.byModel[${JSON.stringify(model)}] must be an array of ${TIERS.join(', ')}`,
      );
    next.set(model, tiers as string[]);
  }
  return next;
}

/**
 * The service tier a call asked for (Converse `serviceTier.type`, InvokeModel's `X-Amzn-Bedrock-Service-Tier`), or
 * undefined; refused as Bedrock refuses it: an unknown value, `reserved` without a reservation, or a tier the model
 * does not serve (ValidationException 400).
 */
export function requestedServiceTier(
  converse: boolean,
  body: Record<string, unknown>,
  headers: IncomingHttpHeaders,
  baseModelId: string,
  byModel: ReadonlyMap<string, readonly string[]>,
): string | undefined {
  let tier: unknown;
  if (converse) {
    const field = body['serviceTier'];
    if (field === undefined) return undefined;
    if (!isObject(field) || typeof field['type'] !== 'string') throw validation('serviceTier must be {"type": string}');
    tier = field['type'];
  } else {
    tier = headers['x-amzn-bedrock-service-tier'];
    if (tier === undefined) return undefined;
  }
  if (typeof tier !== 'string' || !TIERS.includes(tier)) throw validation('The service tier provided is invalid.');
  if (tier === 'default') return tier;
  if (tier === 'reserved') throw validation('Reservation not found.');
  const served = byModel.get(baseModelId) ?? PRICED_TIERS.get(baseModelId) ?? [];
  if (!served.includes(tier))
    throw new WireError(400, 'ValidationException', `The ${tier} service tier is not supported for this model.`);
  return tier;
}

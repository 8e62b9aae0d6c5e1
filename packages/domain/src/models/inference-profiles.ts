import { resolveModelId } from './model-catalog';

/**
 * Where a tenant allows its prompts to be processed: 'region' only in the region called (the model's own id),
 * 'geo' anywhere in the region's geography (a `us.`/`eu.`/`apac.` profile), 'global' in any commercial region (a
 * `global.` profile).
 */
export type DataResidency = 'global' | 'geo' | 'region';

/**
 * Base models Bedrock serves through a global cross-region inference profile (`global.<model id>`), from Bedrock's
 * list of supported cross-region inference profiles
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html, read 2026-11-29).
 */
const GLOBAL_PROFILES: ReadonlySet<string> = new Set([
  'anthropic.claude-sonnet-4-20250514-v1:0',
  'anthropic.claude-sonnet-4-5-20250929-v1:0',
  'anthropic.claude-haiku-4-5-20251001-v1:0',
  'anthropic.claude-opus-4-5-20251101-v1:0',
  'anthropic.claude-opus-4-6-v1',
  'anthropic.claude-sonnet-4-6',
  'anthropic.claude-sonnet-5',
  'anthropic.claude-opus-5',
  'anthropic.claude-haiku-5-5',
  'anthropic.claude-sonnet-5-5',
  'anthropic.claude-opus-5-5',
  'amazon.nova-2-lite-v1:0',
  'cohere.embed-v4:0',
]);

/** Whether Bedrock offers a global cross-region inference profile for the model (any id form). */
export function hasGlobalProfile(modelId: string): boolean {
  try {
    return GLOBAL_PROFILES.has(resolveModelId(modelId).baseModelId);
  } catch {
    return false;
  }
}

/** The geography prefix of a region's geo profiles (`us.` for us-east-1, `eu.` for eu-west-1…), if it has one. */
export function geoPrefixOf(region: string): string | undefined {
  if (region.startsWith('us-gov-')) return 'us-gov';
  if (region.startsWith('us-')) return 'us';
  if (region.startsWith('eu-')) return 'eu';
  if (region.startsWith('ap-') || region.startsWith('me-')) return 'apac';
  if (region.startsWith('ca-')) return 'ca';
  return undefined;
}

/** The id that calls `modelId`'s base model in the given scope from `region`, or undefined when there is none. */
export function profileIdOf(modelId: string, scope: DataResidency, region: string): string | undefined {
  const { baseModelId } = resolveModelId(modelId);
  if (scope === 'region') return baseModelId;
  if (scope === 'global') return hasGlobalProfile(baseModelId) ? `global.${baseModelId}` : undefined;
  const geo = geoPrefixOf(region);
  return geo === undefined ? undefined : `${geo}.${baseModelId}`;
}

/** The residency a model id as addressed needs: its profile's scope ('none' is the region). */
export function residencyOf(modelId: string): DataResidency {
  const { scope } = resolveModelId(modelId);
  return scope === 'none' ? 'region' : scope;
}

const WIDTH: Readonly<Record<DataResidency, number>> = { region: 0, geo: 1, global: 2 };

/** Whether a call addressed as `modelId` keeps within `allowed`. */
export function withinResidency(modelId: string, allowed: DataResidency): boolean {
  return WIDTH[residencyOf(modelId)] <= WIDTH[allowed];
}

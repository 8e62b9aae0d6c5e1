import type { FoundationModelAccess, InferenceProfileAccess } from '@nova-cost/cdk';

const NOVA_MODELS = ['amazon.nova-micro-v1:0', 'amazon.nova-lite-v1:0', 'amazon.nova-pro-v1:0'] as const;

/**
 * Where Bedrock's system-defined Nova profiles route, by geography prefix. The lists are the regions Bedrock's model
 * tables give for Nova (docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html); IAM must allow
 * the model in every one, or a request routed there fails with AccessDenied.
 */
const GEOGRAPHIES: Readonly<Record<string, { prefix: string; regions: readonly string[] }>> = {
  us: { prefix: 'us', regions: ['us-east-1', 'us-east-2', 'us-west-2'] },
  eu: { prefix: 'eu', regions: ['eu-central-1', 'eu-north-1', 'eu-south-1', 'eu-south-2', 'eu-west-1', 'eu-west-3'] },
  ap: {
    prefix: 'apac',
    regions: ['ap-northeast-1', 'ap-northeast-2', 'ap-south-1', 'ap-southeast-1', 'ap-southeast-2'],
  },
};

/** Regions where Nova answers on-demand calls by plain model id (elsewhere only through a profile). */
const IN_REGION = new Set(['us-east-1']);

/**
 * The default Bedrock access of the gateway: Nova Micro, Lite and Pro by model id where the region serves them
 * directly, and through the geography's cross-region profile (e.g. `apac.amazon.nova-lite-v1:0` from Tokyo, where
 * the plain id is refused for on-demand use).
 */
export function defaultNovaAccess(region: string): {
  foundationModels: FoundationModelAccess[];
  inferenceProfiles: InferenceProfileAccess[];
} {
  const geography = GEOGRAPHIES[region.split('-')[0]!];
  const direct = IN_REGION.has(region) || geography === undefined || !geography.regions.includes(region);
  return {
    foundationModels: direct ? NOVA_MODELS.map((modelId) => ({ modelId, regions: [region] })) : [],
    inferenceProfiles:
      geography && geography.regions.includes(region)
        ? NOVA_MODELS.map((modelId) => ({
            profileId: `${geography.prefix}.${modelId}`,
            modelId,
            destinationRegions: geography.regions,
            sourceRegion: region,
          }))
        : [],
  };
}

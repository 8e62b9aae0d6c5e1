import { describe, expect, it } from 'vitest';
import { defaultNovaAccess } from './nova-model-access';

describe(defaultNovaAccess, () => {
  it('gives us-east-1 the plain model ids and the us. profiles', () => {
    const access = defaultNovaAccess('us-east-1');
    expect(access.foundationModels.map((m) => m.modelId)).toEqual([
      'amazon.nova-micro-v1:0',
      'amazon.nova-lite-v1:0',
      'amazon.nova-pro-v1:0',
    ]);
    expect(access.foundationModels.every((m) => m.regions?.join() === 'us-east-1')).toBe(true);
    expect(access.inferenceProfiles[0]).toEqual({
      profileId: 'us.amazon.nova-micro-v1:0',
      modelId: 'amazon.nova-micro-v1:0',
      destinationRegions: ['us-east-1', 'us-east-2', 'us-west-2'],
      sourceRegion: 'us-east-1',
    });
  });

  it('gives Tokyo only the apac. profiles, routed across five Asia-Pacific regions', () => {
    const access = defaultNovaAccess('ap-northeast-1');
    expect(access.foundationModels).toEqual([]);
    expect(access.inferenceProfiles.map((p) => p.profileId)).toEqual([
      'apac.amazon.nova-micro-v1:0',
      'apac.amazon.nova-lite-v1:0',
      'apac.amazon.nova-pro-v1:0',
    ]);
    for (const profile of access.inferenceProfiles) expect(profile.destinationRegions).toContain('ap-northeast-1');
  });

  it('falls back to the plain ids in the region for a geography it has no profile for', () => {
    const access = defaultNovaAccess('sa-east-1');
    expect(access.inferenceProfiles).toEqual([]);
    expect(access.foundationModels.map((m) => m.regions)).toEqual([['sa-east-1'], ['sa-east-1'], ['sa-east-1']]);
  });
});

import { describe, expect, it } from 'vitest';
import { INFRA_PRICES, type SourcedPrice } from './infra-price-table';

function pricesOf(region: string): Array<[string, SourcedPrice]> {
  const { elasticacheNodeHour, ...flat } = INFRA_PRICES.regions[region]!;
  return [
    ...Object.entries(flat),
    ...Object.entries(elasticacheNodeHour).map(([type, price]) => [type, price] as [string, SourcedPrice]),
  ];
}

describe('INFRA_PRICES', () => {
  it('covers us-east-1 and ap-northeast-1 with the same items', () => {
    expect(Object.keys(INFRA_PRICES.regions).sort()).toEqual(['ap-northeast-1', 'us-east-1']);
    expect(pricesOf('ap-northeast-1').map(([k]) => k)).toEqual(pricesOf('us-east-1').map(([k]) => k));
  });

  it.each(['us-east-1', 'ap-northeast-1'])(
    'gives every %s price a positive amount, a unit, an AWS pricing page and a date',
    (region) => {
      for (const [item, price] of pricesOf(region)) {
        expect(price.usd, item).toBeGreaterThan(0);
        expect(price.unit, item).not.toBe('');
        expect(price.source, item).toMatch(/^https:\/\/aws\.amazon\.com\/[a-z0-9/-]+\/pricing\/([a-z]+\/)?( \(.+\))?$/);
        expect(price.asOf, item).toMatch(/^20\d\d-\d\d-\d\d$/);
        expect(Number.isNaN(Date.parse(price.asOf)), item).toBe(false);
      }
    },
  );

  it('prices Tokyo at or above Virginia for every hourly item, as AWS does', () => {
    const virginia = new Map(pricesOf('us-east-1'));
    // S3 request fees are the exception: Tokyo lists them a little below Virginia.
    const cheaperInTokyo = ['fargateSpotDiscount', 's3PutRequestsPerThousand', 's3GetRequestsPerThousand'];
    for (const [item, price] of pricesOf('ap-northeast-1')) {
      if (cheaperInTokyo.includes(item)) continue;
      expect(price.usd, item).toBeGreaterThanOrEqual(virginia.get(item)!.usd);
    }
  });

  it('marks the Tokyo prices that were assumed rather than read, each saying what was assumed', () => {
    const unverified = pricesOf('ap-northeast-1').filter(([, price]) => price.source.includes('not verified'));
    expect(unverified.map(([item]) => item)).toEqual(
      expect.arrayContaining(['opensearchOcuHour', 'httpApiRequestsPerMillion', 's3VectorsStorageGbMonth']),
    );
    for (const [item, price] of unverified) expect(price.source, item).toMatch(/\(not verified: .{10,}\)$/);
  });
});

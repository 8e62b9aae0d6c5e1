import { NovaCostError } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { trafficProfileFromContext } from './traffic-context';
import { parseTrafficProfile } from './traffic-profile';

const context = (values: Record<string, unknown>) => (key: string) => values[key];

describe(parseTrafficProfile, () => {
  it('accepts a full profile and returns exactly its fields', () => {
    const profile = {
      requestsPerDay: 1000,
      models: [{ modelId: 'amazon.nova-lite-v1:0', share: 1, inputTokens: 500, outputTokens: 100 }],
      levers: { cacheHitRate: 0.3, routes: [{ from: 'a', to: 'b', share: 0.5 }] },
      eventsPerDay: 10,
      vectorsStored: 5,
    };
    expect(parseTrafficProfile(profile, 'traffic.json')).toEqual(profile);
  });

  describe('misuse', () => {
    it.each<[string, unknown, RegExp]>([
      ['a non-object', [], /traffic profile \(traffic\.json\): must be a JSON object/],
      ['an unknown key, naming the known ones', { requestPerDay: 1 }, /"requestPerDay" unknown; known: requestsPerDay/],
      ['a negative count', { eventsPerDay: -1 }, /eventsPerDay must be a number >= 0, got -1/],
      ['a count given as a string', { requestsPerDay: '100' }, /requestsPerDay must be a number >= 0, got "100"/],
      [
        'a share above 1',
        { levers: { cacheHitRate: 1.2 } },
        /levers\.cacheHitRate must be a share in 0\.\.1, got 1\.2/,
      ],
      ['an unknown lever', { levers: { magic: 1 } }, /levers\."magic" unknown/],
      [
        'model shares that do not sum to 1',
        { models: [{ modelId: 'a', share: 0.5, inputTokens: 1, outputTokens: 1 }] },
        /shares must sum to 1, got 0\.5/,
      ],
      [
        'a model without an id',
        { models: [{ share: 1, inputTokens: 1, outputTokens: 1 }] },
        /models\[0\]\.modelId must be a non-empty string/,
      ],
      [
        'routes taking more than all of a model’s calls',
        {
          levers: {
            routes: [
              { from: 'a', to: 'b', share: 0.7 },
              { from: 'a', to: 'c', share: 0.5 },
            ],
          },
        },
        /routes from a route more than all of its calls \(shares sum to 1\.2\)/,
      ],
    ])('refuses %s', (_, value, message) => {
      expect(() => parseTrafficProfile(value, 'traffic.json')).toThrow(NovaCostError);
      expect(() => parseTrafficProfile(value, 'traffic.json')).toThrow(message);
    });
  });
});

describe(trafficProfileFromContext, () => {
  it('is undefined when no key and no file is given, so the estimate stays a floor', () => {
    expect(trafficProfileFromContext(context({}))).toBeUndefined();
  });

  it('reads -c keys, which arrive as strings, into a profile', () => {
    const profile = trafficProfileFromContext(
      context({
        requestsPerDay: '20000',
        tokensPerRequest: 'amazon.nova-lite-v1:0=1200/300@0.7, amazon.nova-pro-v1:0=2000/500@0.3',
        cacheHitRate: '0.25',
        routes: 'amazon.nova-pro-v1:0>amazon.nova-lite-v1:0@0.4',
        eventsPerDay: '1e5',
        vectorQueriesPerDay: 300,
      }),
    );
    expect(profile).toEqual({
      requestsPerDay: 20000,
      eventsPerDay: 100000,
      vectorQueriesPerDay: 300,
      models: [
        { modelId: 'amazon.nova-lite-v1:0', share: 0.7, inputTokens: 1200, outputTokens: 300 },
        { modelId: 'amazon.nova-pro-v1:0', share: 0.3, inputTokens: 2000, outputTokens: 500 },
      ],
      levers: {
        cacheHitRate: 0.25,
        routes: [{ from: 'amazon.nova-pro-v1:0', to: 'amazon.nova-lite-v1:0', share: 0.4 }],
      },
    });
  });

  it('takes a single model without a share as all of the requests', () => {
    expect(trafficProfileFromContext(context({ tokensPerRequest: 'amazon.nova-micro-v1:0=800/100' }))?.models).toEqual([
      { modelId: 'amazon.nova-micro-v1:0', share: 1, inputTokens: 800, outputTokens: 100 },
    ]);
  });

  it('lays -c keys over the profile file, lever by lever', () => {
    const file = { requestsPerDay: 10, eventsPerDay: 5, levers: { cacheHitRate: 0.1, batchShare: 0.2 } };
    expect(
      trafficProfileFromContext(context({ requestsPerDay: '50', cacheHitRate: '0.3' }), file, 'traffic.json'),
    ).toEqual({
      requestsPerDay: 50,
      eventsPerDay: 5,
      levers: { cacheHitRate: 0.3, batchShare: 0.2 },
    });
  });

  describe('misuse', () => {
    it.each<[string, Record<string, unknown>, RegExp]>([
      [
        'a number key that is not a number',
        { requestsPerDay: 'lots' },
        /-c requestsPerDay: must be a number, got "lots"/,
      ],
      [
        'tokens without the in/out shape',
        { tokensPerRequest: 'amazon.nova-lite-v1:0=1200' },
        /-c tokensPerRequest: expected model=inputTokens\/outputTokens@share/,
      ],
      [
        'several models without shares',
        { tokensPerRequest: 'a=1/1,b=2/2' },
        /"a=1\/1" needs @share when several models are listed/,
      ],
      ['a route without a share', { routes: 'a>b' }, /-c routes: expected fromModel>toModel@share, got "a>b"/],
      [
        'a share out of range, naming where it came from',
        { cacheHitRate: '3' },
        /traffic profile \(-c keys\): levers\.cacheHitRate must be a share in 0\.\.1, got 3/,
      ],
    ])('refuses %s', (_, values, message) => {
      expect(() => trafficProfileFromContext(context(values))).toThrow(NovaCostError);
      expect(() => trafficProfileFromContext(context(values))).toThrow(message);
    });

    it('names the file when the file itself is wrong', () => {
      expect(() => trafficProfileFromContext(context({}), { eventsPerDay: -5 }, 'traffic.json')).toThrow(
        /traffic profile \(traffic\.json\): eventsPerDay/,
      );
    });
  });
});

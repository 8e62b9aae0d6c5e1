import { describe, expect, it } from 'vitest';
import { parsePolicy } from './parse-policy';

const problem = (path: string, expected: string) => new Error(`${path} ${expected}`);

describe(parsePolicy, () => {
  describe('having budgets', () => {
    it("reads onExceeded as an outcome, and the statuses it once named (429, 402) as 'retry-later' and 'stop'", () => {
      expect(
        parsePolicy(
          {
            budgets: {
              default: { dailyUsd: 5, onExceeded: 402 },
              byTenant: { acme: { monthlyUsd: 1, onExceeded: 429 }, beta: { dailyUsd: 1, onExceeded: 'stop' } },
            },
          },
          problem,
        ),
      ).toEqual({
        budgets: {
          default: { dailyUsd: 5, onExceeded: 'stop' },
          byTenant: { acme: { monthlyUsd: 1, onExceeded: 'retry-later' }, beta: { dailyUsd: 1, onExceeded: 'stop' } },
        },
      });
    });

    it.each<[string, unknown, string]>([
      [
        'another status',
        { default: { onExceeded: 403 } },
        "policy.budgets.default.onExceeded must be 'retry-later' or 'stop'",
      ],
      [
        'a limit as text, naming the tenant',
        { byTenant: { 'team.a': { dailyUsd: '5' } } },
        'policy.budgets.byTenant["team.a"].dailyUsd must be a number >= 0 (USD), got a string',
      ],
      [
        'a misspelt field, naming the fields it takes',
        { default: { daily: 5 } },
        'policy.budgets.default.daily is not a policy field; policy.budgets.default takes dailyUsd, monthlyUsd, softThreshold, onExceeded',
      ],
    ])('refuses %s', (_name, budgets, message) => {
      expect(() => parsePolicy({ budgets }, problem)).toThrow(message);
    });
  });

  it.each<[string, unknown, string]>([
    [
      'a negative TTL',
      { cache: { defaultTtlSeconds: -5 } },
      'policy.cache.defaultTtlSeconds must be a number of seconds >= 0',
    ],
    [
      'an unknown unpricedModels switch',
      { unpricedModels: 'ignore' },
      "policy.unpricedModels must be 'forward' or 'refuse'",
    ],
    [
      'a __proto__ field',
      JSON.parse('{"cache":{"__proto__":{"allowOptIn":true}}}'),
      'policy.cache.__proto__ is not a policy field',
    ],
    [
      'a field named like a built-in of Object',
      { budgets: { constructor: {} } },
      'policy.budgets.constructor is not a policy field',
    ],
  ])('refuses %s, naming where', (_name, policy, message) => {
    expect(() => parsePolicy(policy, problem)).toThrow(message);
  });

  describe('having speech session rules', () => {
    it('takes limits by default and by tenant', () => {
      const policy = {
        sessions: {
          default: { maxConcurrent: 5, maxSeconds: 300, idleSeconds: 30 },
          byTenant: { acme: { worstCaseTokensPerSecond: { speechInput: 40, speechOutput: 60 } } },
        },
      };
      expect(parsePolicy(policy, problem)).toEqual(policy);
    });

    it.each<[string, unknown, string]>([
      [
        'a cap as text',
        { default: { maxConcurrent: '5' } },
        'policy.sessions.default.maxConcurrent must be a positive integer (sessions), got a string',
      ],
      [
        'a cap of 0',
        { default: { maxConcurrent: 0 } },
        'policy.sessions.default.maxConcurrent must be a positive integer (sessions)',
      ],
      [
        'a session length of 0',
        { byTenant: { acme: { maxSeconds: 0 } } },
        'policy.sessions.byTenant["acme"].maxSeconds must be a number of seconds > 0',
      ],
      [
        'a negative rate',
        { default: { worstCaseTokensPerSecond: { speechOutput: -1 } } },
        'policy.sessions.default.worstCaseTokensPerSecond.speechOutput must be a number >= 0 (tokens per second)',
      ],
      [
        'a misspelt limit',
        { default: { maxSessions: 3 } },
        'policy.sessions.default.maxSessions is not a policy field',
      ],
    ])('refuses %s, naming where', (_name, sessions, message) => {
      expect(() => parsePolicy({ sessions }, problem)).toThrow(message);
    });
  });

  describe('having inference profiles, fallbacks and circuit breakers', () => {
    it('takes data residency per tenant, fallback chains and the breaker settings', () => {
      const policy = {
        inferenceProfiles: [
          { match: { tenants: ['eu-bank'] }, dataResidency: 'geo' },
          { match: { models: ['anthropic.claude-sonnet-4-5-20250929-v1:0'] }, dataResidency: 'global' },
        ],
        fallbacks: [
          {
            match: { models: ['anthropic.claude-sonnet-4-5-20250929-v1:0'] },
            to: ['us.anthropic.claude-haiku-4-5-20251001-v1:0'],
            otherProfiles: true,
          },
        ],
        circuitBreaker: { failureThreshold: 3, openMs: 10_000, windowMs: 30_000 },
      };
      expect(parsePolicy(policy, problem)).toEqual(policy);
    });

    it.each<[string, unknown, string]>([
      [
        'a residency Bedrock has no profile for',
        { inferenceProfiles: [{ dataResidency: 'continent' }] },
        'policy.inferenceProfiles[0].dataResidency must be one of global, geo, region',
      ],
      [
        'a rule without a residency',
        { inferenceProfiles: [{}] },
        'policy.inferenceProfiles[0].dataResidency is required',
      ],
      [
        'an unknown fallback model',
        { fallbacks: [{ to: ['acme.model-v1'] }] },
        'policy.fallbacks[0].to[0] must be a model id the gateway knows',
      ],
      [
        'a global profile the model does not have',
        { fallbacks: [{ to: ['global.amazon.nova-lite-v1:0'] }] },
        'policy.fallbacks[0].to[0] names a global inference profile Bedrock does not offer for that model',
      ],
      [
        'a threshold of 0',
        { circuitBreaker: { failureThreshold: 0 } },
        'policy.circuitBreaker.failureThreshold must be a positive integer',
      ],
    ])('refuses %s, naming where', (_name, policy, message) => {
      expect(() => parsePolicy(policy, problem)).toThrow(message);
    });
  });

  describe('having output caps', () => {
    it('takes rules matching tenants, models and operations, with a default, a ceiling and what to do above it', () => {
      const policy = {
        outputCaps: [
          {
            match: { tenants: ['acme'], models: ['amazon.nova-pro-v1:0'], operations: ['converse', 'converse-stream'] },
            defaultMaxTokens: 512,
            maxTokens: 2048,
            onExceeded: 'refuse',
          },
          { maxTokens: 4096 },
        ],
      };
      expect(parsePolicy(policy, problem)).toEqual(policy);
    });

    it.each<[string, unknown, string]>([
      ['a ceiling of 0', [{ maxTokens: 0 }], 'policy.outputCaps[0].maxTokens must be a positive integer (tokens)'],
      [
        'an unknown action',
        [{ maxTokens: 10, onExceeded: 'truncate' }],
        "policy.outputCaps[0].onExceeded must be 'clamp' or 'refuse'",
      ],
      [
        'an operation without an output cap',
        [{ match: { operations: ['count-tokens'] } }],
        'policy.outputCaps[0].match.operations[0] must be one of converse, converse-stream, invoke',
      ],
      ['an empty tenant list', [{ match: { tenants: [] } }], 'policy.outputCaps[0].match.tenants must be a non-empty'],
      [
        'an empty tenant id',
        [{ match: { tenants: [''] } }],
        'policy.outputCaps[0].match.tenants[0] must be a tenant id',
      ],
      [
        'a tenant id as a number',
        [{ match: { tenants: [7] } }],
        'policy.outputCaps[0].match.tenants[0] must be a tenant id, got a number',
      ],
      ['a misspelt field', [{ maxToken: 10 }], 'policy.outputCaps[0].maxToken is not a policy field'],
    ])('refuses %s, naming where', (_name, outputCaps, message) => {
      expect(() => parsePolicy({ outputCaps }, problem)).toThrow(message);
    });
  });

  describe('having service tiers', () => {
    it('takes rules matching lanes and tenants to flex, priority or default', () => {
      const policy = {
        serviceTiers: [
          { match: { lanes: ['deferrable'] }, tier: 'flex' },
          { match: { tenants: ['vip'] }, tier: 'priority' },
          { tier: 'default' },
        ],
      };
      expect(parsePolicy(policy, problem)).toEqual(policy);
    });

    it.each<[string, unknown, string]>([
      ['a rule without a tier', [{ match: { tenants: ['a'] } }], 'policy.serviceTiers[0].tier is required'],
      ['reserved', [{ tier: 'reserved' }], 'policy.serviceTiers[0].tier must be one of flex, priority, default'],
      ['an unknown lane', [{ tier: 'flex', match: { lanes: ['batch'] } }], 'match.lanes[0] must be one of interactive'],
    ])('refuses %s, naming where', (_name, serviceTiers, message) => {
      expect(() => parsePolicy({ serviceTiers }, problem)).toThrow(message);
    });
  });

  describe('having cache point rules', () => {
    it('takes rules to insert guarded points or never', () => {
      const policy = { cachePoints: [{ match: { tenants: ['batch'] }, insert: 'never' }, { insert: 'guarded' }] };
      expect(parsePolicy(policy, problem)).toEqual(policy);
    });

    it('refuses a rule that says neither', () => {
      expect(() => parsePolicy({ cachePoints: [{ insert: 'always' }] }, problem)).toThrow(
        'policy.cachePoints[0].insert must be one of guarded, never',
      );
    });
  });
});

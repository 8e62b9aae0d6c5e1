import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config';

function configFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'gw-config-')), 'nova-cost.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('loadConfig', () => {
  describe('having no variables at all', () => {
    it('gives the embedded demo default on 127.0.0.1:8080', () => {
      const config = loadConfig({});
      expect(config).toMatchObject({
        port: 8080,
        host: '127.0.0.1',
        bedrock: { mode: 'embedded' },
        demo: true,
        drainDeadlineMs: 110_000,
        logLevel: 'info',
      });
      expect(config.redis).toBeUndefined();
      expect(config.tenants).toEqual([
        { id: 'demo', apiKeys: ['demo-key'], sigv4: [{ accessKeyId: 'demo', secret: 'demo-secret' }] },
      ]);
    });
  });

  describe('having production variables', () => {
    it('reads Redis, region, endpoint, limits and the tenants file', () => {
      const path = configFile({
        tenants: [{ id: 'acme', apiKeys: ['acme-key-123'], sigv4: { accessKeyId: 'AKIDACME', secret: 's3cret' } }],
        policy: { budgets: { default: { dailyUsd: 5 } } },
      });
      const config = loadConfig({
        PORT: '9000',
        HOST: '0.0.0.0',
        REDIS_URL: 'rediss://cache:6379',
        AWS_REGION: 'eu-west-1',
        NOVA_COST_CONFIG: path,
        BODY_LIMIT_BYTES: '2048',
        DRAIN_DEADLINE_MS: '5000',
        LOG_LEVEL: 'warn',
      });
      expect(config).toMatchObject({
        port: 9000,
        host: '0.0.0.0',
        redis: { kind: 'single', url: 'rediss://cache:6379' },
        bedrock: { mode: 'aws', region: 'eu-west-1' },
        demo: false,
        bodyLimitBytes: 2048,
        drainDeadlineMs: 5000,
        logLevel: 'warn',
      });
      expect(config.tenants).toEqual([
        { id: 'acme', apiKeys: ['acme-key-123'], sigv4: [{ accessKeyId: 'AKIDACME', secret: 's3cret' }] },
      ]);
      expect(config.policy).toEqual({ budgets: { default: { dailyUsd: 5 } }, region: 'eu-west-1' });
    });

    it("reads a tenant's weight in the batching queue", () => {
      const path = configFile({ tenants: [{ id: 'gold', apiKeys: ['gold-key-123'], weight: 3 }] });
      expect(loadConfig({ NOVA_COST_CONFIG: path }).tenants[0]).toMatchObject({ id: 'gold', weight: 3 });
    });

    it('reads the tenants document from NOVA_COST_CONFIG_JSON, as an ECS secret injects it', () => {
      const document = {
        tenants: [{ id: 'acme', apiKeys: ['acme-key-123'] }],
        policy: { budgets: { default: { monthlyUsd: 100 } } },
      };
      const config = loadConfig({
        HOST: '0.0.0.0',
        AWS_REGION: 'ap-northeast-1',
        NOVA_COST_CONFIG_JSON: JSON.stringify(document),
      });
      expect(config).toMatchObject({
        host: '0.0.0.0',
        bedrock: { mode: 'aws', region: 'ap-northeast-1' },
        demo: false,
      });
      expect(config.tenants).toEqual([{ id: 'acme', apiKeys: ['acme-key-123'], sigv4: [] }]);
      expect(config.policy).toEqual({ ...document.policy, region: 'ap-northeast-1' });
    });

    it('accepts an explicit empty tenant list (the placeholder of a fresh deployment), serving nobody, and warns', () => {
      const warnings: string[] = [];
      const config = loadConfig(
        { AWS_REGION: 'ap-northeast-1', NOVA_COST_CONFIG_JSON: '{"tenants":[]}' },
        { warn: (m) => warnings.push(m) },
      );
      expect(config).toMatchObject({
        tenants: [],
        policy: {},
        demo: false,
        bedrock: { mode: 'aws', region: 'ap-northeast-1' },
      });
      expect(warnings).toEqual([
        expect.stringMatching(
          /^the tenants document \(NOVA_COST_CONFIG or NOVA_COST_CONFIG_JSON\) lists no tenants: every request is refused/,
        ),
      ]);
    });

    it('does not warn about a document with tenants', () => {
      const warnings: string[] = [];
      loadConfig(
        { NOVA_COST_CONFIG_JSON: JSON.stringify({ tenants: [{ id: 'a', apiKeys: ['k-12345678'] }] }) },
        { warn: (m) => warnings.push(m) },
      );
      expect(warnings).toEqual([]);
    });

    it('reads a Redis Cluster from redis+cluster://host:port,host:port', () => {
      expect(loadConfig({ REDIS_URL: 'redis+cluster://10.0.0.1:7000,10.0.0.2:7001' }).redis).toEqual({
        kind: 'cluster',
        nodes: [
          { host: '10.0.0.1', port: 7000 },
          { host: '10.0.0.2', port: 7001 },
        ],
      });
    });

    it('adds REDIS_PASSWORD to the Redis it authenticates to', () => {
      expect(loadConfig({ REDIS_URL: 'rediss://cache:6379', REDIS_PASSWORD: 'token-0123456789abcdef' }).redis).toEqual({
        kind: 'single',
        url: 'rediss://cache:6379',
        password: 'token-0123456789abcdef',
      });
    });

    it('calls a BEDROCK_ENDPOINT in us-east-1 when no region is set', () => {
      expect(loadConfig({ BEDROCK_ENDPOINT: 'http://127.0.0.1:4000' }).bedrock).toEqual({
        mode: 'aws',
        region: 'us-east-1',
        endpoint: 'http://127.0.0.1:4000',
      });
    });

    it("prices calls in AWS_REGION, where they are made: the policy's region is set to it", () => {
      const env = { NOVA_COST_CONFIG_JSON: JSON.stringify({ tenants: [], policy: {} }) };
      expect(loadConfig({ ...env, AWS_REGION: 'ap-northeast-1' }).policy.region).toBe('ap-northeast-1');
      const endpoint = { ...env, BEDROCK_ENDPOINT: 'http://127.0.0.1:4000' };
      const tokyo = JSON.stringify({ tenants: [], policy: { region: 'ap-northeast-1' } });
      expect(loadConfig({ ...endpoint, NOVA_COST_CONFIG_JSON: tokyo }).bedrock).toMatchObject({
        region: 'ap-northeast-1',
      });
    });

    it('refuses a policy region other than AWS_REGION, naming both', () => {
      const env = { NOVA_COST_CONFIG_JSON: JSON.stringify({ tenants: [], policy: { region: 'eu-west-1' } }) };
      expect(() => loadConfig({ ...env, AWS_REGION: 'ap-northeast-1' })).toThrow(
        /^AWS_REGION is ap-northeast-1 but the policy's region is eu-west-1/,
      );
      expect(loadConfig({ ...env, AWS_REGION: 'eu-west-1' }).policy.region).toBe('eu-west-1');
    });
  });

  describe('having a price file (NOVA_COST_PRICES)', () => {
    const write = (doc: unknown) => {
      const path = join(mkdtempSync(join(tmpdir(), 'nova-cost-prices-')), 'prices.json');
      writeFileSync(path, JSON.stringify(doc));
      return path;
    };
    const row = {
      modelId: 'writer.palmyra-x5-v1:0',
      region: 'us-east-1',
      inputPer1M: 0.6,
      outputPer1M: 6,
      source: 'contract',
      asOf: '2026-11-01',
    };

    it('reads its rows, cache rates defaulting to 0', () => {
      expect(
        loadConfig({ NOVA_COST_PRICES: write({ version: 1, generatedAt: '2026-11-29T00:00:00Z', prices: [row] }) })
          .prices,
      ).toEqual([{ ...row, cacheReadPer1M: 0, cacheWritePer1M: 0 }]);
    });

    it('refuses a row that would misprice, naming the variable and the row', () => {
      expect(() => loadConfig({ NOVA_COST_PRICES: write({ prices: [{ ...row, outputPer1M: -6 }] }) })).toThrow(
        /NOVA_COST_PRICES .*prices\[0\]\.outputPer1M must be a number >= 0/,
      );
    });

    it('refuses a file it cannot read', () => {
      expect(() => loadConfig({ NOVA_COST_PRICES: '/nonexistent/prices.json' })).toThrow(
        /NOVA_COST_PRICES must name a readable JSON price file/,
      );
    });
  });

  describe('having a wrong value', () => {
    it.each([
      [{ REDIS_URL: 'http://cache:6379' }, /^REDIS_URL must be redis:\/\/ or rediss:\/\/.*got "http:\/\/cache:6379"/],
      [{ REDIS_URL: 'redis://' }, /^REDIS_URL must be redis:\/\/ or rediss:\/\//],
      [{ REDIS_URL: 'redis+cluster://a:1,b' }, /^REDIS_URL cluster nodes must be host:port, got "b"/],
      [{ REDIS_PASSWORD: 'token-0123456789abcdef' }, /^REDIS_PASSWORD is set but REDIS_URL is not/],
      [
        { REDIS_URL: 'http://:hunter2@cache:6379' },
        /^REDIS_URL must be redis:\/\/ or rediss:\/\/.*got "http:\/\/…@cache:6379"/,
      ],
      [{ PORT: 'eighty' }, /^PORT must be an integer from 0 to 65535, got "eighty"/],
      [{ PORT: '70000' }, /^PORT must be an integer/],
      [{ AWS_REGION: 'Frankfurt' }, /^AWS_REGION must look like us-east-1, got "Frankfurt"/],
      [{ BEDROCK_ENDPOINT: 'bedrock.local' }, /^BEDROCK_ENDPOINT must be an http:\/\/ or https:\/\/ URL/],
      [{ BODY_LIMIT_BYTES: '-1' }, /^BODY_LIMIT_BYTES must be an integer from 1024/],
      [{ DRAIN_DEADLINE_MS: '1.5' }, /^DRAIN_DEADLINE_MS must be an integer/],
      [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"/],
      [{ NOVA_COST_CONFIG: '/nonexistent/nova.json' }, /^NOVA_COST_CONFIG must name a readable JSON file/],
    ])('%j stops start-up naming the variable', (env, message) => {
      expect(() => loadConfig(env)).toThrow(message);
      try {
        loadConfig(env);
      } catch (err) {
        expect(err).toMatchObject({ name: 'NovaCostError', kind: 'configuration' });
      }
    });

    it('refuses the public demo tenant in front of real Bedrock', () => {
      expect(() => loadConfig({ AWS_REGION: 'us-east-1' })).toThrow(
        /^NOVA_COST_CONFIG must name a tenants file when the gateway calls real Bedrock/,
      );
    });

    it('refuses NOVA_COST_CONFIG and NOVA_COST_CONFIG_JSON together', () => {
      const path = configFile({ tenants: [{ id: 'a', apiKeys: ['k-12345678'] }] });
      expect(() => loadConfig({ NOVA_COST_CONFIG: path, NOVA_COST_CONFIG_JSON: '{"tenants":[]}' })).toThrow(
        /^NOVA_COST_CONFIG_JSON and NOVA_COST_CONFIG are both set/,
      );
    });

    it.each([
      ['{"tenants": [{"id": "a", "apiKeys": ["hunter2-key"]', /^NOVA_COST_CONFIG_JSON value is not valid JSON/],
      ['{"tenant": []}', /^NOVA_COST_CONFIG_JSON value must hold \{"tenants"/],
      ['{"tenants": [{"id": "a", "apiKeys": ["short"]}]}', /^NOVA_COST_CONFIG_JSON tenants\[0\]\.apiKeys must be/],
    ])('a NOVA_COST_CONFIG_JSON value %s is refused, naming that variable: %s', (value, message) => {
      expect(() => loadConfig({ NOVA_COST_CONFIG_JSON: value })).toThrow(message);
    });

    it('never repeats the secret document in a JSON error', () => {
      expect(() =>
        loadConfig({ NOVA_COST_CONFIG_JSON: '{"tenants": [{"id": "a", "apiKeys": ["hunter2-key"]' }),
      ).not.toThrow(/hunter2/);
      expect(() => loadConfig({ NOVA_COST_CONFIG_JSON: '{"tenants": hunter2}' })).not.toThrow(/hunter2/);
    });

    it('never repeats a Redis password in the message', () => {
      expect(() => loadConfig({ REDIS_URL: 'http://user:hunter2@cache:6379' })).toThrow(/http:\/\/…@cache/);
      expect(() => loadConfig({ REDIS_URL: 'http://user:hunter2@cache:6379' })).not.toThrow(/hunter2/);
    });

    it.each([
      ['a password holding / and @', 'redis://user:hun/ter@2@cache:6379/x y'],
      ['a password holding //', 'rediss://:hun//ter2@cache:6379:bad'],
      ['cluster nodes with user-info', 'redis+cluster://user:hunter2@a:1,user:hunter2@b'],
      ['user-info without a scheme', 'user:hunter2@cache:6379'],
    ])('never repeats a Redis password in the message, with %s', (_name, url) => {
      let message = '';
      try {
        loadConfig({ REDIS_URL: url });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/^REDIS_URL /);
      expect(message).not.toMatch(/hun|ter2/);
    });

    it.each([
      ['{not json', /is not valid JSON/],
      [{ policy: {} }, /file must hold \{"tenants"/],
      [{ tenants: {} }, /file must hold \{"tenants"/],
      [{ tenants: [{ id: 'a b', apiKeys: ['k-12345678'] }] }, /tenants\[0\]\.id must be/],
      [{ tenants: [{ id: 'a' }] }, /tenants\[0\] \(a\) needs at least one of apiKeys or sigv4/],
      [
        { tenants: [{ id: 'a', apiKeys: ['short'] }] },
        /tenants\[0\]\.apiKeys must be an array of strings of 8 characters or more/,
      ],
      [{ tenants: [{ id: 'a', sigv4: { accessKeyId: 'X' } }] }, /tenants\[0\]\.sigv4\[0\] must be/],
      [{ tenants: [{ id: 'a', apiKeys: [12345678] }] }, /tenants\[0\]\.apiKeys\[0\] must be a string of 8 characters/],
      [{ tenants: ['a'] }, /tenants\[0\] must be \{"id", "apiKeys", "sigv4"\}/],
      [{ tenants: [{ id: 'a', apiKeys: ['k-12345678'], weight: 0 }] }, /tenants\[0\]\.weight must be a number above 0/],
      [
        {
          tenants: [
            { id: 'a', apiKeys: ['same-key-1'] },
            { id: 'b', apiKeys: ['same-key-1'] },
          ],
        },
        /each API key and access key id must name one tenant/,
      ],
      [{ tenants: [{ id: 'a', apiKeys: ['k-12345678'] }], policy: [] }, /^NOVA_COST_CONFIG policy must be an object/],
    ])('a config file %j is refused: %s', (content, message) => {
      expect(() => loadConfig({ NOVA_COST_CONFIG: configFile(content) })).toThrow(message);
    });

    describe('having a policy of the wrong shape', () => {
      const TENANTS = [
        { id: 'acme', apiKeys: ['hunter2-secret-key'], sigv4: { accessKeyId: 'AKIDACME', secret: 'hunter2-sigv4' } },
      ];
      const BAD_POLICIES: [string, unknown, string][] = [
        ['routes not an array', { routes: 'x' }, 'policy.routes must be an array, got a string'],
        [
          'a budget limit as a string',
          { budgets: { default: { dailyUsd: '5' } } },
          'policy.budgets.default.dailyUsd must be a number >= 0 (USD), got a string',
        ],
        [
          'a negative monthly limit',
          { budgets: { byTenant: { acme: { monthlyUsd: -1 } } } },
          'policy.budgets.byTenant["acme"].monthlyUsd must be a number >= 0 (USD)',
        ],
        [
          'a soft threshold above 1',
          { budgets: { default: { dailyUsd: 1, softThreshold: 80 } } },
          'policy.budgets.default.softThreshold must be a number above 0 and at most 1',
        ],
        [
          "an onExceeded other than 'retry-later' or 'stop' (or 429, 402)",
          { budgets: { default: { dailyUsd: 1, onExceeded: 403 } } },
          "policy.budgets.default.onExceeded must be 'retry-later' or 'stop'",
        ],
        [
          'a misspelt field',
          { budget: { default: { dailyUsd: 1 } } },
          'policy.budget is not a policy field; policy takes region, cache, routes, budgets',
        ],
        [
          'a misspelt budget field',
          { budgets: { default: { daily: 1 } } },
          'policy.budgets.default.daily is not a policy field',
        ],
        [
          'a route to a model that costs more per token',
          { routes: [{ name: 'up', from: ['amazon.nova-micro-v1:0'], to: 'amazon.nova-pro-v1:0' }] },
          'policy: route "up" sends amazon.nova-micro-v1:0 to amazon.nova-pro-v1:0, which costs more per token',
        ],
        [
          'a field named like a built-in of Object',
          { budgets: { default: { constructor: 1 } } },
          'policy.budgets.default.constructor is not a policy field',
        ],
        [
          'a __proto__ field',
          JSON.parse('{"budgets":{"default":{"__proto__":{"dailyUsd":1}}}}'),
          'policy.budgets.default.__proto__ is not a policy field',
        ],
        [
          'a route without a target',
          { routes: [{ name: 'r', from: ['amazon.nova-pro-v1:0'] }] },
          'policy.routes[0].to is required',
        ],
        [
          'a route from a string',
          { routes: [{ name: 'r', from: 'amazon.nova-pro-v1:0', to: 'amazon.nova-micro-v1:0' }] },
          'policy.routes[0].from must be an array, got a string',
        ],
        [
          'a route from no model',
          { routes: [{ name: 'r', from: [], to: 'amazon.nova-micro-v1:0' }] },
          'policy.routes[0].from must name at least one model',
        ],
        [
          'a route to an unknown model',
          { routes: [{ name: 'r', from: ['amazon.nova-pro-v1:0'], to: 'nope.model-v1:0' }] },
          'policy.routes[0].to must be a model id the gateway knows',
        ],
        [
          'a fractional token condition',
          {
            routes: [
              {
                name: 'r',
                from: ['amazon.nova-pro-v1:0'],
                to: 'amazon.nova-micro-v1:0',
                when: { maxInputTokens: 1.5 },
              },
            ],
          },
          'policy.routes[0].when.maxInputTokens must be an integer >= 0 (tokens)',
        ],
        [
          'a TTL as a string',
          { cache: { defaultTtlSeconds: '3600' } },
          'policy.cache.defaultTtlSeconds must be a number of seconds >= 0, got a string',
        ],
        [
          'a TTL for an unknown model',
          { cache: { ttlSecondsByModel: { 'nope.model-v1:0': 0 } } },
          'policy.cache.ttlSecondsByModel["nope.model-v1:0"] must be keyed by model ids',
        ],
        [
          'a TTL for an unknown operation',
          { cache: { ttlSecondsByOperation: { embed: 10 } } },
          'policy.cache.ttlSecondsByOperation.embed is not a policy field',
        ],
        [
          'a flag as a string',
          { deferOverSoftLimit: 'yes' },
          'policy.deferOverSoftLimit must be true or false, got a string',
        ],
        ['a region of the wrong shape', { region: 'Tokyo' }, 'policy.region must be a region like us-east-1'],
        [
          'a zero output cap',
          { defaultMaxOutputTokens: 0 },
          'policy.defaultMaxOutputTokens must be a positive integer (tokens)',
        ],
        ['an array', [], 'policy must be an object with region'],
      ];

      it.each(BAD_POLICIES)(
        'refuses %s in NOVA_COST_CONFIG, naming the variable and the JSON path',
        (_name, policy, message) => {
          expect(() => loadConfig({ NOVA_COST_CONFIG: configFile({ tenants: TENANTS, policy }) })).toThrow(
            `NOVA_COST_CONFIG ${message}`,
          );
        },
      );

      it.each(BAD_POLICIES)(
        'refuses %s in NOVA_COST_CONFIG_JSON as a configuration error, never quoting the document',
        (_name, policy, message) => {
          let thrown: unknown;
          try {
            loadConfig({ NOVA_COST_CONFIG_JSON: JSON.stringify({ tenants: TENANTS, policy }) });
          } catch (err) {
            thrown = err;
          }
          expect(thrown).toMatchObject({
            name: 'NovaCostError',
            kind: 'configuration',
            details: { variable: 'NOVA_COST_CONFIG_JSON' },
          });
          expect((thrown as Error).message).toContain(`NOVA_COST_CONFIG_JSON ${message}`);
          expect((thrown as Error).message).not.toMatch(/hunter2|AKIDACME/);
        },
      );

      it("reads a budget's onExceeded given as the status it answers (429, 402) as its outcome", () => {
        const policy = {
          budgets: { default: { dailyUsd: 5, onExceeded: 402 }, byTenant: { acme: { onExceeded: 429 } } },
        };
        expect(loadConfig({ NOVA_COST_CONFIG_JSON: JSON.stringify({ tenants: TENANTS, policy }) }).policy).toEqual({
          budgets: { default: { dailyUsd: 5, onExceeded: 'stop' }, byTenant: { acme: { onExceeded: 'retry-later' } } },
        });
      });

      it('accepts every field of CostPolicyRules', () => {
        const policy = {
          region: 'ap-northeast-1',
          cache: {
            defaultTtlSeconds: 600,
            ttlSecondsByModel: { 'amazon.nova-pro-v1:0': 0 },
            ttlSecondsByOperation: { invoke: 60 },
            allowOptIn: false,
          },
          routes: [
            {
              name: 'short',
              from: ['amazon.nova-pro-v1:0', 'apac.amazon.nova-lite-v1:0'],
              to: 'amazon.nova-micro-v1:0',
              when: { maxInputTokens: 500, maxOutputTokens: 200, onlyOverSoftLimit: true },
            },
          ],
          budgets: {
            default: { dailyUsd: 5, monthlyUsd: 100, softThreshold: 0.9, onExceeded: 'stop' },
            byTenant: { acme: { dailyUsd: 1, onExceeded: 'retry-later' } },
          },
          defaultMaxOutputTokens: 2048,
          deferOverSoftLimit: false,
        };
        expect(loadConfig({ NOVA_COST_CONFIG_JSON: JSON.stringify({ tenants: TENANTS, policy }) }).policy).toEqual(
          policy,
        );
      });
    });
  });
});

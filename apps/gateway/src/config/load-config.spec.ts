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
      expect(config).toMatchObject({ port: 8080, host: '127.0.0.1', bedrock: { mode: 'embedded' }, demo: true, drainDeadlineMs: 110_000, logLevel: 'info' });
      expect(config.redis).toBeUndefined();
      expect(config.tenants).toEqual([{ id: 'demo', apiKeys: ['demo-key'], sigv4: [{ accessKeyId: 'demo', secret: 'demo-secret' }] }]);
    });
  });

  describe('having production variables', () => {
    it('reads Redis, region, endpoint, limits and the tenants file', () => {
      const path = configFile({ tenants: [{ id: 'acme', apiKeys: ['acme-key-123'], sigv4: { accessKeyId: 'AKIDACME', secret: 's3cret' } }], policy: { budgets: { default: { dailyUsd: 5 } } } });
      const config = loadConfig({ PORT: '9000', HOST: '0.0.0.0', REDIS_URL: 'rediss://cache:6379', AWS_REGION: 'eu-west-1', NOVA_COST_CONFIG: path, BODY_LIMIT_BYTES: '2048', DRAIN_DEADLINE_MS: '5000', LOG_LEVEL: 'warn' });
      expect(config).toMatchObject({ port: 9000, host: '0.0.0.0', redis: { kind: 'single', url: 'rediss://cache:6379' }, bedrock: { mode: 'aws', region: 'eu-west-1' }, demo: false, bodyLimitBytes: 2048, drainDeadlineMs: 5000, logLevel: 'warn' });
      expect(config.tenants).toEqual([{ id: 'acme', apiKeys: ['acme-key-123'], sigv4: [{ accessKeyId: 'AKIDACME', secret: 's3cret' }] }]);
      expect(config.policy).toEqual({ budgets: { default: { dailyUsd: 5 } } });
    });

    it('reads the tenants document from NOVA_COST_CONFIG_JSON, as an ECS secret injects it', () => {
      const document = { tenants: [{ id: 'acme', apiKeys: ['acme-key-123'] }], policy: { budgets: { default: { monthlyUsd: 100 } } } };
      const config = loadConfig({ HOST: '0.0.0.0', AWS_REGION: 'ap-northeast-1', NOVA_COST_CONFIG_JSON: JSON.stringify(document) });
      expect(config).toMatchObject({ host: '0.0.0.0', bedrock: { mode: 'aws', region: 'ap-northeast-1' }, demo: false });
      expect(config.tenants).toEqual([{ id: 'acme', apiKeys: ['acme-key-123'], sigv4: [] }]);
      expect(config.policy).toEqual(document.policy);
    });

    it('reads a Redis Cluster from redis+cluster://host:port,host:port', () => {
      expect(loadConfig({ REDIS_URL: 'redis+cluster://10.0.0.1:7000,10.0.0.2:7001' }).redis).toEqual({
        kind: 'cluster',
        nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7001 }],
      });
    });

    it('calls a BEDROCK_ENDPOINT in us-east-1 when no region is set', () => {
      expect(loadConfig({ BEDROCK_ENDPOINT: 'http://127.0.0.1:4000' }).bedrock).toEqual({ mode: 'aws', region: 'us-east-1', endpoint: 'http://127.0.0.1:4000' });
    });
  });

  describe('having a wrong value', () => {
    it.each([
      [{ REDIS_URL: 'http://cache:6379' }, /^REDIS_URL must be redis:\/\/ or rediss:\/\/.*got "http:\/\/cache:6379"/],
      [{ REDIS_URL: 'redis://' }, /^REDIS_URL must be redis:\/\/ or rediss:\/\//],
      [{ REDIS_URL: 'redis+cluster://a:1,b' }, /^REDIS_URL cluster nodes must be host:port, got "b"/],
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
      expect(() => loadConfig({ AWS_REGION: 'us-east-1' })).toThrow(/^NOVA_COST_CONFIG must name a tenants file when the gateway calls real Bedrock/);
    });

    it('refuses NOVA_COST_CONFIG and NOVA_COST_CONFIG_JSON together', () => {
      const path = configFile({ tenants: [{ id: 'a', apiKeys: ['k-12345678'] }] });
      expect(() => loadConfig({ NOVA_COST_CONFIG: path, NOVA_COST_CONFIG_JSON: '{"tenants":[]}' })).toThrow(
        /^NOVA_COST_CONFIG_JSON and NOVA_COST_CONFIG are both set/,
      );
    });

    it.each([
      ['{"tenants": [{"id": "a", "apiKeys": ["hunter2-key"]', /^NOVA_COST_CONFIG_JSON value is not valid JSON/],
      ['{"tenants": []}', /^NOVA_COST_CONFIG_JSON value must hold \{"tenants"/],
      ['{"tenants": [{"id": "a", "apiKeys": ["short"]}]}', /^NOVA_COST_CONFIG_JSON tenants\[0\]\.apiKeys must be/],
    ])('a NOVA_COST_CONFIG_JSON value %s is refused, naming that variable: %s', (value, message) => {
      expect(() => loadConfig({ NOVA_COST_CONFIG_JSON: value })).toThrow(message);
    });

    it('never repeats the secret document in a JSON error', () => {
      expect(() => loadConfig({ NOVA_COST_CONFIG_JSON: '{"tenants": [{"id": "a", "apiKeys": ["hunter2-key"]' })).not.toThrow(/hunter2/);
      expect(() => loadConfig({ NOVA_COST_CONFIG_JSON: '{"tenants": hunter2}' })).not.toThrow(/hunter2/);
    });

    it('never repeats a Redis password in the message', () => {
      expect(() => loadConfig({ REDIS_URL: 'http://user:hunter2@cache:6379' })).toThrow(/http:\/\/…@cache/);
      expect(() => loadConfig({ REDIS_URL: 'http://user:hunter2@cache:6379' })).not.toThrow(/hunter2/);
    });

    it.each([
      ['{not json', /is not valid JSON/],
      [{ tenants: [] }, /at least one tenant/],
      [{ tenants: [{ id: 'a b', apiKeys: ['k-12345678'] }] }, /tenants\[0\]\.id must be/],
      [{ tenants: [{ id: 'a' }] }, /tenants\[0\] \(a\) needs at least one of apiKeys or sigv4/],
      [{ tenants: [{ id: 'a', apiKeys: ['short'] }] }, /tenants\[0\]\.apiKeys must be an array of strings of 8 characters or more/],
      [{ tenants: [{ id: 'a', sigv4: { accessKeyId: 'X' } }] }, /tenants\[0\]\.sigv4\[0\] must be/],
      [{ tenants: [{ id: 'a', apiKeys: ['same-key-1'] }, { id: 'b', apiKeys: ['same-key-1'] }] }, /each API key and access key id must name one tenant/],
      [{ tenants: [{ id: 'a', apiKeys: ['k-12345678'] }], policy: [] }, /policy must be an object/],
    ])('a config file %j is refused: %s', (content, message) => {
      expect(() => loadConfig({ NOVA_COST_CONFIG: configFile(content) })).toThrow(message);
    });
  });
});

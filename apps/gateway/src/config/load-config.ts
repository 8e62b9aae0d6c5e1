import { readFileSync } from 'node:fs';
import type { CostPolicyRules, GuardrailPrice, ModelPrice } from '@nova-cost/domain';
import {
  DEFAULT_GUARDRAIL_PRICES,
  InMemorySpendLedger,
  NovaCostError,
  RuleBasedCostPolicy,
  StaticPricingCatalog,
  parseGuardrailPrices,
  parsePriceFile,
  policyRegion,
} from '@nova-cost/domain';
import { problemOf } from '@nova-cost/policy-schema';
import { asyncInvokeConfig } from './async-config';
import type { BedrockConfig, GatewayConfig, LogLevel, RedisConfig, TenantConfig } from './gateway-config';
import { DEMO_TENANT } from './gateway-config';
import { tenantsDocumentSchema } from './tenants-document.schema';

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function bad(variable: string, message: string): NovaCostError {
  return new NovaCostError('configuration', `${variable} ${message}`, { details: { variable } });
}

/** One URL or host:port with its user-info (`user:secret@`, up to the last `@`) cut, however odd the secret. */
function withoutUserInfo(part: string): string {
  const at = part.lastIndexOf('@');
  if (at < 0) return part;
  const scheme = part.indexOf('//');
  return `${scheme >= 0 && scheme < at ? part.slice(0, scheme + 2) : ''}…${part.slice(at)}`;
}

/** Shows enough of a value to recognise it, never a password (each comma-separated part, as cluster nodes are). */
function shown(value: string): string {
  const safe = value.split(',').map(withoutUserInfo).join(',');
  return JSON.stringify(safe.length > 60 ? `${safe.slice(0, 60)}…` : safe);
}

function integer(env: Env, variable: string, fallback: number, min: number, max: number): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) {
    throw bad(variable, `must be an integer from ${min} to ${max}, got ${shown(raw)}`);
  }
  return Number(raw);
}

function hostPort(variable: string, text: string): { host: string; port: number } {
  const m = /^([^:/,\s]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(text);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535)
    throw bad(variable, `cluster nodes must be host:port, got ${shown(text)}`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** REDIS_URL: redis://… or rediss://… for one node; redis+cluster://host:port,host:port for a Cluster. */
function redisConfig(raw: string | undefined): RedisConfig | undefined {
  if (raw === undefined || raw === '') return undefined;
  const cluster = /^redis\+cluster:\/\/(.+)$/.exec(raw);
  if (cluster)
    return {
      kind: 'cluster',
      nodes: cluster[1]!
        .replace(/\/$/, '')
        .split(',')
        .map((n) => hostPort('REDIS_URL', n.trim())),
    };
  if (!/^rediss?:\/\/[^/\s]+/.test(raw)) {
    throw bad('REDIS_URL', `must be redis:// or rediss:// (or redis+cluster://host:port,host:port), got ${shown(raw)}`);
  }
  try {
    new URL(raw);
  } catch {
    throw bad('REDIS_URL', `is not a valid URL: ${shown(raw)}`);
  }
  return { kind: 'single', url: raw };
}

/** REDIS_PASSWORD: Redis AUTH for the REDIS_URL servers. Never shown in an error. */
function withPassword(redis: RedisConfig | undefined, password: string | undefined): RedisConfig | undefined {
  if (password === undefined || password === '') return redis;
  if (!redis)
    throw bad('REDIS_PASSWORD', 'is set but REDIS_URL is not: set REDIS_URL to the Redis it authenticates to');
  return { ...redis, password };
}

/**
 * Where calls go, and the policy that prices them in the same region: AWS_REGION (else the policy's region) is both.
 * A policy naming another region than AWS_REGION is refused: its calls would be made in one and priced in the other.
 */
function bedrockConfig(env: Env, policy: CostPolicyRules): { bedrock: BedrockConfig; policy: CostPolicyRules } {
  const region = env['AWS_REGION'] || env['AWS_DEFAULT_REGION'] || undefined;
  const endpoint = env['BEDROCK_ENDPOINT'] || undefined;
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region))
    throw bad('AWS_REGION', `must look like us-east-1, got ${shown(region)}`);
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+/.test(endpoint))
    throw bad('BEDROCK_ENDPOINT', `must be an http:// or https:// URL, got ${shown(endpoint)}`);
  if (region === undefined && endpoint === undefined) return { bedrock: { mode: 'embedded' }, policy };
  if (region !== undefined && policy.region !== undefined && policy.region !== region)
    throw bad(
      'AWS_REGION',
      `is ${region} but the policy's region is ${policy.region}: calls go to AWS_REGION and are priced in the policy's region, so they must agree (remove policy.region, or set it to ${region})`,
    );
  const calls = region ?? policyRegion(policy);
  return {
    bedrock: { mode: 'aws', region: calls, ...(endpoint ? { endpoint } : {}) },
    policy: { ...policy, region: calls },
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The variable a tenants-and-policy document came from, named in every error about it. */
type ConfigSource = 'NOVA_COST_CONFIG' | 'NOVA_COST_CONFIG_JSON';

type TenantsAndPolicy = { tenants: TenantConfig[]; policy: CostPolicyRules };

/** Validates a tenants-and-policy JSON document; `source` is the variable it came from. */
export function parseConfigJson(text: string, source: ConfigSource = 'NOVA_COST_CONFIG_JSON'): TenantsAndPolicy {
  const what = source === 'NOVA_COST_CONFIG' ? 'file' : 'value';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    // V8's message quotes the input, which holds secrets: keep only where it broke.
    const at = /position (\d+)/.exec((err as Error).message);
    throw bad(source, `${what} is not valid JSON${at ? ` (at position ${at[1]})` : ''}`);
  }
  // An explicit empty list is accepted: it is the placeholder a fresh deployment starts with (loadConfig warns).
  if (!isObject(parsed) || !Array.isArray(parsed['tenants'])) {
    throw bad(source, `${what} must hold {"tenants": [{"id", "apiKeys", "sigv4"}, …], "policy": {…}}`);
  }
  const doc = tenantsDocumentSchema.safeParse(parsed);
  if (!doc.success)
    throw problemOf(
      doc.error.issues[0]!,
      '',
      (path, expected) =>
        new NovaCostError('configuration', `${source} ${path} ${expected}`, { details: { variable: source, path } }),
    );
  const { tenants, policy } = doc.data;
  const seen = new Set<string>();
  for (const t of tenants) {
    for (const cred of [...t.apiKeys.map((k) => `key:${k}`), ...t.sigv4.map((c) => `akid:${c.accessKeyId}`)]) {
      if (seen.has(cred))
        throw bad(
          source,
          `a credential of tenant ${t.id} is also given to another tenant; each API key and access key id must name one tenant`,
        );
      seen.add(cred);
    }
  }
  try {
    // What only the domain can judge (e.g. a route to a pricier model) is refused here too, naming the variable.
    new RuleBasedCostPolicy(policy, { pricing: new StaticPricingCatalog(), ledger: new InMemorySpendLedger() });
  } catch (err) {
    if (!NovaCostError.is(err)) throw err;
    throw new NovaCostError('configuration', `${source} policy: ${err.message.replace(/^cost policy: /, '')}`, {
      cause: err,
      details: { variable: source, path: 'policy' },
    });
  }
  return { tenants, policy };
}

/** Reads the tenants-and-policy file NOVA_COST_CONFIG names. */
export function loadConfigFile(path: string): TenantsAndPolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw bad(
      'NOVA_COST_CONFIG',
      `must name a readable JSON file, could not read ${shown(path)}: ${(err as Error).message}`,
    );
  }
  return parseConfigJson(text, 'NOVA_COST_CONFIG');
}

/**
 * The tenants and policy from NOVA_COST_CONFIG (a file path) or NOVA_COST_CONFIG_JSON (the document itself, as a
 * container secret injects it: a Fargate task has no file to point at). Both at once is ambiguous and refused.
 */
function tenantsAndPolicy(env: Env): TenantsAndPolicy | undefined {
  const path = env['NOVA_COST_CONFIG'] || undefined;
  const json = env['NOVA_COST_CONFIG_JSON'] || undefined;
  if (path !== undefined && json !== undefined) {
    throw bad('NOVA_COST_CONFIG_JSON', 'and NOVA_COST_CONFIG are both set; give the tenants document one way only');
  }
  if (path !== undefined) return loadConfigFile(path);
  return json === undefined ? undefined : parseConfigJson(json, 'NOVA_COST_CONFIG_JSON');
}

/** The model and guardrail rows of the price file NOVA_COST_PRICES names (as `npm run prices` writes it), or none. */
function loadPriceFile(
  path: string | undefined,
): { prices: readonly ModelPrice[]; guardrailPrices: readonly GuardrailPrice[] } | undefined {
  if (path === undefined || path === '') return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw bad(
      'NOVA_COST_PRICES',
      `must name a readable JSON price file, could not read ${shown(path)}: ${(err as Error).message}`,
    );
  }
  const name = `NOVA_COST_PRICES (${path})`;
  return {
    prices: parsePriceFile(doc, name),
    guardrailPrices: parseGuardrailPrices(doc, name, DEFAULT_GUARDRAIL_PRICES),
  };
}

export interface LoadConfigOptions {
  /**
   * Told about a configuration that starts but serves nobody (a tenants document with no tenants).
   * @default process.emitWarning, which prints to stderr (the task's log)
   */
  readonly warn?: (message: string) => void;
}

/**
 * The gateway configuration from environment variables. A wrong value throws a 'configuration' NovaCostError
 * whose message names the variable and what it expects.
 */
export function loadConfig(env: Env = process.env, options: LoadConfigOptions = {}): GatewayConfig {
  const port = integer(env, 'PORT', 8080, 0, 65535);
  const host = env['HOST'] || '127.0.0.1';
  if (!/^[A-Za-z0-9.:-]+$/.test(host)) throw bad('HOST', `must be an IP address or host name, got ${shown(host)}`);
  const logLevel = (env['LOG_LEVEL'] || 'info').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel))
    throw bad('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got ${shown(env['LOG_LEVEL'] ?? '')}`);
  const file = tenantsAndPolicy(env);
  if (file?.tenants.length === 0) {
    const warn = options.warn ?? ((message: string) => process.emitWarning(message, { code: 'NOVA_COST_NO_TENANTS' }));
    warn(
      'the tenants document (NOVA_COST_CONFIG or NOVA_COST_CONFIG_JSON) lists no tenants: every request is refused until it holds them and the gateway restarts',
    );
  }
  const redis = withPassword(redisConfig(env['REDIS_URL']), env['REDIS_PASSWORD']);
  const { bedrock, policy } = bedrockConfig(env, file?.policy ?? {});
  if (!file && bedrock.mode === 'aws' && bedrock.endpoint === undefined) {
    // The demo tenant's keys are public: never let them spend real money.
    throw bad(
      'NOVA_COST_CONFIG',
      "must name a tenants file when the gateway calls real Bedrock (AWS_REGION set, no BEDROCK_ENDPOINT), or NOVA_COST_CONFIG_JSON hold that document: the demo tenant's keys are public",
    );
  }
  const bodyLimitBytes = integer(env, 'BODY_LIMIT_BYTES', 10 * 1024 * 1024, 1024, 100 * 1024 * 1024);
  const priceFile = loadPriceFile(env['NOVA_COST_PRICES']);
  const asyncInvoke = asyncInvokeConfig(env, bedrock.mode === 'embedded');
  return {
    port,
    host,
    ...(redis ? { redis } : {}),
    bedrock,
    tenants: file?.tenants ?? [DEMO_TENANT],
    policy,
    ...(priceFile ? { prices: priceFile.prices } : {}),
    ...(priceFile && priceFile.guardrailPrices.length > 0 ? { guardrailPrices: priceFile.guardrailPrices } : {}),
    ...(asyncInvoke ? { asyncInvoke } : {}),
    demo: file === undefined,
    bodyLimitBytes,
    bodyBufferLimitBytes: integer(
      env,
      'BODY_BUFFER_LIMIT_BYTES',
      Math.max(256 * 1024 * 1024, bodyLimitBytes),
      bodyLimitBytes,
      16 * 1024 ** 3,
    ),
    offThreadBodyBytes: integer(env, 'BODY_OFF_THREAD_BYTES', 256 * 1024, 0, 1024 ** 3),
    drainDeadlineMs: integer(env, 'DRAIN_DEADLINE_MS', 110_000, 0, 3_600_000),
    bedrockTimeoutMs: integer(env, 'BEDROCK_TIMEOUT_MS', 60_000, 1_000, 600_000),
    logLevel,
  };
}

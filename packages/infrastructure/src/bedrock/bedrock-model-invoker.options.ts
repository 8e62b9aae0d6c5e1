import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { NovaCostError } from '@nova-cost/domain';

/** Static credentials; absent means the SDK's default provider chain (env, profile, container, instance role). */
export interface BedrockCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Settings of the invoker itself, whichever way the client comes. */
export interface BedrockCallSettings {
  /**
   * Time limit of a whole call: every attempt, the backoff between them and reading the answer. When it runs
   * out the call is cut and fails as 'timeout' (the caller's own AbortSignal still fails it as 'aborted').
   * @default 120000
   */
  readonly callTimeoutMs?: number;
}

/** Build the SDK client from these settings… */
export interface BedrockClientSettings extends BedrockCallSettings {
  /** AWS region to call, e.g. 'us-east-1'. Required: the app decides (usually from AWS_REGION). */
  readonly region: string;
  /** Endpoint URL override, e.g. the local Bedrock endpoint's `url`. @default the regional Bedrock runtime endpoint */
  readonly endpoint?: string;
  /** @default the SDK's default credential provider chain */
  readonly credentials?: BedrockCredentials;
  /** The SDK retry strategy. 'adaptive' adds client-side rate limiting on throttles. @default 'standard' */
  readonly retryMode?: 'standard' | 'adaptive';
  /** Attempts per call, first one included (1 = no retry). @default 3 */
  readonly maxAttempts?: number;
  /**
   * Whether the SDK retries throttled attempts (ThrottlingException, 429). Set false when the caller owns throttle
   * retries, as the gateway's batcher does with its own budget and quotas: a throttle then fails the call at once
   * as 'throttled' while 5xx answers, timeouts and dropped connections are still retried. @default true
   */
  readonly retryThrottles?: boolean;
  /** Time limit of one HTTP attempt; a timed-out attempt is retried, the last one fails as 'timeout'. See also `callTimeoutMs`. @default 60000 */
  readonly requestTimeoutMs?: number;
  /** Time limit to open a connection. @default 5000 */
  readonly connectionTimeoutMs?: number;
  /**
   * Connections to Bedrock open at once. A stream holds its connection for as long as the answer takes, so this
   * bounds the streams in flight (the SDK's own default, 50, would queue the 51st stream behind the first). @default 1000
   */
  readonly maxSockets?: number;
}

/** …or pass a ready client (its own retry and per-attempt timeout settings apply). */
export interface BedrockClientInstance extends BedrockCallSettings {
  readonly client: BedrockRuntimeClient;
}

export type BedrockModelInvokerOptions = BedrockClientSettings | BedrockClientInstance;

export interface ResolvedClientSettings {
  readonly region: string;
  readonly endpoint?: string;
  readonly credentials?: BedrockCredentials;
  readonly retryMode: 'standard' | 'adaptive';
  readonly retryThrottles: boolean;
  readonly maxAttempts: number;
  readonly requestTimeoutMs: number;
  readonly connectionTimeoutMs: number;
  readonly maxSockets: number;
}

export type ResolvedInvokerOptions = { readonly callTimeoutMs: number } & (
  { readonly client: BedrockRuntimeClient } | { readonly settings: ResolvedClientSettings }
);

function bad(message: string): NovaCostError {
  return new NovaCostError('configuration', `BedrockModelInvoker: ${message}`);
}

function positiveInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw bad(`${name} must be an integer >= 1, got ${JSON.stringify(value)}`);
  return value;
}

const SETTING_KEYS = [
  'region',
  'endpoint',
  'credentials',
  'retryMode',
  'retryThrottles',
  'maxAttempts',
  'requestTimeoutMs',
  'connectionTimeoutMs',
  'maxSockets',
];

/** Validates options: either a ready client or settings, never both. */
export function resolveInvokerOptions(options: unknown): ResolvedInvokerOptions {
  if (typeof options !== 'object' || options === null)
    throw bad('options must be an object with a region, or a ready client');
  const o = options as Record<string, unknown>;
  const callTimeoutMs = positiveInteger(o['callTimeoutMs'], 'callTimeoutMs', 120_000);
  // Longer than a timer can wait (~24.8 days): Node would fire it at once.
  if (callTimeoutMs > 2 ** 31 - 1) throw bad(`callTimeoutMs must be at most ${2 ** 31 - 1}, got ${callTimeoutMs}`);
  if (o['client'] !== undefined) {
    const mixed = SETTING_KEYS.filter((k) => o[k] !== undefined);
    if (mixed.length > 0)
      throw bad(`pass either a ready client or client settings, not both (got client and ${mixed.join(', ')})`);
    if (typeof (o['client'] as { send?: unknown }).send !== 'function')
      throw bad('client must be a BedrockRuntimeClient');
    return { client: o['client'] as BedrockRuntimeClient, callTimeoutMs };
  }
  return { settings: resolveClientSettings(o), callTimeoutMs };
}

function resolveClientSettings(o: Record<string, unknown>): ResolvedClientSettings {
  const region = o['region'];
  if (typeof region !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region))
    throw bad(`region must look like 'us-east-1', got ${JSON.stringify(region)}`);
  const endpoint = o['endpoint'];
  if (endpoint !== undefined) {
    if (typeof endpoint !== 'string' || !/^https?:\/\/[^/]+/.test(endpoint))
      throw bad(`endpoint must be an http(s) URL, got ${JSON.stringify(endpoint)}`);
  }
  const credentials = o['credentials'] as Record<string, unknown> | undefined;
  if (
    credentials !== undefined &&
    (typeof credentials?.['accessKeyId'] !== 'string' || typeof credentials['secretAccessKey'] !== 'string')
  ) {
    throw bad('credentials must have accessKeyId and secretAccessKey strings');
  }
  const retryMode = o['retryMode'] ?? 'standard';
  if (retryMode !== 'standard' && retryMode !== 'adaptive')
    throw bad(`retryMode must be 'standard' or 'adaptive', got ${JSON.stringify(retryMode)}`);
  const retryThrottles = o['retryThrottles'] ?? true;
  if (typeof retryThrottles !== 'boolean')
    throw bad(`retryThrottles must be a boolean, got ${JSON.stringify(retryThrottles)}`);
  return {
    region,
    endpoint: endpoint as string | undefined,
    credentials: credentials as BedrockCredentials | undefined,
    retryMode,
    retryThrottles,
    maxAttempts: positiveInteger(o['maxAttempts'], 'maxAttempts', 3),
    requestTimeoutMs: positiveInteger(o['requestTimeoutMs'], 'requestTimeoutMs', 60_000),
    connectionTimeoutMs: positiveInteger(o['connectionTimeoutMs'], 'connectionTimeoutMs', 5_000),
    maxSockets: positiveInteger(o['maxSockets'], 'maxSockets', 1_000),
  };
}

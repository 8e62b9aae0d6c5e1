import type { BatchingInvokerOptions } from '@nova-cost/batching';
import type { CostPolicyRules, GuardrailPrice, ModelPrice } from '@nova-cost/domain';
import type { AsyncInvokeConfig } from './async-config';

/** One tenant: who may call, and with which credentials. */
export interface TenantConfig {
  readonly id: string;
  /** Accepted in the `x-api-key` header. @default [] */
  readonly apiKeys: readonly string[];
  /** SigV4 credentials: the access key id names the tenant, the secret verifies the signature. @default [] */
  readonly sigv4: readonly { readonly accessKeyId: string; readonly secret: string }[];
  /** The tenant's share of the batching queue when tenants wait together: 2 starts twice the calls of 1. @default 1 */
  readonly weight?: number;
}

/** Where cached responses live. Absent: in process memory. */
export type RedisConfig = (
  | { readonly kind: 'single'; readonly url: string }
  | { readonly kind: 'cluster'; readonly nodes: readonly { host: string; port: number }[] }
) & {
  /** REDIS_PASSWORD: the AUTH password (an ElastiCache auth token, injected as an ECS secret). */
  readonly password?: string;
  /**
   * Backstop after which a Redis command without an answer is given up (ioredis commandTimeout); each adapter's own,
   * shorter time limits apply first. Not read from the environment. @default each adapter's (1000 ms for the cache)
   */
  readonly commandTimeoutMs?: number;
};

/** Which Bedrock the gateway calls. */
export type BedrockConfig =
  { readonly mode: 'embedded' } | { readonly mode: 'aws'; readonly region: string; readonly endpoint?: string };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The validated configuration of one gateway process. */
export interface GatewayConfig {
  /** @default 8080 (0 picks a free port) */
  readonly port: number;
  /** @default '127.0.0.1' */
  readonly host: string;
  /** @default undefined (in-memory cache) */
  readonly redis?: RedisConfig;
  /** @default { mode: 'embedded' } (local Bedrock endpoint in-process) */
  readonly bedrock: BedrockConfig;
  readonly tenants: readonly TenantConfig[];
  /** @default {} (domain defaults) */
  readonly policy: CostPolicyRules;
  /** NOVA_COST_PRICES: price rows replacing the default table's for their model and region, and adding others. @default none */
  readonly prices?: readonly ModelPrice[];
  /** NOVA_COST_PRICES' guardrailPrices: ApplyGuardrail rates replacing the default table's for their region, and adding others. @default none */
  readonly guardrailPrices?: readonly GuardrailPrice[];
  /** The async API (StartAsyncInvoke & co. over batch inference jobs); absent: its routes say how to enable it. @default the local S3 in the embedded default, else none */
  readonly asyncInvoke?: AsyncInvokeConfig;
  /** True when neither NOVA_COST_CONFIG nor NOVA_COST_CONFIG_JSON was given and the demo tenant is in use. */
  readonly demo: boolean;
  /** Largest accepted request body. @default 10485760 (10 MiB) */
  readonly bodyLimitBytes: number;
  /** Bytes of request bodies held at once, all connections together; past it 429 queue-full. @default 268435456 (256 MiB) */
  readonly bodyBufferLimitBytes: number;
  /**
   * Bodies of at least this many bytes are checked and walked (token estimate, request key) on a thread of their own,
   * so a large body holds the event loop only for its JSON.parse; 0: every body on the event loop. @default 262144 (256 KiB)
   */
  readonly offThreadBodyBytes: number;
  /** Longest a Bedrock call may take, all attempts together; a call that times out is not retried. @default 60000 */
  readonly bedrockTimeoutMs: number;
  /** Time SIGTERM gives the batcher to finish accepted requests. @default 110000 */
  readonly drainDeadlineMs: number;
  /** @default 'info' */
  readonly logLevel: LogLevel;
  /** Programmatic only (no variable): adapter options for embedding and tests. @default adapter defaults */
  readonly tuning?: {
    readonly batching?: BatchingInvokerOptions;
    /** Attempts per Bedrock call, first included. @default 3 */
    readonly bedrockMaxAttempts?: number;
  };
}

/** The tenant of the embedded default. */
export const DEMO_TENANT: TenantConfig = {
  id: 'demo',
  apiKeys: ['demo-key'],
  sigv4: [{ accessKeyId: 'demo', secret: 'demo-secret' }],
};

import type { BatchingInvoker } from '@nova-cost/batching';
import type { CachingInvoker, ResponseStore } from '@nova-cost/caching';
import type {
  ApplyGuardrail,
  BidirectionalModelStreams,
  CircuitBreakers,
  CostPolicy,
  InvokeModel,
  PrefixHistory,
  PricingCatalog,
  SessionBudget,
  SpeechSessionRelay,
  SpendLedger,
  StreamModel,
} from '@nova-cost/domain';
import type { BedrockModelInvoker, FallbackInvoker } from '@nova-cost/infrastructure';
import type { ServiceIdentifier } from 'inversify';
import type { GatewayConfig } from '../config/gateway-config';
import type { GatewayLogger } from '../observability/logger';
import type { GatewayMetrics } from '../observability/gateway-metrics';

/**
 * The phases of a shutdown, in order. Before the gateway answers what is still open: 'end-sessions' (speech sessions
 * told to go elsewhere), 'stop-intake' (the async queue stops taking work), 'drain' (the batcher answers what it
 * holds). After the last answer and the connections closed: 'close-clients' (Redis, the Bedrock HTTP/2 client), then
 * 'flush-ledger' (spend held while Redis was down gets its chance to be written).
 */
export const SHUTDOWN_PHASES = ['end-sessions', 'stop-intake', 'drain', 'close-clients', 'flush-ledger'] as const;
export type ShutdownPhase = (typeof SHUTDOWN_PHASES)[number];

/** The phases that run before the gateway answers what is left open (see SHUTDOWN_PHASES). */
export const BEFORE_ANSWERING: ReadonlySet<ShutdownPhase> = new Set(['end-sessions', 'stop-intake', 'drain']);

/** Something the composition root stops, in its phase. */
export interface Lifecycle {
  readonly name: string;
  readonly phase: ShutdownPhase;
  close(deadlineMs: number): Promise<void>;
}

/** Service identifiers of the container. */
export const TOKENS = {
  config: Symbol.for('nova-cost/gateway/config') as ServiceIdentifier<GatewayConfig>,
  logger: Symbol.for('nova-cost/gateway/logger') as ServiceIdentifier<GatewayLogger>,
  metrics: Symbol.for('nova-cost/gateway/metrics') as ServiceIdentifier<GatewayMetrics>,
  pricing: Symbol.for('nova-cost/gateway/pricing') as ServiceIdentifier<PricingCatalog>,
  ledger: Symbol.for('nova-cost/gateway/ledger') as ServiceIdentifier<SpendLedger>,
  /** The cost policy, which also holds speech sessions' worst cases in the same budgets. */
  policy: Symbol.for('nova-cost/gateway/policy') as ServiceIdentifier<CostPolicy & SessionBudget>,
  /** What the prompt-cache payoff guard learns of tenants' prefixes (Redis when REDIS_URL is set). */
  prefixHistory: Symbol.for('nova-cost/gateway/prefix-history') as ServiceIdentifier<PrefixHistory>,
  /** The endpoint URL of the Bedrock the gateway calls (the in-process local one in the embedded default). */
  bedrockEndpoint: Symbol.for('nova-cost/gateway/bedrock-endpoint') as ServiceIdentifier<{
    url?: string;
    region: string;
  }>,
  /** The innermost link: calls Bedrock. */
  bedrockInvoker: Symbol.for('nova-cost/gateway/bedrock-invoker') as ServiceIdentifier<BedrockModelInvoker>,
  /** The policy's fallback chains and the targets' circuit breakers, around bedrockInvoker (unary calls and streams). */
  fallbackInvoker: Symbol.for('nova-cost/gateway/fallback-invoker') as ServiceIdentifier<FallbackInvoker>,
  /** The fallback targets' circuit breakers: Redis when REDIS_URL is set, else in memory. */
  circuitBreakers: Symbol.for('nova-cost/gateway/circuit-breakers') as ServiceIdentifier<CircuitBreakers>,
  /** The batching link, around fallbackInvoker. */
  batchingInvoker: Symbol.for('nova-cost/gateway/batching-invoker') as ServiceIdentifier<BatchingInvoker>,
  /** Where cached answers live: Redis when REDIS_URL is set, else in memory. Also remembers used SigV4 signatures. */
  responseStore: Symbol.for('nova-cost/gateway/response-store') as ServiceIdentifier<ResponseStore>,
  /** The outermost link: the cache, around batchingInvoker. */
  cachingInvoker: Symbol.for('nova-cost/gateway/caching-invoker') as ServiceIdentifier<CachingInvoker>,
  invokeModel: Symbol.for('nova-cost/gateway/invoke-model') as ServiceIdentifier<InvokeModel>,
  /** The streaming calls' use case, over cache → quota → Bedrock (see streaming.module). */
  streamModel: Symbol.for('nova-cost/gateway/stream-model') as ServiceIdentifier<StreamModel>,
  /** ApplyGuardrail's use case, over cache → Bedrock (see guardrails.module). */
  applyGuardrail: Symbol.for('nova-cost/gateway/apply-guardrail') as ServiceIdentifier<ApplyGuardrail>,
  /** Bedrock's InvokeModelWithBidirectionalStream (Nova Sonic), over the SDK's HTTP/2 handler. */
  bidirectionalStreams: Symbol.for('nova-cost/gateway/bidirectional-streams') as ServiceIdentifier<
    BidirectionalModelStreams & { close(): void }
  >,
  /** Speech sessions: admission, relay and metering (see sessions.module). */
  sessionRelay: Symbol.for('nova-cost/gateway/session-relay') as ServiceIdentifier<SpeechSessionRelay>,
  lifecycle: Symbol.for('nova-cost/gateway/lifecycle') as ServiceIdentifier<Lifecycle>,
};

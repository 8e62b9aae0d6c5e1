import type { ResponseStore } from '@nova-cost/caching';
import type {
  ApplyGuardrail,
  BidirectionalModelStreams,
  CostPolicy,
  InvokeModel,
  ModelInvoker,
  PrefixHistory,
  PricingCatalog,
  SessionBudget,
  SpeechSessionRelay,
  SpendLedger,
  StreamModel,
} from '@nova-cost/domain';
import type { ServiceIdentifier } from 'inversify';
import type { GatewayConfig } from '../config/gateway-config';
import type { GatewayLogger } from '../observability/logger';
import type { GatewayMetrics } from '../observability/gateway-metrics';

/** What the composition root knows how to stop, in order. */
export interface Lifecycle {
  readonly name: string;
  /** Lower closes first: the batcher drains (10) before Redis closes (20) before the local endpoint stops (30). */
  readonly order: number;
  close(deadlineMs: number): Promise<void>;
}

/** Counters the metrics read from the invoker chain, when its links offer them. */
export interface ChainStats {
  cacheStats?(): { hits: number; misses: number; coalesced: number; bypass: number; errors: number };
  queueDepth?(): number;
  drain?(deadlineMs: number): Promise<unknown>;
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
  bedrockInvoker: Symbol.for('nova-cost/gateway/bedrock-invoker') as ServiceIdentifier<ModelInvoker>,
  /** The batching link, around bedrockInvoker. */
  batchingInvoker: Symbol.for('nova-cost/gateway/batching-invoker') as ServiceIdentifier<ModelInvoker & ChainStats>,
  /** Where cached answers live: Redis when REDIS_URL is set, else in memory. Also remembers used SigV4 signatures. */
  responseStore: Symbol.for('nova-cost/gateway/response-store') as ServiceIdentifier<ResponseStore>,
  /** The outermost link: the cache, around batchingInvoker. */
  cachingInvoker: Symbol.for('nova-cost/gateway/caching-invoker') as ServiceIdentifier<ModelInvoker & ChainStats>,
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

import type { CacheOutcome, TokenUsage } from '@nova-cost/domain';
import { findModel } from '@nova-cost/domain';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { GatewayLogger } from './logger';

/** Where the metrics read live gauges from. */
export interface MetricSources {
  queueDepth(): number;
  /** Bytes of request bodies held now. */
  bodyBufferBytes(): number;
  /** Speech sessions being served, the bytes held for them, and those waiting for a slow client. */
  speechSessions(): { open: number; bufferedBytes: number; waitingForClient: number };
}

/**
 * The `model` label of a metric: the base model id of a model in the catalog, whatever form the client addressed
 * it in (profile id, ARN with an account), else `other`. Labels are series: taking the id as typed would let
 * clients create one per spelling. Every guardrail (`guardrail/<id>`) is `guardrail`.
 */
export function modelLabel(modelId: string): string {
  if (modelId.startsWith('guardrail/')) return 'guardrail';
  try {
    return findModel(modelId)?.id ?? 'other';
  } catch {
    return 'other';
  }
}

const NO_SOURCES: MetricSources = {
  queueDepth: () => 0,
  bodyBufferBytes: () => 0,
  speechSessions: () => ({ open: 0, bufferedBytes: 0, waitingForClient: 0 }),
};

const SERVICE = 'nova-cost-gateway';

/**
 * Prometheus metrics (own registry, so several gateways can run in one process) and CloudWatch EMF log lines
 * (namespace NovaCost, dimension Service) for cost, saving, cache hit ratio and queue depth.
 *
 * Cost and saving are summed in memory and written by `flush()` (periodically and at shutdown): one EMF line per
 * model and interval instead of one per request, so a busy gateway neither spends its time logging nor pays
 * CloudWatch Logs ingestion for every call. Sums per interval keep the dashboard's Sum statistic exact.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'status' | 'cache'>;
  private readonly cost: Counter<'model'>;
  private readonly saved: Counter<'strategy'>;
  private readonly lost: Counter<'strategy'>;
  private readonly unpricedCalls: Counter<'model'>;
  private readonly asyncEnds: Counter<'route' | 'status' | 'billing'>;
  private readonly budgetFailOpens: Counter;
  private readonly fallbacks: Counter<'reason'>;
  private readonly offThreadBodies: Counter;
  private readonly unpricedTokens: Counter<'model' | 'direction'>;
  private readonly streams: Counter<'operation' | 'end' | 'client'>;
  private readonly sessions: Counter<'model' | 'end'>;
  /** Since start: the Prometheus gauge (Prometheus takes rates itself). */
  private readonly cacheAnswers = { hit: 0, lookups: 0 };
  /** Since the last flush: the EMF value, so CloudWatch charts each interval rather than a lifetime average. */
  private intervalCacheAnswers = { hit: 0, lookups: 0 };
  /** Cost and saving per model since the last flush. */
  private pending = new Map<string, { costUsd: number; savedUsd: number }>();

  constructor(
    private readonly logger: GatewayLogger,
    private sources: MetricSources = NO_SOURCES,
  ) {
    this.requests = new Counter({
      name: 'nova_cost_requests_total',
      help: 'HTTP requests by route, status and cache outcome',
      labelNames: ['route', 'status', 'cache'],
      registers: [this.registry],
    });
    this.cost = new Counter({
      name: 'nova_cost_cost_usd_total',
      help: 'USD billed for model calls',
      labelNames: ['model'],
      registers: [this.registry],
    });
    this.saved = new Counter({
      name: 'nova_cost_saved_usd_total',
      help: 'USD saved, by strategy',
      labelNames: ['strategy'],
      registers: [this.registry],
    });
    // A counter never goes down: a lever's loss on a call (a prompt-cache write never read) is counted apart.
    this.lost = new Counter({
      name: 'nova_cost_saving_lost_usd_total',
      help: 'USD a lever cost beyond what it saved on the same call (a prompt-cache write never read), by strategy',
      labelNames: ['strategy'],
      registers: [this.registry],
    });
    // Labelled by base model id: only ids Bedrock answered reach here, so the label set is bounded by its catalog.
    this.unpricedCalls = new Counter({
      name: 'nova_cost_unpriced_calls_total',
      help: 'Model calls whose model has no price (cost unknown, not counted in nova_cost_cost_usd_total)',
      labelNames: ['model'],
      registers: [this.registry],
    });
    this.unpricedTokens = new Counter({
      name: 'nova_cost_unpriced_tokens_total',
      help: 'Tokens billed upstream for models without a price, by direction (input, output)',
      labelNames: ['model', 'direction'],
      registers: [this.registry],
    });
    this.offThreadBodies = new Counter({
      name: 'nova_cost_bodies_parsed_off_thread_total',
      help: 'Request bodies large enough (BODY_OFF_THREAD_BYTES) to be checked and walked on a thread of their own',
      registers: [this.registry],
    });
    this.budgetFailOpens = new Counter({
      name: 'nova_cost_budget_fail_open_total',
      help: 'Calls admitted without a fleet budget hold because Redis could not answer it in time (fail open): the fleet may spend past a limit by their cost',
      registers: [this.registry],
    });
    this.fallbacks = new Counter({
      name: 'nova_cost_fallbacks_total',
      help: "Steps down a call's fallback chain, by why the target was left: throttled, upstream-unavailable, not-found, circuit-open",
      labelNames: ['reason'],
      registers: [this.registry],
    });
    this.asyncEnds = new Counter({
      name: 'nova_cost_async_invocations_total',
      help: 'Async invocations ended, by how they were answered (batch, on-demand, cache), status (Completed, Failed) and billing (batch, flex, standard…; none for a cache answer or a failure)',
      labelNames: ['route', 'status', 'billing'],
      registers: [this.registry],
    });
    this.streams = new Counter({
      name: 'nova_cost_streams_total',
      help: 'Streams by operation, how the billed stream ended (complete, failed, abandoned) and how it ended for its client (complete, failed, client-gone, stopped)',
      labelNames: ['operation', 'end', 'client'],
      registers: [this.registry],
    });
    this.sessions = new Counter({
      name: 'nova_cost_speech_sessions_total',
      help: 'Speech sessions (InvokeModelWithBidirectionalStream) ended, by model and how they ended (completed, client-left, client-error, upstream-error, idle, max-duration, budget, shutting-down)',
      labelNames: ['model', 'end'],
      registers: [this.registry],
    });
    const sessions = () => this.sources.speechSessions();
    for (const [name, help, read] of [
      ['nova_cost_speech_sessions_open', 'Speech sessions being served now', () => sessions().open],
      [
        'nova_cost_speech_session_buffered_bytes',
        'Bytes held for speech sessions now: received from clients and not yet relayed, or relayed and not yet taken by the client',
        () => sessions().bufferedBytes,
      ],
      [
        'nova_cost_speech_sessions_waiting_client',
        'Speech sessions whose client is slower than the model: the relay waits for it before reading the model further',
        () => sessions().waitingForClient,
      ],
    ] as const) {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read());
        },
      });
    }
    const answers = this.cacheAnswers;
    new Gauge({
      name: 'nova_cost_cache_hit_ratio',
      help: 'Share of cacheable requests answered from cache or coalesced',
      registers: [this.registry],
      collect() {
        this.set(answers.lookups === 0 ? 0 : answers.hit / answers.lookups);
      },
    });
    const queueDepth = () => this.sources.queueDepth();
    new Gauge({
      name: 'nova_cost_batch_queue_depth',
      help: 'Requests waiting in the batcher',
      registers: [this.registry],
      collect() {
        this.set(queueDepth());
      },
    });
    const bodyBufferBytes = () => this.sources.bodyBufferBytes();
    new Gauge({
      name: 'nova_cost_body_buffer_bytes',
      help: 'Bytes of request bodies held now, all connections together (BODY_BUFFER_LIMIT_BYTES bounds it)',
      registers: [this.registry],
      collect() {
        this.set(bodyBufferBytes());
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Plug in the live gauges once the invoker chain exists. */
  attach(sources: Partial<MetricSources>): void {
    this.sources = { ...this.sources, ...sources };
  }

  request(route: string, status: number, cache: CacheOutcome | 'none'): void {
    this.requests.inc({ route, status: String(status), cache });
  }

  /** One model answer: Prometheus counters, and the sums of the next EMF flush. */
  answered(
    modelId: string,
    cache: CacheOutcome,
    costUsd: number,
    savings: readonly { strategy: string; usd: number }[],
  ): void {
    const model = modelLabel(modelId);
    this.cost.inc({ model }, costUsd);
    let savedUsd = 0;
    for (const s of savings) {
      if (s.usd >= 0) this.saved.inc({ strategy: s.strategy }, s.usd);
      else this.lost.inc({ strategy: s.strategy }, -s.usd);
      savedUsd += s.usd;
    }
    if (cache !== 'bypass') {
      const hit = cache === 'hit' || cache === 'coalesced' ? 1 : 0;
      for (const counts of [this.cacheAnswers, this.intervalCacheAnswers]) {
        counts.lookups += 1;
        counts.hit += hit;
      }
    }
    const sums = this.pending.get(model);
    if (sums) {
      sums.costUsd += costUsd;
      sums.savedUsd += savedUsd;
    } else {
      this.pending.set(model, { costUsd, savedUsd });
    }
  }

  /** An async invocation ended: answered by a batch job, on demand or from the cache. */
  /** A large request body checked and walked off the event loop. */
  bodyParsedOffThread(): void {
    this.offThreadBodies.inc();
  }

  /** A call admitted on this task's own reckoning: the fleet's budget (Redis) could not answer its hold. */
  budgetFailedOpen(): void {
    this.budgetFailOpens.inc();
  }

  /** A call left a target of its fallback chain for the next one. */
  fellBack(reason: string): void {
    this.fallbacks.inc({ reason });
  }

  asyncEnded(route: 'batch' | 'on-demand' | 'cache', status: 'Completed' | 'Failed', billing = 'none'): void {
    this.asyncEnds.inc({ route, status, billing });
  }

  /** A stream ended (see StreamReport.end and the gateway's StreamEnding). */
  streamEnded(operation: string, end: string, client: string): void {
    this.streams.inc({ operation, end, client });
  }

  /** A speech session ended: how, and what it cost (nothing counted for a model without a price). */
  sessionEnded(modelId: string, end: string, costUsd: number, unpriced: boolean): void {
    this.sessions.inc({ model: modelLabel(modelId), end });
    if (unpriced) this.unpricedCalls.inc({ model: modelId });
    else this.answered(modelId, 'bypass', costUsd, []);
  }

  /** A call to a model without a price, with the usage billed upstream (none for a cache hit or a coalesced answer). */
  unpriced(modelId: string, billed: TokenUsage | undefined): void {
    this.unpricedCalls.inc({ model: modelId });
    if (!billed) return;
    this.unpricedTokens.inc(
      { model: modelId, direction: 'input' },
      billed.inputTokens + billed.cacheReadInputTokens + billed.cacheWriteInputTokens,
    );
    this.unpricedTokens.inc({ model: modelId, direction: 'output' }, billed.outputTokens);
  }

  /**
   * Writes the EMF lines: cost and saving per model summed since the last flush, then the gauges: the cache hit
   * ratio of the answers since the last flush (left out when there were none: no data, rather than a 0 that
   * would read as a cold cache) and the queue depth now.
   */
  flush(): void {
    const pending = this.pending;
    this.pending = new Map();
    const cache = this.intervalCacheAnswers;
    this.intervalCacheAnswers = { hit: 0, lookups: 0 };
    for (const [model, sums] of pending) this.emf({ CostUsd: sums.costUsd, SavedUsd: sums.savedUsd }, { Model: model });
    this.emf(
      {
        ...(cache.lookups > 0 ? { CacheHitRatio: cache.hit / cache.lookups } : {}),
        BatchQueueDepth: this.sources.queueDepth(),
      },
      {},
    );
  }

  private emf(values: Record<string, number>, extra: Record<string, string>): void {
    const units: Record<string, string> = {
      CostUsd: 'None',
      SavedUsd: 'None',
      CacheHitRatio: 'None',
      BatchQueueDepth: 'Count',
    };
    this.logger.info({
      msg: 'metrics',
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [
          {
            Namespace: 'NovaCost',
            Dimensions: [['Service']],
            Metrics: Object.keys(values).map((Name) => ({ Name, Unit: units[Name] ?? 'None' })),
          },
        ],
      },
      Service: SERVICE,
      ...extra,
      ...values,
    });
  }
}

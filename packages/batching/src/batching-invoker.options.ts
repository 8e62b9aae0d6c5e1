import { NovaCostError } from '@nova-cost/domain';
import type { Lane } from '@nova-cost/domain';
import type { AdaptiveRateOptions } from './adaptive-rate';

/** How long requests of one lane may be held to form a batch. */
export interface LaneBatching {
  /** A held batch is dispatched as soon as it has this many requests. 1 means never hold. */
  readonly maxBatchSize?: number;
  /** A held batch is dispatched at the latest this long after its first request arrived. 0 means never hold. */
  readonly maxWaitMs?: number;
}

/** Bedrock-style quota of one base model. Absent fields are unlimited. */
export interface QuotaLimit {
  /** Requests per minute (Bedrock "InvokeModel requests per minute"). @default unlimited */
  readonly requestsPerMinute?: number;
  /** Input + output tokens per minute (Bedrock "tokens per minute"). @default unlimited */
  readonly tokensPerMinute?: number;
  /**
   * Seconds of quota the bucket may hold, i.e. the largest burst. 60 matches Bedrock's per-minute accounting;
   * lower it when the endpoint enforces the rate over shorter windows.
   * @default 60
   */
  readonly burstSeconds?: number;
}

/** Retries of throttled calls: exponential backoff with full jitter, within a budget. */
export interface RetryOptions {
  /** Attempts in all, the first included. 1 disables retries. @default 4 */
  readonly maxAttempts?: number;
  /** Upper bound of the first backoff; it doubles at every retry. @default 100 */
  readonly baseDelayMs?: number;
  /** Cap of one backoff. @default 5000 */
  readonly maxDelayMs?: number;
  /** Total backoff one request may spend; a retry that would exceed it is not made. @default 20000 */
  readonly maxTotalDelayMs?: number;
}

export interface BatchingInvokerOptions {
  /**
   * Holding rules per lane (the planned call's `lane`).
   * @default { interactive: { maxBatchSize: 1, maxWaitMs: 0 }, deferrable: { maxBatchSize: 10, maxWaitMs: 1000 } }
   */
  readonly lanes?: { readonly interactive?: LaneBatching; readonly deferrable?: LaneBatching };
  /** Upstream calls running at once, all lanes and models together. @default 16 */
  readonly concurrency?: number;
  /**
   * Requests accepted and waiting: not yet started (held, waiting for quota or a slot) or backing off before a retry
   * after a throttle. Past it: 'queue-full'. @default 10000
   */
  readonly maxQueueSize?: number;
  /**
   * Largest share (0..1] of maxQueueSize one tenant's waiting requests may hold (queued or backing off); past it that tenant
   * gets 'queue-full' while others are still accepted. @default 1 (the gateway sets 0.5)
   */
  readonly maxQueueSharePerTenant?: number;
  /**
   * A tenant's weight in the fair queue: when several tenants wait, each starts calls in proportion to its weight
   * (2 gets twice the calls of 1), whatever their backlogs. No answer (undefined), or a non-positive or non-finite one,
   * counts as 1: a Map's `get` will do.
   * @default every tenant 1
   */
  readonly tenantWeight?: (tenantId: string) => number | undefined;
  /**
   * Quotas per base model id (profile ids and ARNs are reduced to it); `default` applies to models not listed.
   * @default no quota
   */
  readonly quotas?: { readonly default?: QuotaLimit; readonly byModel?: Readonly<Record<string, QuotaLimit>> };
  /** Output tokens reserved against tokensPerMinute when a text request sets no cap. @default 512 */
  readonly defaultOutputTokenEstimate?: number;
  /** @default { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 5000, maxTotalDelayMs: 20000 } */
  readonly retry?: RetryOptions;
  /**
   * Merging of embedding requests for models that embed several inputs per call (ModelSpec.acceptsInputBatch).
   * Only requests flushed in the same batch merge, so it takes a lane that holds (deferrable, by default).
   * @default { enabled: true, maxInputsPerCall: 96 }
   */
  readonly embeddingMerge?: { readonly enabled?: boolean; readonly maxInputsPerCall?: number };
  /**
   * Pacing of each model's calls learnt from throttling (see AdaptiveRate): unpaced until throttles pass
   * `tolerance` of a window's calls, then paced at what the upstream answered. `false` turns it off.
   * @default { tolerance: 0.35, windowCalls: 20, increase: 0.1, minPerSecond: 1 }
   */
  readonly adaptiveRate?: AdaptiveRateOptions | false;
  /** The clock of the adaptive pace, in milliseconds. Tests pass a fake one. @default performance.now */
  readonly now?: () => number;
  /** Source of randomness for backoff jitter, in [0, 1). Tests pass a fixed one. @default Math.random */
  readonly random?: () => number;
}

export interface ResolvedOptions {
  readonly lanes: Readonly<Record<Lane, Required<LaneBatching>>>;
  readonly concurrency: number;
  readonly maxQueueSize: number;
  /** ⌈maxQueueSize × maxQueueSharePerTenant⌉ */
  readonly maxQueuedPerTenant: number;
  readonly tenantWeight: (tenantId: string) => number | undefined;
  readonly quotas: { readonly default: QuotaLimit; readonly byModel: Readonly<Record<string, QuotaLimit>> };
  readonly defaultOutputTokenEstimate: number;
  readonly retry: Required<RetryOptions>;
  readonly embeddingMerge: { readonly enabled: boolean; readonly maxInputsPerCall: number };
  readonly random: () => number;
  readonly adaptiveRate: AdaptiveRateOptions | false;
  readonly now: () => number;
}

function check(
  value: number,
  name: string,
  { min, integer, finite = true }: { min: number; integer?: boolean; finite?: boolean },
): number {
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    value >= min &&
    (!integer || Number.isInteger(value)) &&
    (!finite || Number.isFinite(value));
  if (!ok) {
    const what = integer ? `an integer >= ${min}` : `a ${finite ? 'finite ' : ''}number >= ${min}`;
    throw new NovaCostError('configuration', `BatchingInvoker option ${name} must be ${what}, got ${String(value)}`, {
      details: { option: name },
    });
  }
  return value;
}

function lane(given: LaneBatching | undefined, fallback: Required<LaneBatching>, name: string): Required<LaneBatching> {
  return {
    maxBatchSize: check(given?.maxBatchSize ?? fallback.maxBatchSize, `lanes.${name}.maxBatchSize`, {
      min: 1,
      integer: true,
    }),
    maxWaitMs: check(given?.maxWaitMs ?? fallback.maxWaitMs, `lanes.${name}.maxWaitMs`, { min: 0 }),
  };
}

function quota(limit: QuotaLimit, name: string): QuotaLimit {
  if (limit.requestsPerMinute !== undefined)
    check(limit.requestsPerMinute, `${name}.requestsPerMinute`, { min: Number.MIN_VALUE });
  if (limit.tokensPerMinute !== undefined)
    check(limit.tokensPerMinute, `${name}.tokensPerMinute`, { min: Number.MIN_VALUE });
  if (limit.burstSeconds !== undefined) check(limit.burstSeconds, `${name}.burstSeconds`, { min: Number.MIN_VALUE });
  return limit;
}

function adaptiveRate(given: AdaptiveRateOptions | false | undefined): AdaptiveRateOptions | false {
  if (given === false || given === undefined) return given ?? {};
  if (given.tolerance !== undefined) check(given.tolerance, 'adaptiveRate.tolerance', { min: 0 });
  if (given.windowCalls !== undefined) check(given.windowCalls, 'adaptiveRate.windowCalls', { min: 1, integer: true });
  if (given.increase !== undefined) check(given.increase, 'adaptiveRate.increase', { min: 0 });
  if (given.minPerSecond !== undefined)
    check(given.minPerSecond, 'adaptiveRate.minPerSecond', { min: Number.MIN_VALUE });
  return given;
}

/** Fills in defaults and rejects nonsense with a 'configuration' error naming the option. */
export function resolveOptions(options: BatchingInvokerOptions = {}): ResolvedOptions {
  const retry = options.retry ?? {};
  const byModel = options.quotas?.byModel ?? {};
  for (const [model, limit] of Object.entries(byModel)) quota(limit, `quotas.byModel[${JSON.stringify(model)}]`);
  const random = options.random ?? Math.random;
  const maxQueueSize = check(options.maxQueueSize ?? 10_000, 'maxQueueSize', { min: 1, integer: true });
  const share = check(options.maxQueueSharePerTenant ?? 1, 'maxQueueSharePerTenant', { min: Number.MIN_VALUE });
  if (share > 1)
    throw new NovaCostError(
      'configuration',
      `BatchingInvoker option maxQueueSharePerTenant must be a share in (0, 1], got ${share}`,
      { details: { option: 'maxQueueSharePerTenant' } },
    );
  const tenantWeight = options.tenantWeight ?? (() => 1);
  if (typeof tenantWeight !== 'function')
    throw new NovaCostError(
      'configuration',
      'BatchingInvoker option tenantWeight must be a function of the tenant id returning a number',
    );
  if (typeof random !== 'function')
    throw new NovaCostError(
      'configuration',
      'BatchingInvoker option random must be a function returning a number in [0, 1)',
    );
  return {
    lanes: {
      interactive: lane(options.lanes?.interactive, { maxBatchSize: 1, maxWaitMs: 0 }, 'interactive'),
      deferrable: lane(options.lanes?.deferrable, { maxBatchSize: 10, maxWaitMs: 1000 }, 'deferrable'),
    },
    concurrency: check(options.concurrency ?? 16, 'concurrency', { min: 1, integer: true }),
    maxQueueSize,
    maxQueuedPerTenant: Math.max(1, Math.ceil(maxQueueSize * share)),
    tenantWeight,
    quotas: { default: quota(options.quotas?.default ?? {}, 'quotas.default'), byModel },
    defaultOutputTokenEstimate: check(options.defaultOutputTokenEstimate ?? 512, 'defaultOutputTokenEstimate', {
      min: 0,
      integer: true,
    }),
    retry: {
      maxAttempts: check(retry.maxAttempts ?? 4, 'retry.maxAttempts', { min: 1, integer: true }),
      baseDelayMs: check(retry.baseDelayMs ?? 100, 'retry.baseDelayMs', { min: 0 }),
      maxDelayMs: check(retry.maxDelayMs ?? 5_000, 'retry.maxDelayMs', { min: 0 }),
      maxTotalDelayMs: check(retry.maxTotalDelayMs ?? 20_000, 'retry.maxTotalDelayMs', { min: 0 }),
    },
    embeddingMerge: {
      enabled: options.embeddingMerge?.enabled ?? true,
      maxInputsPerCall: check(options.embeddingMerge?.maxInputsPerCall ?? 96, 'embeddingMerge.maxInputsPerCall', {
        min: 1,
        integer: true,
      }),
    },
    random,
    adaptiveRate: adaptiveRate(options.adaptiveRate),
    now: options.now ?? performance.now.bind(performance),
  };
}

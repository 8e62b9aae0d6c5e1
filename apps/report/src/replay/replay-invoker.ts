import type { AnswerCache, CacheOutcome, InvocationResult, ModelInvoker, PlannedInvocation } from '@nova-cost/domain';
import { cacheTtlOf, isBilled, isReusableAnswer, NovaCostError, requestKey } from '@nova-cost/domain';
import type { LoggedCall } from '../logs/logged-call';
import type { SimulatedClock } from './simulated-clock';
import { SimulatedPromptCache } from './simulated-prompt-cache';
import { SimulatedResponseCache } from './simulated-response-cache';
import type { ReplayUpstream } from './replay-upstream';

/** What the invoker decided for the last call it saw. */
export interface InvokerDecision {
  readonly cache: CacheOutcome;
  /** The request key, for cacheable calls. */
  readonly key?: string;
}

/**
 * The end of the invoker chain in a replay: no model is called. The caching decision is the simulated response
 * cache's (in the replay's time), and the answer is the upstream's (by default, what the log recorded), its input
 * tokens split by the simulated prompt cache where the policy placed cache points. It is also
 * the async API's answer cache, as the gateway's caching link is.
 */
export class ReplayInvoker implements ModelInvoker, AnswerCache {
  private current: LoggedCall | undefined;
  private readonly cache = new SimulatedResponseCache();
  /** Bedrock's prompt cache, for the policy's cache points: read and written only by calls that reach the model. */
  private readonly promptCache = new SimulatedPromptCache();
  private last: InvokerDecision = { cache: 'bypass' };

  constructor(
    private readonly clock: SimulatedClock,
    private readonly upstream: ReplayUpstream,
  ) {}

  /**
   * Says which logged call the next request stands for (the planned request's body may be a copy of the logged one:
   * the policy writes its output cap into it).
   */
  expect(call: LoggedCall): void {
    this.current = call;
  }

  get lastDecision(): InvokerDecision {
    return this.last;
  }

  get heldKeys(): number {
    return this.cache.size + this.promptCache.size;
  }

  /** The async API's lookup (AnswerCache): an answer in the cache now, never a flight joined. */
  async lookup(request: PlannedInvocation): Promise<InvocationResult | undefined> {
    const ttlSeconds = cacheTtlOf(request);
    if (ttlSeconds === undefined || !(ttlSeconds > 0)) return undefined;
    const key = requestKey(request, request.region);
    if (!this.cache.holds(key, this.clock.nowMs)) return undefined;
    this.last = { cache: 'hit', key };
    return this.resultOf(request, this.expected(), 'hit');
  }

  /** Keeps a batch job's answer for the request's TTL, as the async API does. */
  async remember(request: PlannedInvocation, result: InvocationResult): Promise<void> {
    const ttlSeconds = cacheTtlOf(request);
    if (ttlSeconds === undefined || !(ttlSeconds > 0) || !isReusableAnswer(result.stopReason)) return;
    this.cache.keep(requestKey(request, request.region), this.clock.nowMs, ttlSeconds);
  }

  /** The answer Bedrock would give to `request` for the expected logged call, with its cache outcome. */
  resultOf(request: PlannedInvocation, call: LoggedCall, cache: CacheOutcome): InvocationResult {
    return { body: {}, ...this.upstream.answer(request, call), cache, modelId: request.modelId };
  }

  private expected(): LoggedCall {
    if (!this.current)
      throw new NovaCostError('internal', 'replay invoker called for a request no logged call stands for');
    return this.current;
  }

  async invoke(request: PlannedInvocation): Promise<InvocationResult> {
    const call = this.expected();
    this.current = undefined;
    const answer = this.upstream.answer(request, call);
    const result = (cache: CacheOutcome): InvocationResult => ({
      body: {},
      ...answer,
      // A model call reads and writes the prompt cache at the policy's points; an answer from the cache or a flight
      // makes no model call.
      ...(isBilled({ cache }) ? { usage: this.promptCache.serve(request, answer.usage, this.clock.nowMs) } : {}),
      cache,
      modelId: request.modelId,
    });
    const ttlSeconds = cacheTtlOf(request);
    if (ttlSeconds === undefined || !(ttlSeconds > 0)) {
      this.last = { cache: 'bypass' };
      return result('bypass');
    }
    const key = requestKey(request, request.region);
    const cache = this.cache.decide(key, this.clock.nowMs, {
      latencyMs: answer.latencyMs,
      ttlSeconds,
      reusable: isReusableAnswer(answer.stopReason),
    });
    this.last = { cache, key };
    return result(cache);
  }
}

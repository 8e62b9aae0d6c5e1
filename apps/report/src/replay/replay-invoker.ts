import type { InvocationRequest, InvocationResult, ModelInvoker } from '@nova-cost/domain';
import { isReusableAnswer, NovaCostError, requestKey } from '@nova-cost/domain';
import type { LoggedCall } from '../logs/logged-call';
import type { SimulatedClock } from './simulated-clock';
import type { CacheDecision } from './simulated-response-cache';
import { SimulatedResponseCache } from './simulated-response-cache';
import type { ReplayUpstream } from './replay-upstream';

/** What the invoker decided for the last call it saw. */
export interface InvokerDecision {
  readonly source: CacheDecision;
  /** The request key, for cacheable calls. */
  readonly key?: string;
}

/**
 * The end of the invoker chain in a replay: no model is called. The caching decision is the simulated response
 * cache's (in the replay's time), and the answer is the upstream's (by default, what the log recorded).
 */
export class ReplayInvoker implements ModelInvoker {
  private current: LoggedCall | undefined;
  private readonly cache = new SimulatedResponseCache();
  private last: InvokerDecision = { source: 'upstream' };

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
    return this.cache.size;
  }

  async invoke(request: InvocationRequest): Promise<InvocationResult> {
    const call = this.current;
    this.current = undefined;
    if (!call) throw new NovaCostError('internal', 'replay invoker called for a request no logged call stands for');
    const answer = this.upstream.answer(request, call);
    const result = (source: InvocationResult['source']): InvocationResult => ({
      body: {},
      ...answer,
      source,
      modelId: request.modelId,
    });
    const ttlSeconds = request.cache?.ttlSeconds;
    if (ttlSeconds === undefined || !(ttlSeconds > 0)) {
      this.last = { source: 'upstream' };
      return result('upstream');
    }
    const key = requestKey(request, request.region ?? 'us-east-1');
    const source = this.cache.decide(key, this.clock.nowMs, {
      latencyMs: answer.latencyMs,
      ttlSeconds,
      reusable: isReusableAnswer(answer.stopReason),
    });
    this.last = { source, key };
    return result(source);
  }
}

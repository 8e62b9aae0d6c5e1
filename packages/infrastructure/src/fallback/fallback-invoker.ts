import type {
  CircuitBreakers,
  CircuitVerdict,
  InvocationResult,
  InvokeOptions,
  ModelInvoker,
  ModelStream,
  ModelStreamer,
} from '@nova-cost/domain';
import { InMemoryCircuitBreakers, NovaCostError } from '@nova-cost/domain';
import { failedBeforeSending } from '../bedrock/bedrock-error.mapper';

type Call = Parameters<ModelInvoker['invoke']>[0];

/** One step down a call's fallback chain. */
export interface FallbackEvent {
  /** The target that failed or was skipped. */
  readonly from: string;
  /** The target tried next. */
  readonly to: string;
  /** Why: the failure's kind, or 'circuit-open' for a target skipped. */
  readonly reason: string;
}

export interface FallbackInvokerOptions {
  /** The targets' circuit breakers: pass the Redis ones to share them across the fleet. @default in this process */
  readonly breakers?: CircuitBreakers;
  /** Ms since the epoch, for the breakers. @default Date.now */
  readonly now?: () => number;
  /** Told of each step down a chain (metrics, logs). @default ignore */
  readonly onFallback?: (event: FallbackEvent) => void;
  /** Told when the breakers cannot answer (the target is then called as if its circuit were closed). @default ignore */
  readonly onBreakerError?: (error: unknown) => void;
}

/** Bedrock's own 5xx answers: the service, not the request, failed. */
const UNAVAILABLE = new Set(['ServiceUnavailableException', 'InternalServerException']);

/**
 * Whether a failure is the target's, so that it counts toward the target's circuit and another target may answer:
 * throttling, Bedrock's 5xx unavailability, a connection that failed before the request went out, a model Bedrock no
 * longer serves. Never an error the caller's request caused (a bad request, an input the model fails on —
 * ModelErrorException, 424 —, an abort, a budget): one tenant's inputs must not open a circuit the fleet shares. Nor a
 * call that ran out of time or whose connection broke after the request went out (see lostAfterSending): the model
 * may have run, and billed, all of it.
 */
export function fallsBack(error: unknown): boolean {
  if (!NovaCostError.is(error)) return false;
  if (error.kind === 'throttled') return true;
  if (error.kind === 'upstream-unavailable') {
    if (error.upstream === undefined) return failedBeforeSending(error);
    return UNAVAILABLE.has(error.upstream.name) || (error.upstream.status ?? 0) >= 500;
  }
  return error.kind === 'not-found' && error.upstream?.name === 'ResourceNotFoundException';
}

/**
 * Whether the target's connection broke after the request went out (a reset, a stream closed early): like a timeout,
 * the model may have run and billed the call, so no other target is tried (Bedrock would bill both while the ledger
 * records one), but it counts toward the target's circuit.
 */
function lostAfterSending(error: unknown): boolean {
  return (
    NovaCostError.is(error) &&
    error.kind === 'upstream-unavailable' &&
    error.upstream === undefined &&
    !failedBeforeSending(error)
  );
}

/**
 * Carries out the policy's fallback chain (`call.fallbacks`) around the Bedrock link: the call goes to its model, and
 * when that throttles, fails or is unavailable, to each fallback in turn, skipping targets whose circuit is open. Only
 * the answer is billed (a refused attempt is not), and it names the model that served (`modelId`). A fallback target
 * that refuses the call is skipped: the caller never gets an error the chain caused. A stream falls
 * back only before its first event: once it started, a failure is the stream's. A call without fallbacks passes
 * through untouched.
 */
export class FallbackInvoker implements ModelInvoker, ModelStreamer {
  private readonly breakers: CircuitBreakers;
  private readonly now: () => number;

  constructor(
    private readonly inner: ModelInvoker & ModelStreamer,
    private readonly options: FallbackInvokerOptions = {},
  ) {
    this.breakers = options.breakers ?? new InMemoryCircuitBreakers();
    this.now = options.now ?? Date.now;
  }

  invoke(call: Call, options?: InvokeOptions): Promise<InvocationResult> {
    if (call.fallbacks.length === 0) return this.inner.invoke(call, options);
    return this.down(call, (target) => this.inner.invoke(target, options));
  }

  stream(call: Call, options?: InvokeOptions): Promise<ModelStream> {
    if (call.fallbacks.length === 0) return this.inner.stream(call, options);
    return this.down(call, (target) => this.inner.stream(target, options));
  }

  private async down<T>(call: Call, attempt: (target: Call) => Promise<T>): Promise<T> {
    const targets = [call.modelId, ...call.fallbacks];
    let failure: unknown;
    let refused: unknown;
    const skipped: string[] = [];
    for (const [i, modelId] of targets.entries()) {
      const key = `${call.region}|${modelId}`;
      const verdict = await this.check(key);
      const next = targets[i + 1];
      if (verdict === 'open') {
        skipped.push(modelId);
        if (next !== undefined) this.options.onFallback?.({ from: modelId, to: next, reason: 'circuit-open' });
        continue;
      }
      try {
        const answer = await attempt(i === 0 ? call : { ...call, modelId, fallbacks: [] });
        if (verdict !== 'closed') this.report(this.breakers.succeeded(key));
        return answer;
      } catch (error) {
        if (lostAfterSending(error)) {
          this.report(this.breakers.failed(key, this.now()));
          throw failure ?? error;
        }
        if (!fallsBack(error)) {
          // A probe that met the call's own error proved nothing: the next call probes.
          if (verdict === 'probe') this.report(this.breakers.released(key));
          // The caller's own target: the error is the caller's (its circuit stays as it was). A fallback target refusing the call (a model that reads the request otherwise, a
          // profile Bedrock does not offer) is the chain's doing, never handed to the caller: the next one is tried,
          // and the caller gets the failure that started the chain if none answers. An abort stops it all.
          if (i === 0 || (NovaCostError.is(error) && error.kind === 'aborted')) throw error;
          refused ??= error;
          if (next !== undefined)
            this.options.onFallback?.({
              from: modelId,
              to: next,
              reason: NovaCostError.is(error) ? error.kind : 'internal',
            });
          continue;
        }
        this.report(this.breakers.failed(key, this.now()));
        // The caller gets the failure that started the chain (the model it asked for), not a fallback's.
        failure ??= error;
        if (next !== undefined)
          this.options.onFallback?.({ from: modelId, to: next, reason: (error as NovaCostError).kind });
      }
    }
    if (failure !== undefined) throw failure;
    if (skipped.length === 0) throw refused;
    throw new NovaCostError(
      'upstream-unavailable',
      `every model this call may go to kept failing lately and is rested for a while (circuit open): ${skipped.join(', ')}`,
      { details: { modelId: call.modelId, reason: 'circuit-open' } },
    );
  }

  private async check(key: string): Promise<CircuitVerdict> {
    try {
      return await this.breakers.check(key, this.now());
    } catch (error) {
      this.options.onBreakerError?.(error);
      return 'closed';
    }
  }

  /** Breaker updates are not waited for: the caller has its answer (or its next attempt) either way. */
  private report(update: Promise<void>): void {
    update.catch((error: unknown) => this.options.onBreakerError?.(error));
  }
}

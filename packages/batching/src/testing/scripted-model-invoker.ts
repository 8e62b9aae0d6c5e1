import { NovaCostError, ZERO_USAGE } from '@nova-cost/domain';
import type {
  PlannedInvocation,
  InvocationResult,
  InvokeOptions,
  JsonObject,
  ModelInvoker,
  TokenUsage,
} from '@nova-cost/domain';

/** What the scripted upstream does with one call. */
export interface Step {
  /** Answer (or fail) after this long, on the global timers (vitest fake timers drive them); 0 answers at once. @default 0 */
  readonly delayMs?: number;
  /** Reject with this instead of answering. */
  readonly error?: unknown;
  /** Throw this synchronously from invoke(), before returning any promise. */
  readonly throwSync?: unknown;
  /** @default { echo: request.body } */
  readonly body?: JsonObject;
  readonly usage?: Partial<TokenUsage>;
}

export interface RecordedCall {
  readonly request: PlannedInvocation;
  readonly signal: AbortSignal | undefined;
  readonly startedAt: number;
}

/**
 * A deterministic upstream for unit specs (not exported by the package): it answers every call as the script
 * says, honours the abort signal, and records what it saw, including how many calls overlapped.
 */
export class ScriptedModelInvoker implements ModelInvoker {
  readonly calls: RecordedCall[] = [];
  running = 0;
  maxRunning = 0;
  aborted = 0;

  constructor(private readonly script: (request: PlannedInvocation, index: number) => Step = () => ({})) {}

  invoke(request: PlannedInvocation, options: InvokeOptions = {}): Promise<InvocationResult> {
    const index = this.calls.length;
    this.calls.push({ request, signal: options.signal, startedAt: Date.now() });
    const step = this.script(request, index);
    if (step.throwSync !== undefined) throw step.throwSync;
    this.running += 1;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    return new Promise((resolve, reject) => {
      const signal = options.signal;
      const onAbort = () => {
        clearTimeout(timer);
        this.running -= 1;
        this.aborted += 1;
        reject(new NovaCostError('aborted', 'upstream call aborted'));
      };
      const answer = () => {
        signal?.removeEventListener('abort', onAbort);
        this.running -= 1;
        if (step.error !== undefined) return reject(step.error);
        resolve({
          body: step.body ?? { echo: request.body },
          usage: { ...ZERO_USAGE, ...step.usage },
          latencyMs: step.delayMs ?? 0,
          cache: 'bypass',
          modelId: request.modelId,
        });
      };
      // No delay: answer on the microtask queue, so specs need not advance the fake clock for it.
      const timer = step.delayMs ? setTimeout(answer, step.delayMs) : undefined;
      if (timer === undefined) queueMicrotask(answer);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** A Cohere embed v3 answer for the request's texts: each embedding is [length of the text, its index]. */
export function cohereAnswer(request: PlannedInvocation): JsonObject {
  const texts = request.body['texts'] as string[];
  return { id: 'e1', embeddings: texts.map((t, i) => [t.length, i]), texts, response_type: 'embeddings_floats' };
}

export const throttled = () => new NovaCostError('throttled', 'Too many requests, please wait before trying again.');

/** Lets every pending promise callback run (several hops deep) without advancing the fake clock. */
export async function flushMicrotasks(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

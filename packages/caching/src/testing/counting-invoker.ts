import { setTimeout } from 'node:timers/promises';
import type { InvocationResult, InvokeOptions, ModelInvoker, PlannedInvocation } from '@nova-cost/domain';
import type { PlannedCallFields } from '@nova-cost/testing';
import { plannedCall } from '@nova-cost/testing';
import { isJsonObject, NovaCostError } from '@nova-cost/domain';

/**
 * A slow, deterministic ModelInvoker for specs. The request body's `script` field steers it:
 * `{ stopReason?, padBytes?, fail? }`. Counts its calls.
 */
export class CountingInvoker implements ModelInvoker {
  calls = 0;
  /** Calls whose signal aborted them before they answered. */
  aborted = 0;
  private readonly waiting: { calls: number; resolve: () => void }[] = [];
  constructor(private readonly delayMs = 30) {}

  /** Resolves once `calls` calls have started (at once if they have). */
  whenCalled(calls = 1): Promise<void> {
    if (this.calls >= calls) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ calls, resolve }));
  }

  async invoke(request: PlannedInvocation, options: InvokeOptions = {}): Promise<InvocationResult> {
    this.calls += 1;
    const call = this.calls;
    for (const w of this.waiting.filter((x) => x.calls <= call)) {
      this.waiting.splice(this.waiting.indexOf(w), 1);
      w.resolve();
    }
    try {
      await setTimeout(this.delayMs, undefined, { signal: options.signal });
    } catch {
      this.aborted += 1;
      throw new NovaCostError('aborted', 'the call was aborted');
    }
    const script = isJsonObject(request.body['script']) ? request.body['script'] : {};
    if (script['fail'] === true) throw new NovaCostError('throttled', 'scripted throttle');
    const pad = typeof script['padBytes'] === 'number' ? 'x'.repeat(script['padBytes']) : '';
    return {
      body: {
        output: { message: { role: 'assistant', content: [{ text: `answer ${call}${pad}` }] } },
        stopReason: 'end_turn',
      },
      usage: { inputTokens: 1000, outputTokens: 500, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
      latencyMs: this.delayMs,
      cache: 'bypass',
      // A scripted `servedBy` stands for a fallback model answering in the planned model's place.
      modelId: typeof script['servedBy'] === 'string' ? script['servedBy'] : request.modelId,
      stopReason: typeof script['stopReason'] === 'string' ? script['stopReason'] : 'end_turn',
    };
  }
}

let counter = 0;
/** A cacheable request no other test uses (unless `text` is given). */
export function cacheableRequest(
  overrides: PlannedCallFields & { text?: string; script?: Record<string, string | number | boolean> } = {},
): PlannedInvocation {
  const { text, script, ...rest } = overrides;
  counter += 1;
  return plannedCall({
    tenantId: 'acme',
    modelId: 'amazon.nova-pro-v1:0',
    operation: 'converse',
    body: {
      messages: [{ role: 'user', content: [{ text: text ?? `question ${counter} ${Math.random()}` }] }],
      inferenceConfig: { temperature: 0 },
      ...(script ? { script } : {}),
    },
    cache: 60,
    ...rest,
  });
}

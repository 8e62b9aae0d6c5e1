import type { GuardrailApplier, GuardrailRequest, GuardrailResult } from '@nova-cost/domain';

/** A guardrail whose calls wait until released (or fail once their signal aborts, as the Bedrock adapter's do), each seeing the signal it was given. */
export class HeldApplier implements GuardrailApplier {
  readonly signals: AbortSignal[] = [];
  private readonly waiting: { resolve: (r: GuardrailResult) => void; reject: (e: Error) => void }[] = [];
  async apply(_request: GuardrailRequest, options: { signal?: AbortSignal } = {}): Promise<GuardrailResult> {
    this.signals.push(options.signal!);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      options.signal?.addEventListener('abort', () => reject(new Error('aborted upstream')), { once: true });
    });
  }
  answer(): void {
    for (const w of this.waiting.splice(0))
      w.resolve({ body: { action: 'NONE', usage: { contentPolicyUnits: 1 } }, cache: 'bypass', latencyMs: 1 });
  }
  fail(error: Error): void {
    for (const w of this.waiting.splice(0)) w.reject(error);
  }
}

import type {
  InvokeOptions,
  ModelStream,
  ModelStreamEvent,
  ModelStreamer,
  PlannedInvocation,
  StreamReport,
} from '@nova-cost/domain';
import { plannedCall } from '@nova-cost/testing';
import { isJsonObject, meteredStream, NovaCostError, StreamMeter } from '@nova-cost/domain';

/** A ConverseStream answer: `words` text deltas, then the end with usage. */
export function converseEvents(text: string, stopReason = 'end_turn'): ModelStreamEvent[] {
  const words = text.split(/(?<= )/);
  return [
    { type: 'messageStart', payload: { role: 'assistant' } },
    ...words.map((w) => ({ type: 'contentBlockDelta', payload: { contentBlockIndex: 0, delta: { text: w } } })),
    { type: 'contentBlockStop', payload: { contentBlockIndex: 0 } },
    { type: 'messageStop', payload: { stopReason } },
    {
      type: 'metadata',
      payload: {
        usage: { inputTokens: 100, outputTokens: words.length, totalTokens: 100 + words.length },
        metrics: { latencyMs: 5 },
      },
    },
  ];
}

/**
 * A ModelStreamer for specs, answering ConverseStream events. The request body's `script` steers it:
 * `{ failAfter?: number, stopReason?: string }`. `hold(n)` makes streams from now on wait after their n-th event until
 * released, so specs know a stream is in flight without guessing a latency. Counts calls and how each stream ended.
 */
export class ScriptedStreamer implements ModelStreamer {
  calls = 0;
  readonly ends: StreamReport['end'][] = [];
  private gate: { after: number; open: Promise<void>; release: () => void } | undefined;

  hold(afterEvents: number): () => void {
    let release!: () => void;
    const open = new Promise<void>((resolve) => (release = resolve));
    const gate = { after: afterEvents, open, release: () => release() };
    this.gate = gate;
    return () => {
      if (this.gate === gate) this.gate = undefined;
      gate.release();
    };
  }

  async stream(request: PlannedInvocation, options: InvokeOptions = {}): Promise<ModelStream> {
    this.calls += 1;
    const call = this.calls;
    const script = isJsonObject(request.body['script']) ? request.body['script'] : {};
    const failAfter = typeof script['failAfter'] === 'number' ? script['failAfter'] : undefined;
    const events = converseEvents(
      `answer ${call} to the question, word by word`,
      typeof script['stopReason'] === 'string' ? script['stopReason'] : 'end_turn',
    );
    const gate = this.gate;
    const signal = options.signal;
    const aborted = new Promise<never>((_, reject) =>
      signal?.addEventListener('abort', () => reject(new NovaCostError('aborted', 'the call was aborted')), {
        once: true,
      }),
    );
    aborted.catch(() => undefined);
    async function* produce(): AsyncGenerator<ModelStreamEvent> {
      for (const [i, event] of events.entries()) {
        if (i === failAfter)
          throw new NovaCostError('upstream-unavailable', 'scripted stream failure', {
            upstream: { name: 'ModelStreamErrorException' },
          });
        if (gate && i === gate.after) await Promise.race([gate.open, aborted]);
        if (signal?.aborted) throw new NovaCostError('aborted', 'the call was aborted');
        yield event;
      }
    }
    const metered = meteredStream(produce(), new StreamMeter('converse-stream', 100));
    void metered.report.then((r) => this.ends.push(r.end));
    return { cache: 'bypass', modelId: request.modelId, ...metered };
  }
}

let counter = 0;
/** A cacheable ConverseStream request no other test uses (unless `text` is given). */
export function cacheableStreamRequest(
  overrides: { text?: string; script?: Record<string, string | number>; cache?: { ttlSeconds: number } } = {},
): PlannedInvocation {
  counter += 1;
  return plannedCall({
    tenantId: 'acme',
    modelId: 'amazon.nova-pro-v1:0',
    operation: 'converse-stream',
    body: {
      messages: [{ role: 'user', content: [{ text: overrides.text ?? `question ${counter} ${Math.random()}` }] }],
      inferenceConfig: { temperature: 0 },
      ...(overrides.script ? { script: overrides.script } : {}),
    },
    cache: overrides.cache ?? 60,
  });
}

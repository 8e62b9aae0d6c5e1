import { NovaCostError } from '../errors/nova-cost.error';
import type { ModelPrice } from '../pricing/price-table';

/** Tokens a speech-to-speech session billed, speech and text apart. */
export interface SpeechUsage {
  readonly speechInputTokens: number;
  readonly textInputTokens: number;
  readonly speechOutputTokens: number;
  readonly textOutputTokens: number;
}

export const ZERO_SPEECH_USAGE: SpeechUsage = {
  speechInputTokens: 0,
  textInputTokens: 0,
  speechOutputTokens: 0,
  textOutputTokens: 0,
};

const FIELDS = ['speechInputTokens', 'textInputTokens', 'speechOutputTokens', 'textOutputTokens'] as const;

export function addSpeechUsage(a: SpeechUsage, b: SpeechUsage): SpeechUsage {
  return {
    speechInputTokens: a.speechInputTokens + b.speechInputTokens,
    textInputTokens: a.textInputTokens + b.textInputTokens,
    speechOutputTokens: a.speechOutputTokens + b.speechOutputTokens,
    textOutputTokens: a.textOutputTokens + b.textOutputTokens,
  };
}

/**
 * USD for a session's tokens: text at the row's input and output rates, speech at its speech rates. A row without
 * speech rates cannot price speech: 'unknown-price' (never $0).
 */
export function speechCostOf(usage: SpeechUsage, price: ModelPrice): number {
  const speech = usage.speechInputTokens + usage.speechOutputTokens;
  if (speech > 0 && !price.speech) {
    throw new NovaCostError(
      'unknown-price',
      `no speech price for model ${price.modelId} in ${price.region}: add speech rates to its price row`,
      { details: { modelId: price.modelId, region: price.region } },
    );
  }
  return (
    (usage.textInputTokens * price.inputPer1M +
      usage.textOutputTokens * price.outputPer1M +
      usage.speechInputTokens * (price.speech?.inputPer1M ?? 0) +
      usage.speechOutputTokens * (price.speech?.outputPer1M ?? 0)) /
    1_000_000
  );
}

type Side = { speechTokens?: unknown; textTokens?: unknown };

function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

function usageOf(part: unknown): SpeechUsage | undefined {
  if (typeof part !== 'object' || part === null) return undefined;
  const { input, output } = part as { input?: Side; output?: Side };
  if (!input && !output) return undefined;
  return {
    speechInputTokens: count(input?.speechTokens),
    textInputTokens: count(input?.textTokens),
    speechOutputTokens: count(output?.speechTokens),
    textOutputTokens: count(output?.textTokens),
  };
}

/**
 * A session's usage from Bedrock's `usageEvent`s. Each event carries `details.delta` (tokens since the previous
 * event) and `details.total` (the session's running total), speech and text apart, in and out. Deltas are summed;
 * where Bedrock's running total is ahead of that sum (an event without a delta, say), the total wins. The count never
 * goes back.
 */
export class UsageEventMeter {
  private sum: SpeechUsage = ZERO_SPEECH_USAGE;

  get total(): SpeechUsage {
    return this.sum;
  }

  /** Takes a `usageEvent` payload; returns the tokens it adds (zero for anything that is not one). */
  add(usageEvent: unknown): SpeechUsage {
    const details =
      typeof usageEvent === 'object' && usageEvent !== null ? (usageEvent as { details?: unknown }).details : undefined;
    const d = typeof details === 'object' && details !== null ? (details as { delta?: unknown; total?: unknown }) : {};
    const delta = usageOf(d.delta);
    const total = usageOf(d.total);
    let added: SpeechUsage;
    if (delta) {
      // Never below a reported total: Bedrock's own running count wins if the deltas fell behind it.
      const next = addSpeechUsage(this.sum, delta);
      added = total ? diff(maxOf(next, total), this.sum) : delta;
    } else if (total) added = diff(maxOf(this.sum, total), this.sum);
    else added = ZERO_SPEECH_USAGE;
    this.sum = addSpeechUsage(this.sum, added);
    return added;
  }
}

function maxOf(a: SpeechUsage, b: SpeechUsage): SpeechUsage {
  return Object.fromEntries(FIELDS.map((f) => [f, Math.max(a[f], b[f])])) as unknown as SpeechUsage;
}

function diff(a: SpeechUsage, b: SpeechUsage): SpeechUsage {
  return Object.fromEntries(FIELDS.map((f) => [f, a[f] - b[f]])) as unknown as SpeechUsage;
}

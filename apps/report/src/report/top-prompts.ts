import type { TopPrompt } from './report-data';

interface Entry {
  fingerprint: string;
  tenantId: string;
  modelId: string;
  repeats: number;
  savedUsd: number;
  preview?: string;
}

/**
 * The most repeated requests, in bounded memory: up to `capacity` requests are counted; when that fills, the less
 * repeated half is dropped. Counts are exact while fewer than `capacity` distinct requests repeat; beyond that a
 * rarely repeated request may be undercounted, never a frequent one missed.
 */
export class TopPrompts {
  private readonly entries = new Map<string, Entry>();

  /** @param capacity requests counted at once. @default 2000 */
  constructor(private readonly capacity = 2000) {}

  /** Counts one avoided call of the request with this key; `preview` is asked for only on a request's first count. */
  add(
    key: string,
    saved: { tenantId: string; modelId: string; savedUsd: number },
    preview?: () => string | undefined,
  ): void {
    let e = this.entries.get(key);
    if (!e) {
      if (this.entries.size >= this.capacity) this.shrink();
      const text = preview?.();
      e = {
        fingerprint: (key.split(':').pop() ?? key).slice(0, 16),
        tenantId: saved.tenantId,
        modelId: saved.modelId,
        repeats: 0,
        savedUsd: 0,
        ...(text === undefined ? {} : { preview: text }),
      };
      this.entries.set(key, e);
    }
    e.repeats += 1;
    e.savedUsd += saved.savedUsd;
  }

  top(n: number): TopPrompt[] {
    return [...this.entries.values()]
      .sort((a, b) => b.savedUsd - a.savedUsd || b.repeats - a.repeats)
      .slice(0, n)
      .map((e) => ({ ...e }));
  }

  private shrink(): void {
    const sorted = [...this.entries.entries()].sort(([, a], [, b]) => a.repeats - b.repeats);
    for (const [key] of sorted.slice(0, Math.ceil(sorted.length / 2))) this.entries.delete(key);
  }
}

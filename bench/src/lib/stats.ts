/** Value at quantile q (0..1) of the samples, by nearest rank. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

export const median = (samples: readonly number[]): number => quantile(samples, 0.5);

/** A figure measured over several rounds: the median ratio and the spread (min..max) across rounds. */
export interface RatioFigure {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly rounds: number;
}

export function ratioFigure(ratios: readonly number[]): RatioFigure {
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), rounds: ratios.length };
}

/** Nanosecond-resolution timer in milliseconds. */
export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

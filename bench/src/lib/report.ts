import { pathToFileURL } from 'node:url';
import type { RatioFigure } from './stats';
import { ratioFigure } from './stats';

/**
 * One figure of the benchmark report. Every figure compares us with a baseline measured in the same run, so a
 * noisy machine moves both sides alike: `median`, `min` and `max` are taken over the per-round values.
 */
export interface Figure {
  /** Stable id, `<section>.<figure>`, e.g. `cache.hit-p50-vs-raw-get`. */
  readonly id: string;
  /** What is compared with what, in words, e.g. "hit path p50 / raw ioredis GET p50 (2 KB request)". */
  readonly title: string;
  /** `ratio` (ours / baseline unless the title says otherwise), or the unit of an absolute count. */
  readonly unit: 'ratio' | 'count' | 'usd' | 'MiB' | 'ms' | 'req/s';
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly rounds: number;
  /** The target, as text, e.g. `<= 1.5`; absent when the figure is informative only. */
  readonly target?: string;
  /** Whether the median meets the target; absent without a target. */
  readonly pass?: boolean;
  /** The raw numbers behind the figure (baseline and contender medians, counts, settings). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A bench section: `run()` measures and returns its figures; the caller prints and stores them. */
export interface BenchSection {
  readonly name: string;
  /** One line on what the section measures and against what. */
  readonly description: string;
  run(): Promise<Figure[]>;
}

type Target = { readonly op: '<=' | '>=' | '=='; readonly value: number };

/** Builds a figure from per-round values, checking the median against the target when one is given. */
export function figure(
  id: string,
  title: string,
  perRound: readonly number[] | RatioFigure,
  options: { unit?: Figure['unit']; target?: Target; details?: Record<string, unknown> } = {},
): Figure {
  const f = Array.isArray(perRound) ? ratioFigure(perRound as number[]) : (perRound as RatioFigure);
  const { target } = options;
  const pass =
    target === undefined
      ? undefined
      : target.op === '<='
        ? f.median <= target.value
        : target.op === '>='
          ? f.median >= target.value
          : f.median === target.value;
  return {
    id,
    title,
    unit: options.unit ?? 'ratio',
    median: f.median,
    min: f.min,
    max: f.max,
    rounds: f.rounds,
    ...(target ? { target: `${target.op} ${target.value}`, pass } : {}),
    ...(options.details ? { details: options.details } : {}),
  };
}

const fmt = (x: number): string =>
  !Number.isFinite(x)
    ? String(x)
    : Math.abs(x) >= 100
      ? x.toFixed(0)
      : Math.abs(x) >= 1
        ? x.toFixed(2)
        : x.toPrecision(2);

/** The report as a fixed-width table: figure, median, spread over rounds, target and verdict. */
export function formatTable(figures: readonly Figure[]): string {
  const rows: string[][] = [['figure', 'median', 'min..max', 'rounds', 'target', '']];
  for (const f of figures) {
    rows.push([
      `${f.id}  ${f.title}`,
      `${fmt(f.median)}${f.unit === 'ratio' ? '×' : ` ${f.unit}`}`,
      `${fmt(f.min)}..${fmt(f.max)}`,
      String(f.rounds),
      f.target ?? '',
      f.pass === undefined ? '' : f.pass ? 'ok' : 'MISS',
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Lets a section file run on its own (`npx tsx src/<name>.bench.ts`): runs it and prints its table. */
export async function runIfMain(meta: ImportMeta, section: BenchSection): Promise<void> {
  const entry = process.argv[1];
  if (!entry || meta.url !== pathToFileURL(entry).href) return;
  console.log(`# ${section.name}: ${section.description}`);
  console.log(formatTable(await section.run()));
}

/** A record or file that could not be read, named in the report. */
export interface ReadProblem {
  readonly file: string;
  /** 1-based line; 0 for a problem with the whole file. */
  readonly line: number;
  readonly reason: string;
}

export interface ReadProblemsSummary {
  /** Every problem, counted. */
  readonly count: number;
  /** How many of each reason. */
  readonly byReason: Readonly<Record<string, number>>;
  /** The first `keep` problems with file and line; the rest are in the counts. */
  readonly named: readonly ReadProblem[];
}

/** Counts every problem and names the first ones, so a log set full of bad lines cannot fill memory. */
export class ReadProblems {
  private total = 0;
  private readonly reasons = new Map<string, number>();
  private readonly kept: ReadProblem[] = [];

  /** @param keep how many problems to name with file and line. @default 200 */
  constructor(private readonly keep = 200) {}

  add(problem: ReadProblem): void {
    this.total += 1;
    // Group by the reason's kind (the part before a colon), so one broken file does not make a thousand reasons.
    const kind = problem.reason.split(':')[0] ?? problem.reason;
    this.reasons.set(kind, (this.reasons.get(kind) ?? 0) + 1);
    if (this.kept.length < this.keep) this.kept.push(problem);
  }

  get count(): number {
    return this.total;
  }

  summary(): ReadProblemsSummary {
    return { count: this.total, byReason: Object.fromEntries(this.reasons), named: [...this.kept] };
  }
}

import type {
  LocalBedrockErrorAnswer,
  LocalBedrockFault,
  ResolvedFaults,
  ResolvedStreamFault,
} from './local-bedrock.options';
import { seededDice } from './seeded-dice';

export interface FaultDecision {
  /** Answer with an error or drop the socket instead of answering. */
  readonly fault?: Exclude<LocalBedrockFault, 'slow'> | 'internal-error' | 'unavailable' | LocalBedrockErrorAnswer;
  /** Extra delay before answering. */
  readonly extraMs: number;
}

/** Decides each call's fault: first the `failFirst` calls, then seeded dice against the rates. */
export class FaultPlan {
  private dice: () => number;
  private forced = 0;
  /** Streams still to break; null: every one. */
  private streamFaultsLeft: number | null = null;

  constructor(
    private faults: ResolvedFaults,
    private readonly seed: number,
  ) {
    this.dice = seededDice(seed);
    this.forced = faults.failFirst;
    this.streamFaultsLeft = faults.midStream?.streams ?? null;
  }

  configure(faults: ResolvedFaults): void {
    this.faults = faults;
    this.forced = faults.failFirst;
    this.streamFaultsLeft = faults.midStream?.streams ?? null;
  }

  reset(): void {
    this.dice = seededDice(this.seed);
    this.forced = this.faults.failFirst;
    this.streamFaultsLeft = this.faults.midStream?.streams ?? null;
  }

  /** The fault a stream about to start gets in its middle, if any. */
  nextStreamFault(): ResolvedStreamFault | undefined {
    const fault = this.faults.midStream;
    if (!fault) return undefined;
    if (this.streamFaultsLeft === null) return fault;
    if (this.streamFaultsLeft === 0) return undefined;
    this.streamFaultsLeft -= 1;
    return fault;
  }

  next(): FaultDecision {
    const f = this.faults;
    if (this.forced > 0) {
      this.forced -= 1;
      const kind = f.failFirstWith;
      if (kind === 'slow') return { extraMs: f.slowMs };
      return { fault: kind === 'server-error' ? this.serverError() : kind, extraMs: 0 };
    }
    // Always draw both numbers so one rate does not shift the sequence of the other.
    const roll = this.dice();
    const slow = this.dice() < f.slowRate ? f.slowMs : 0;
    if (roll < f.throttleRate) return { fault: 'throttle', extraMs: 0 };
    if (roll < f.throttleRate + f.serverErrorRate) return { fault: this.serverError(), extraMs: 0 };
    if (roll < f.throttleRate + f.serverErrorRate + f.dropRate) return { fault: 'drop', extraMs: 0 };
    return { extraMs: slow };
  }

  private serverError(): 'internal-error' | 'unavailable' {
    return this.dice() < 0.5 ? 'internal-error' : 'unavailable';
  }
}

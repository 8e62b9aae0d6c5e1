export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. @default 5 */
  readonly failureThreshold?: number;
  /** How long an open circuit refuses calls before letting one probe through. @default 1000 */
  readonly openMs?: number;
}

/**
 * Stops calling a store that keeps failing, so a dead Redis costs no timeout per request.
 * After `openMs` one probe is let through: success closes the circuit, failure opens it again.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | undefined;
  private probing = false;

  constructor(
    private readonly options: CircuitBreakerOptions = {},
    private readonly now: () => number = Date.now,
  ) {}

  get state(): 'closed' | 'open' | 'half-open' {
    if (this.openedAt === undefined) return 'closed';
    return this.now() - this.openedAt >= (this.options.openMs ?? 1000) ? 'half-open' : 'open';
  }

  /** Whether a call may go through now. In half-open, only one probe at a time. */
  allow(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.probing) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.openedAt = undefined;
    this.probing = false;
  }

  failure(): void {
    this.failures += 1;
    if (this.probing || this.failures >= (this.options.failureThreshold ?? 5)) this.openedAt = this.now();
    this.probing = false;
  }
}

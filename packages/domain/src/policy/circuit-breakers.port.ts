/**
 * What a circuit says of a call target now: 'closed' (call it; nothing failed lately), 'failing' (call it; it failed
 * lately, so say whether it answered), 'probe' (its circuit was open long enough: this call is the one that tests it;
 * say how it went) or 'open' (skip it).
 */
export type CircuitVerdict = 'closed' | 'failing' | 'probe' | 'open';

/** When a circuit opens and for how long. */
export interface CircuitSettings {
  /** Failures of a target in a row (each within `windowMs` of the one before) that open its circuit. @default 5 */
  readonly failureThreshold?: number;
  /** How long an open circuit skips its target before one call probes it. @default 30000 */
  readonly openMs?: number;
  /** A failure older than this no longer counts toward the threshold. @default 60000 */
  readonly windowMs?: number;
}

export const DEFAULT_CIRCUIT_SETTINGS: Required<CircuitSettings> = {
  failureThreshold: 5,
  openMs: 30_000,
  windowMs: 60_000,
};

/**
 * Circuit breakers of Bedrock call targets (a model or inference-profile id in a region), for the fallback chain: a
 * target that keeps throttling or failing is skipped for a while instead of costing every call a failed attempt.
 * Shared by the fleet (Redis) when there is one, else in this process. Fails open: a store that cannot answer says
 * 'closed'. Time comes in as `nowMs` (ms since the epoch), so tests step it.
 */
export interface CircuitBreakers {
  /** Whether a call may go to `target` now; in 'probe', this caller holds the one probe until it reports. */
  check(target: string, nowMs: number): Promise<CircuitVerdict>;
  /** The target answered: its circuit closes and its failures are forgotten. */
  succeeded(target: string): Promise<void>;
  /**
   * The target throttled, failed (5xx) or was unavailable: `failureThreshold` in a row, or a failed probe, open its
   * circuit for `openMs`.
   */
  failed(target: string, nowMs: number): Promise<void>;
  /**
   * The call that held the probe ended in a way that says nothing of the target (the caller's error, an abort): the
   * lease goes, so the next call probes instead of every call skipping the target until the lease runs out.
   */
  released(target: string): Promise<void>;
}

/** Settings with their defaults, checked: a 'configuration' error names the bad one. */
export function resolveCircuitSettings(
  settings: CircuitSettings = {},
  bad: (message: string) => Error,
): Required<CircuitSettings> {
  const resolved = { ...DEFAULT_CIRCUIT_SETTINGS, ...settings };
  if (!Number.isInteger(resolved.failureThreshold) || resolved.failureThreshold < 1)
    throw bad(`failureThreshold must be an integer >= 1, got ${String(settings.failureThreshold)}`);
  for (const key of ['openMs', 'windowMs'] as const) {
    const v = resolved[key];
    if (!Number.isFinite(v) || v <= 0) throw bad(`${key} must be a number of ms > 0, got ${String(v)}`);
  }
  return resolved;
}

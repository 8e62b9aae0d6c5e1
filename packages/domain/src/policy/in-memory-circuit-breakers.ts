import { NovaCostError } from '../errors/nova-cost.error';
import type { CircuitBreakers, CircuitSettings, CircuitVerdict } from './circuit-breakers.port';
import { resolveCircuitSettings } from './circuit-breakers.port';

interface Circuit {
  failures: number;
  lastFailureMs: number;
  /** Set while open: until when calls skip the target. */
  openUntilMs?: number;
  /** Set while a probe is out: until when no other probe goes (a probe that never reports frees it then). */
  probeUntilMs?: number;
}

/**
 * Circuit breakers in this process (see CircuitBreakers). Only targets that failed lately are kept, so the map holds
 * at most the targets failing now.
 */
export class InMemoryCircuitBreakers implements CircuitBreakers {
  private readonly circuits = new Map<string, Circuit>();
  private readonly settings: Required<CircuitSettings>;

  /** @param settings @default DEFAULT_CIRCUIT_SETTINGS */
  constructor(settings: CircuitSettings = {}) {
    this.settings = resolveCircuitSettings(
      settings,
      (m) => new NovaCostError('configuration', `circuit breakers: ${m}`),
    );
  }

  check(target: string, nowMs: number): Promise<CircuitVerdict> {
    return Promise.resolve(this.verdict(target, nowMs));
  }

  succeeded(target: string): Promise<void> {
    this.circuits.delete(target);
    return Promise.resolve();
  }

  released(target: string): Promise<void> {
    const c = this.circuits.get(target);
    if (c !== undefined) delete c.probeUntilMs;
    return Promise.resolve();
  }

  failed(target: string, nowMs: number): Promise<void> {
    const { failureThreshold, openMs } = this.settings;
    const c = this.live(target, nowMs) ?? { failures: 0, lastFailureMs: nowMs };
    c.failures += 1;
    c.lastFailureMs = nowMs;
    if (c.openUntilMs !== undefined || c.failures >= failureThreshold) {
      c.openUntilMs = nowMs + openMs;
      delete c.probeUntilMs;
    }
    this.circuits.set(target, c);
    return Promise.resolve();
  }

  private verdict(target: string, nowMs: number): CircuitVerdict {
    const c = this.live(target, nowMs);
    if (c === undefined) return 'closed';
    if (c.openUntilMs === undefined) return 'failing';
    if (nowMs < c.openUntilMs) return 'open';
    if (c.probeUntilMs !== undefined && nowMs < c.probeUntilMs) return 'open';
    c.probeUntilMs = nowMs + this.settings.openMs;
    return 'probe';
  }

  /**
   * The target's circuit, unless what it recorded has expired (then it is forgotten): a closed circuit's failures
   * windowMs after the last, an open one openMs after it could first be probed (or after its last probe lease).
   */
  private live(target: string, nowMs: number): Circuit | undefined {
    const c = this.circuits.get(target);
    if (c === undefined) return undefined;
    const { windowMs, openMs } = this.settings;
    const expiresAt =
      c.openUntilMs === undefined ? c.lastFailureMs + windowMs : Math.max(c.openUntilMs, c.probeUntilMs ?? 0) + openMs;
    if (nowMs >= expiresAt) {
      this.circuits.delete(target);
      return undefined;
    }
    return c;
  }
}

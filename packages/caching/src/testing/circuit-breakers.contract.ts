import type { CircuitBreakers } from '@nova-cost/domain';
import { expect, it } from 'vitest';

const T0 = Date.parse('2026-11-29T10:00:00Z');
/** The settings every breaker under contract is made with. */
export const CONTRACT_CIRCUIT = { failureThreshold: 3, openMs: 10_000, windowMs: 20_000 };

/** What every CircuitBreakers must do; `newBreakers` gives fresh ones with CONTRACT_CIRCUIT, and a fresh target. */
export function circuitBreakersContract(
  newBreakers: () => Promise<{ breakers: CircuitBreakers; target: string }>,
): void {
  it('lets calls through while a target answers, and says when it failed lately', async () => {
    const { breakers, target } = await newBreakers();
    expect(await breakers.check(target, T0)).toBe('closed');
    await breakers.failed(target, T0);
    expect(await breakers.check(target, T0 + 1)).toBe('failing');
    await breakers.succeeded(target);
    expect(await breakers.check(target, T0 + 2)).toBe('closed');
  });

  it('opens after failureThreshold failures in a row, and lets one probe through once openMs passed', async () => {
    const { breakers, target } = await newBreakers();
    for (let i = 0; i < 3; i++) await breakers.failed(target, T0 + i);
    expect(await breakers.check(target, T0 + 3)).toBe('open');
    expect(await breakers.check(target, T0 + 2 + 9_999)).toBe('open');
    expect(await breakers.check(target, T0 + 2 + 10_000)).toBe('probe');
    // One probe at a time: the others still skip it.
    expect(await breakers.check(target, T0 + 2 + 10_001)).toBe('open');
    await breakers.succeeded(target);
    expect(await breakers.check(target, T0 + 2 + 10_002)).toBe('closed');
  });

  it('opens again for openMs when the probe fails', async () => {
    const { breakers, target } = await newBreakers();
    for (let i = 0; i < 3; i++) await breakers.failed(target, T0);
    const probeAt = T0 + 10_000;
    expect(await breakers.check(target, probeAt)).toBe('probe');
    await breakers.failed(target, probeAt);
    expect(await breakers.check(target, probeAt + 9_999)).toBe('open');
    expect(await breakers.check(target, probeAt + 10_000)).toBe('probe');
  });

  it('lets the next call probe once a probe that proved nothing released its lease', async () => {
    const { breakers, target } = await newBreakers();
    for (let i = 0; i < 3; i++) await breakers.failed(target, T0);
    const probeAt = T0 + 10_000;
    expect(await breakers.check(target, probeAt)).toBe('probe');
    await breakers.released(target);
    expect(await breakers.check(target, probeAt + 1)).toBe('probe');
  });

  it('keeps targets apart', async () => {
    const { breakers, target } = await newBreakers();
    for (let i = 0; i < 3; i++) await breakers.failed(target, T0);
    expect(await breakers.check(`${target}-other`, T0)).toBe('closed');
  });
}

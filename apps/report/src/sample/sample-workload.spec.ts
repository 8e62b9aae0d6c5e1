import { describe, expect, it } from 'vitest';
import { parseInvocationRecord } from '../logs/parse-invocation-record';
import { sampleRecords } from './sample-workload';

describe(sampleRecords, () => {
  it('is the same for the same seed and different for another', () => {
    const a = [...sampleRecords({ records: 500 })];
    expect([...sampleRecords({ records: 500 })]).toEqual(a);
    expect([...sampleRecords({ records: 500, seed: 21 })]).not.toEqual(a);
  });

  it('writes records the parser reads, in roughly time order, with repeats, shared prefixes, failures and varied sizes', () => {
    const records = [...sampleRecords({ records: 5000 })];
    const calls = records
      .map((r, i) => parseInvocationRecord(r, { file: 'sample', line: i + 1 }))
      .map((p) => ('call' in p ? p.call : undefined));
    expect(calls.every(Boolean)).toBe(true);
    const ok = calls.filter((c) => c && !c.errorCode);
    expect(new Set(ok.map((c) => c!.operation))).toEqual(new Set(['Converse', 'ConverseStream', 'InvokeModel']));
    const bodies = ok.filter((c) => c!.body).map((c) => JSON.stringify(c!.body));
    expect(new Set(bodies).size / bodies.length).toBeLessThan(0.8);
    expect(calls.some((c) => c!.errorCode === 'ThrottlingException')).toBe(true);
    const sizes = ok.map((c) => c!.usage.inputTokens);
    expect(Math.max(...sizes) / Math.min(...sizes)).toBeGreaterThan(50);
    // Echoes of a request a few hundred ms later may land before the next record, never far out of order.
    for (let i = 1; i < calls.length; i++) expect(calls[i]!.at).toBeGreaterThan(calls[i - 1]!.at - 1000);
  });
});

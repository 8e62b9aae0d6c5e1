import { describe, expect, it } from 'vitest';
import { resolveBatchFaults, resolveBatchOptions } from './local-batch.options';

describe(resolveBatchOptions, () => {
  it('takes Bedrock-like defaults', () => {
    expect(resolveBatchOptions(undefined)).toMatchObject({
      jobDurationMs: 0,
      minRecords: 100,
      maxRecords: 50_000,
      shuffleOutput: true,
    });
  });

  it.each([
    [{ jobDurationMs: -1 }, /batch.jobDurationMs must be a finite number >= 0/],
    [{ minRecords: 0 }, /batch.minRecords must be an integer >= 1/],
    [{ minRecords: 10, maxRecords: 5 }, /batch.maxRecords \(5\) must not be below batch.minRecords \(10\)/],
    [{ clock: 5 }, /batch.clock must be a function/],
    [
      { faults: { endJobsAs: 'Exploded' } },
      /batch.faults.endJobsAs must be one of Failed, PartiallyCompleted, Expired/,
    ],
    [{ faults: { recordErrorRate: 2 } }, /batch.faults.recordErrorRate must be a number from 0 to 1/],
    ['fast', /batch must be an object/],
  ])('refuses %j naming the option', (options, message) => {
    expect(() => resolveBatchOptions(options)).toThrow(message);
  });

  it('keeps faults not named in a change', () => {
    const base = resolveBatchFaults({ failNextJobs: 2, endJobsAs: 'Expired' });
    expect(resolveBatchFaults({ recordErrorRate: 0.1 }, base)).toMatchObject({
      failNextJobs: 2,
      endJobsAs: 'Expired',
      recordErrorRate: 0.1,
    });
  });
});

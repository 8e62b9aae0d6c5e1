import { describe, expect, it } from 'vitest';
import type { FingerprintedSubmission } from './submission-fingerprint';
import { rememberSubmissionFingerprint, submissionFingerprint } from './submission-fingerprint';

const submission = (text: string, more: Partial<FingerprintedSubmission> = {}): FingerprintedSubmission => ({
  modelId: 'amazon.nova-lite-v1:0',
  operation: 'converse',
  body: { messages: [{ role: 'user', content: [{ text }] }] },
  outputS3Uri: 's3://bucket/out',
  ...more,
});

describe(submissionFingerprint, () => {
  it('is the same for the same submission and differs when any part differs', () => {
    const fingerprint = submissionFingerprint(submission('hello'));
    expect(fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(submissionFingerprint(submission('hello'))).toBe(fingerprint);
    expect(submissionFingerprint(submission('hello!'))).not.toBe(fingerprint);
    expect(submissionFingerprint(submission('hello', { modelId: 'amazon.nova-pro-v1:0' }))).not.toBe(fingerprint);
    expect(submissionFingerprint(submission('hello', { operation: 'invoke' }))).not.toBe(fingerprint);
    expect(submissionFingerprint(submission('hello', { outputS3Uri: undefined }))).not.toBe(fingerprint);
  });

  it('uses a fingerprint remembered for the body (computed on another thread) instead of walking it again', () => {
    const inline = submissionFingerprint(submission('walked elsewhere'));
    const parsed = submission('walked elsewhere');
    const { modelId, operation, outputS3Uri } = parsed;
    rememberSubmissionFingerprint(parsed.body, { modelId, operation, outputS3Uri, fingerprint: inline });
    expect(submissionFingerprint(parsed)).toBe(inline);
    // What is remembered is what is used: a fingerprint remembered for a body is not recomputed...
    const other = submission('x');
    rememberSubmissionFingerprint(other.body, { modelId, operation, outputS3Uri, fingerprint: 'f'.repeat(32) });
    expect(submissionFingerprint(other)).toBe('f'.repeat(32));
    // ...unless the other parts it covers differ: then the body is walked.
    expect(submissionFingerprint({ ...other, outputS3Uri: 's3://bucket/elsewhere' })).toBe(
      submissionFingerprint({ ...submission('x'), outputS3Uri: 's3://bucket/elsewhere' }),
    );
    expect(submissionFingerprint({ ...other, operation: 'invoke' })).not.toBe('f'.repeat(32));
  });
});

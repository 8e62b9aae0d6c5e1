import { createHash } from 'node:crypto';
import { canonicalJson } from '../invocation/request-key';
import type { JsonObject } from '../json';
import type { AsyncSubmission } from './deferred-call';

/** What a submission's fingerprint covers: a token reused with any other value of these is another request. */
export type FingerprintedSubmission = Pick<AsyncSubmission, 'modelId' | 'operation' | 'body' | 'outputS3Uri'>;

/** A fingerprint computed elsewhere, with the parts (all but the body) it was computed for. */
export interface KnownFingerprint {
  readonly modelId: string;
  readonly operation: AsyncSubmission['operation'];
  readonly outputS3Uri?: string;
  readonly fingerprint: string;
}

const remembered = new WeakMap<JsonObject, KnownFingerprint>();

/**
 * Identifies a StartAsyncInvoke submission (DeferredCall.fingerprint): sha256 of the canonical JSON of its parts. One
 * remembered for its body with the same other parts is used instead of walking the body again.
 */
export function submissionFingerprint(s: FingerprintedSubmission): string {
  const known = remembered.get(s.body);
  if (
    known &&
    known.modelId === s.modelId &&
    known.operation === s.operation &&
    (known.outputS3Uri ?? null) === (s.outputS3Uri ?? null)
  )
    return known.fingerprint;
  const parts = { modelId: s.modelId, operation: s.operation, body: s.body, output: s.outputS3Uri ?? null };
  return createHash('sha256').update(canonicalJson(parts)).digest('hex').slice(0, 32);
}

/**
 * Remembers the fingerprint of a submission whose body is `body` (submissionFingerprint of the same JSON, computed
 * elsewhere: the gateway walks a large body on another thread) until the body is garbage.
 */
export function rememberSubmissionFingerprint(body: JsonObject, known: KnownFingerprint): void {
  remembered.set(body, known);
}

/** The submission parts remembered for `body` (see rememberSubmissionFingerprint), so its operation is not read again. */
export function rememberedSubmission(body: JsonObject): KnownFingerprint | undefined {
  return remembered.get(body);
}

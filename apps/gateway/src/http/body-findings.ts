import type { BodyAnalysis, JsonObject, KnownFingerprint } from '@nova-cost/domain';
import {
  analyseBody,
  guardrailBodyDigest,
  isJsonObject,
  rememberBodyAnalysis,
  rememberGuardrailDigest,
  rememberSubmissionFingerprint,
  submissionFingerprint,
} from '@nova-cost/domain';
import type { Operation } from '@nova-cost/domain';
import { parseStartAsyncInvoke } from './async-invoke.routes';
import type { BodyShapeProblem } from './parse-model-request';
import { modelBodyProblem } from './parse-model-request';

/** What a request body is for: it decides what is worth computing from it ahead of its use. */
export type BodySubject =
  /** A model request body for `operation` (converse, invoke, streams, count-tokens) of `modelId`. */
  | { readonly kind: 'model'; readonly modelId: string; readonly operation: Operation }
  /** StartAsyncInvoke's body: the model body is its `modelInput`, for its `modelId`. */
  | { readonly kind: 'async-invoke' }
  /** ApplyGuardrail's body. */
  | { readonly kind: 'guardrail' };

/** What walking a body all the way gives planning and the cache key, computed once (on another thread for a large body). */
export interface BodyFindings {
  /** The model body's token tally and key digest (model and async-invoke bodies). */
  readonly analysis?: BodyAnalysis;
  /** The digest of a guardrail body's cache key. */
  readonly guardrailDigest?: string;
  /** A StartAsyncInvoke body's submission fingerprint, with the parts it covers (a body the route accepts). */
  readonly fingerprint?: KnownFingerprint;
  /** What is wrong with a model body's shape for its operation (the request is refused with it). */
  readonly shapeProblem?: BodyShapeProblem;
}

/** The fingerprint of the submission `body` (a StartAsyncInvoke body) makes, when the route accepts it. */
function fingerprintOf(body: JsonObject): KnownFingerprint | undefined {
  let submission;
  try {
    submission = parseStartAsyncInvoke('', body);
  } catch {
    return undefined; // refused by the route itself, which says why
  }
  const { modelId, operation, outputS3Uri } = submission;
  return {
    modelId,
    operation,
    ...(outputS3Uri ? { outputS3Uri } : {}),
    fingerprint: submissionFingerprint(submission),
  };
}

/** The model body of a request body of `subject`, and its model, when it has one. */
function modelBodyOf(body: JsonObject, subject: BodySubject): { body: JsonObject; modelId: string } | undefined {
  if (subject.kind === 'model') return { body, modelId: subject.modelId };
  if (subject.kind !== 'async-invoke') return undefined;
  const input = body['modelInput'];
  const modelId = body['modelId'];
  return isJsonObject(input) && typeof modelId === 'string' && modelId !== '' ? { body: input, modelId } : undefined;
}

/** Walks a parsed body for what its subject needs later. */
export function findingsOf(body: JsonObject, subject: BodySubject): BodyFindings {
  if (subject.kind === 'guardrail') return { guardrailDigest: guardrailBodyDigest(body) };
  const shapeProblem = subject.kind === 'model' ? modelBodyProblem(subject.operation, body) : undefined;
  if (shapeProblem) return { shapeProblem };
  const model = modelBodyOf(body, subject);
  const fingerprint = subject.kind === 'async-invoke' ? fingerprintOf(body) : undefined;
  return { ...(model ? { analysis: analyseBody(model) } : {}), ...(fingerprint ? { fingerprint } : {}) };
}

/**
 * Remembers findings (made from the same bytes, on another thread) for the body parsed here, so the request key,
 * token estimate, guardrail key and async submission fingerprint read them instead of walking the body.
 */
export function rememberFindings(body: JsonObject, subject: BodySubject, findings: BodyFindings): void {
  if (findings.guardrailDigest !== undefined) rememberGuardrailDigest(body, findings.guardrailDigest);
  const model = modelBodyOf(body, subject);
  if (model && findings.analysis) rememberBodyAnalysis(model.body, findings.analysis);
  if (model && findings.fingerprint) rememberSubmissionFingerprint(model.body, findings.fingerprint);
}

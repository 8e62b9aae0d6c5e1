import type { BodyAnalysis, JsonObject } from '@nova-cost/domain';
import {
  analyseBody,
  guardrailBodyDigest,
  isJsonObject,
  rememberBodyAnalysis,
  rememberGuardrailDigest,
} from '@nova-cost/domain';

/** What a request body is for: it decides what is worth computing from it ahead of its use. */
export type BodySubject =
  /** A model request body (converse, invoke, streams, count-tokens) for `modelId`. */
  | { readonly kind: 'model'; readonly modelId: string }
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
  const model = modelBodyOf(body, subject);
  return model ? { analysis: analyseBody(model) } : {};
}

/**
 * Remembers findings (made from the same bytes, on another thread) for the body parsed here, so the request key,
 * token estimate and guardrail key read them instead of walking the body.
 */
export function rememberFindings(body: JsonObject, subject: BodySubject, findings: BodyFindings): void {
  if (findings.guardrailDigest !== undefined) rememberGuardrailDigest(body, findings.guardrailDigest);
  const model = modelBodyOf(body, subject);
  if (model && findings.analysis) rememberBodyAnalysis(model.body, findings.analysis);
}

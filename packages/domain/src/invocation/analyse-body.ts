import { createHash } from 'node:crypto';
import type { JsonObject } from '../json';
import type { BodyAnalysis } from './body-analysis';
import type { InvocationRequest } from './invocation.types';
import { bodyTally, modelFamilyOf } from './request-features';
import { canonicalJson } from './request-key';

/** The analysis of a request's body, exactly as requestFeatures and requestKey compute it inline. */
export function analyseBody(request: Pick<InvocationRequest, 'body' | 'modelId'>): BodyAnalysis {
  return { digest: bodyDigest(request.body), tally: bodyTally(request.body, modelFamilyOf(request.modelId)) };
}

/** sha256 (hex) of a body's canonical JSON (fields that cannot change the answer left out). */
export function bodyDigest(body: JsonObject): string {
  return createHash('sha256').update(canonicalJson(body, true)).digest('hex');
}

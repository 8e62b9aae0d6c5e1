import { createHash } from 'node:crypto';
import { NovaCostError } from '../errors/nova-cost.error';
import { canonicalJson, keyOf } from '../invocation/request-key';
import type { JsonObject } from '../json';
import type { GuardrailRequest } from './guardrail.types';

const rememberedDigests = new WeakMap<JsonObject, string>();

/** sha256 (hex) of an ApplyGuardrail body's canonical JSON: the digest of its cache key. */
export function guardrailBodyDigest(body: JsonObject): string {
  return rememberedDigests.get(body) ?? createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/**
 * Remembers the digest of `body` (guardrailBodyDigest of the same JSON, computed elsewhere: the gateway walks a large
 * body on another thread) until the body is garbage, so guardrailKey does not walk it again.
 */
export function rememberGuardrailDigest(body: JsonObject, digest: string): void {
  rememberedDigests.set(body, digest);
}

const GUARDRAIL_ID = /^(([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail\/([a-z0-9]+)))$/;
const GUARDRAIL_VERSION = /^(([1-9][0-9]{0,7})|(DRAFT))$/;

/**
 * What the ledger and metrics call a guardrail: `guardrail/<id>` (an ARN reduced to its id). Throws a validation
 * error for an identifier or version Bedrock would refuse, with its pattern.
 */
export function guardrailLabel(request: Pick<GuardrailRequest, 'guardrailId' | 'guardrailVersion'>): string {
  const id = GUARDRAIL_ID.exec(request.guardrailId);
  if (!id || request.guardrailId.length > 2048)
    throw new NovaCostError(
      'validation',
      `guardrail identifier must be a guardrail id ([a-z0-9]+) or its ARN, got ${JSON.stringify(request.guardrailId.slice(0, 120))}`,
      { details: { field: 'guardrailIdentifier' } },
    );
  if (!GUARDRAIL_VERSION.test(request.guardrailVersion))
    throw new NovaCostError(
      'validation',
      `guardrail version must be a version number (1 to 99999999) or DRAFT, got ${JSON.stringify(request.guardrailVersion.slice(0, 40))}`,
      { details: { field: 'guardrailVersion' } },
    );
  return `guardrail/${id[5] ?? id[2]}`;
}

/**
 * The identity of an ApplyGuardrail request for caching, in the request key's form:
 * `nc:<version>:<tenant>:<region>:guardrail:<identifier>@<version>:apply-guardrail:<sha256 of the canonical body>`.
 */
export function guardrailKey(request: GuardrailRequest, region: string): string {
  const digest = guardrailBodyDigest(request.body);
  const part = (s: string) => encodeURIComponent(s);
  const subject = `guardrail:${part(request.guardrailId)}@${part(request.guardrailVersion)}`;
  return keyOf(request.tenantId, region, subject, 'apply-guardrail', digest);
}

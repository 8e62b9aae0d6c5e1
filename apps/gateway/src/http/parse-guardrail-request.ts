import type { GuardrailRequest, JsonObject } from '@nova-cost/domain';
import { NovaCostError, guardrailLabel, isJsonObject } from '@nova-cost/domain';
import { hint } from './parse-model-request';

const GUARDRAIL_PATH = /^\/guardrail\/([^/]+)\/version\/([^/]+)\/apply$/;

function invalid(message: string, field: string): NovaCostError {
  return new NovaCostError('validation', message, { details: { field } });
}

/** The guardrail and version of a raw `/guardrail/{id}/version/{version}/apply` target, or undefined for other paths. */
export function matchGuardrailRoute(rawPath: string): { guardrailId: string; guardrailVersion: string } | undefined {
  const m = GUARDRAIL_PATH.exec(rawPath);
  if (!m) return undefined;
  let route: { guardrailId: string; guardrailVersion: string };
  try {
    route = { guardrailId: decodeURIComponent(m[1]!), guardrailVersion: decodeURIComponent(m[2]!) };
  } catch {
    throw invalid('guardrail identifier or version in the path is not valid percent-encoding', 'guardrailIdentifier');
  }
  guardrailLabel(route); // the shape Bedrock accepts, or a validation error naming the field
  return route;
}

function contentShape(body: JsonObject): void {
  if (body['source'] !== 'INPUT' && body['source'] !== 'OUTPUT')
    throw invalid('apply-guardrail body must have "source": "INPUT" or "OUTPUT"', 'source');
  const content = body['content'];
  if (!Array.isArray(content) || content.length === 0)
    throw invalid('apply-guardrail body must have a non-empty "content" array', 'content');
  for (const [i, block] of content.entries()) {
    const text = isJsonObject(block) ? block['text'] : undefined;
    const image = isJsonObject(block) ? block['image'] : undefined;
    const ok =
      isJsonObject(block) &&
      Object.keys(block).length === 1 &&
      ((isJsonObject(text) && typeof text['text'] === 'string') || isJsonObject(image));
    if (!ok)
      throw invalid(
        `content[${i}] must be {"text": {"text": string}} or {"image": {"format", "source": {"bytes"}}}`,
        `content[${i}]`,
      );
  }
  const scope = body['outputScope'];
  if (scope !== undefined && scope !== 'INTERVENTIONS' && scope !== 'FULL')
    throw invalid('outputScope must be "INTERVENTIONS" or "FULL"', 'outputScope');
}

/** A GuardrailRequest from the HTTP parts (the body parsed: see RequestBodyParser), or a validation error naming what is wrong. */
export function parseGuardrailRequest(
  tenantId: string,
  route: { guardrailId: string; guardrailVersion: string },
  body: JsonObject,
  headers: Readonly<Record<string, string | string[] | undefined>>,
): GuardrailRequest {
  contentShape(body);
  const cache = hint(headers['x-nova-cost-cache-hint'], 'x-nova-cost-cache-hint', ['opt-in', 'opt-out'] as const);
  return { tenantId, ...route, body, ...(cache ? { hints: { cache } } : {}) };
}

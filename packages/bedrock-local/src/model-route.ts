import type { ModelSpec } from '@nova-cost/domain';
import { findModel, hasGlobalProfile, resolveModelId } from '@nova-cost/domain';
import { WireError, validation } from './wire-error';

/** The runtime operations addressed by `/model/{modelId}/…`. */
export type ModelOperation =
  | 'converse'
  | 'invoke'
  | 'converse-stream'
  | 'invoke-with-response-stream'
  | 'invoke-with-bidirectional-stream'
  | 'count-tokens';

export interface ModelRoute {
  /** The model id as the caller addressed it, URL-decoded. */
  readonly modelId: string;
  readonly operation: ModelOperation;
}

const PATH =
  /^\/model\/([^/]+)\/(converse|invoke|converse-stream|invoke-with-response-stream|invoke-with-bidirectional-stream|count-tokens)$/;

/** `/model/{url-encoded id}/{operation}`, or undefined for any other path. */
export function parseModelRoute(pathname: string): ModelRoute | undefined {
  const match = PATH.exec(pathname);
  if (!match) return undefined;
  let modelId: string;
  try {
    modelId = decodeURIComponent(match[1] ?? '');
  } catch {
    throw validation('The provided model identifier is invalid.');
  }
  return { modelId, operation: match[2] as ModelOperation };
}

const GUARDRAIL_PATH = /^\/guardrail\/([^/]+)\/version\/([^/]+)\/apply$/;

/** `/guardrail/{id}/version/{version}/apply` (ApplyGuardrail), or undefined for any other path. */
export function parseGuardrailRoute(pathname: string): { guardrailId: string; version: string } | undefined {
  const match = GUARDRAIL_PATH.exec(pathname);
  if (!match) return undefined;
  try {
    return { guardrailId: decodeURIComponent(match[1] ?? ''), version: decodeURIComponent(match[2] ?? '') };
  } catch {
    throw validation('The guardrail identifier or version is invalid.');
  }
}

/**
 * Text models Bedrock serves that nova-cost's catalog does not price: answered through Converse (the one API every
 * text model speaks), so the gateway's handling of models outside its catalog can be tried without AWS.
 */
export const UNCATALOGUED_TEXT_MODELS: readonly string[] = [
  'writer.palmyra-x5-v1:0',
  'qwen.qwen3-32b-v1:0',
  'deepseek.r1-v1:0',
  'openai.gpt-oss-120b-1:0',
  'ai21.jamba-1-5-large-v1:0',
];

function uncatalogued(baseModelId: string): ModelSpec {
  return {
    id: baseModelId,
    name: baseModelId,
    provider: 'amazon',
    kind: 'text',
    capabilities: ['tools'],
    bodyFormat: 'uncatalogued',
    contextTokens: 128_000,
  } as unknown as ModelSpec;
}

// Retired models Bedrock still recognises: it answers them with ResourceNotFoundException.
const END_OF_LIFE = new Set([
  'anthropic.claude-v2',
  'anthropic.claude-v2:1',
  'anthropic.claude-instant-v1',
  'anthropic.claude-v1',
]);

/**
 * The catalog model behind an id (a model id, a `us.`/`eu.`/`apac.`… geo profile, or a `global.` profile where the
 * model has one), answering as Bedrock does when there is none: a malformed id fails the modelId pattern and an
 * unknown one "is invalid" (both ValidationException 400); a retired model is ResourceNotFoundException 404.
 */
export function lookUpModel(modelId: string): { spec: ModelSpec; baseModelId: string } {
  let baseModelId: string;
  let scope: string;
  try {
    ({ baseModelId, scope } = resolveModelId(modelId));
  } catch {
    throw validation(
      `1 validation error detected: Value '${modelId.slice(0, 200)}' at 'modelId' failed to satisfy constraint: Member must satisfy regular expression pattern`,
    );
  }
  if (END_OF_LIFE.has(baseModelId)) {
    throw new WireError(
      404,
      'ResourceNotFoundException',
      'This model version has reached the end of its life. Please refer to the AWS documentation for more details.',
    );
  }
  // A global profile exists only for some models: Bedrock does not know `global.` ids of the others.
  if (scope === 'global' && !hasGlobalProfile(baseModelId))
    throw validation('The provided model identifier is invalid.');
  const spec =
    findModel(modelId) ?? (UNCATALOGUED_TEXT_MODELS.includes(baseModelId) ? uncatalogued(baseModelId) : undefined);
  if (!spec) throw validation('The provided model identifier is invalid.');
  return { spec, baseModelId };
}

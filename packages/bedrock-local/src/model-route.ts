import type { ModelSpec } from '@nova-cost/domain';
import { findModel, resolveModelId } from '@nova-cost/domain';
import { WireError, validation } from './wire-error';

export interface ModelRoute {
  /** The model id as the caller addressed it, URL-decoded. */
  readonly modelId: string;
  readonly operation: 'converse' | 'invoke';
}

const PATH = /^\/model\/([^/]+)\/(converse|invoke)$/;

/** `/model/{url-encoded id}/converse|invoke`, or undefined for any other path. */
export function parseModelRoute(pathname: string): ModelRoute | undefined {
  const match = PATH.exec(pathname);
  if (!match) return undefined;
  let modelId: string;
  try {
    modelId = decodeURIComponent(match[1] ?? '');
  } catch {
    throw validation('The provided model identifier is invalid.');
  }
  return { modelId, operation: match[2] as 'converse' | 'invoke' };
}

// Retired models Bedrock still recognises: it answers them with ResourceNotFoundException.
const END_OF_LIFE = new Set(['anthropic.claude-v2', 'anthropic.claude-v2:1', 'anthropic.claude-instant-v1', 'anthropic.claude-v1']);

/**
 * The catalog model behind an id, answering as Bedrock does when there is none: a malformed id fails the
 * modelId pattern and an unknown one "is invalid" (both ValidationException 400); a retired model is
 * ResourceNotFoundException 404.
 */
export function lookUpModel(modelId: string): { spec: ModelSpec; baseModelId: string } {
  let baseModelId: string;
  try {
    baseModelId = resolveModelId(modelId).baseModelId;
  } catch {
    throw validation(`1 validation error detected: Value '${modelId.slice(0, 200)}' at 'modelId' failed to satisfy constraint: Member must satisfy regular expression pattern`);
  }
  if (END_OF_LIFE.has(baseModelId)) {
    throw new WireError(404, 'ResourceNotFoundException', 'This model version has reached the end of its life. Please refer to the AWS documentation for more details.');
  }
  const spec = findModel(modelId);
  if (!spec) throw validation('The provided model identifier is invalid.');
  return { spec, baseModelId };
}

import { findModel } from '@nova-cost/domain';

/**
 * The `model` label of a metric: the base model id of a model in the catalog, whatever form the client addressed
 * it in (profile id, ARN with an account), else `other`. Labels are series: taking the id as typed would let
 * clients create one per spelling. Every guardrail (`guardrail/<id>`) is `guardrail`.
 */
export function modelLabel(modelId: string): string {
  if (modelId.startsWith('guardrail/')) return 'guardrail';
  try {
    return findModel(modelId)?.id ?? 'other';
  } catch {
    return 'other';
  }
}

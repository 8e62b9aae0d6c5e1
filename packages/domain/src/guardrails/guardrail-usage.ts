import type { JsonObject } from '../json';
import { isJsonObject } from '../json';

/** What one ApplyGuardrail call was billed: text units (up to 1,000 characters each) per policy, and images. */
export interface GuardrailUsage {
  readonly contentPolicyUnits: number;
  readonly topicPolicyUnits: number;
  readonly sensitiveInformationPolicyUnits: number;
  readonly contextualGroundingPolicyUnits: number;
  readonly automatedReasoningPolicyUnits: number;
  /** Word filters and regular-expression sensitive-information filters: counted by Bedrock, billed nothing. */
  readonly freeUnits: number;
  readonly contentPolicyImageUnits: number;
}

/** Bedrock bills a guardrail by the text unit: up to this many characters of one text block. */
export const GUARDRAIL_TEXT_UNIT_CHARS = 1000;

const count = (value: unknown): number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;

/** The usage an ApplyGuardrail answer states (its `usage`); a policy it does not name billed nothing. */
export function guardrailUsageOf(body: JsonObject): GuardrailUsage {
  const u = isJsonObject(body['usage']) ? body['usage'] : {};
  return {
    contentPolicyUnits: count(u['contentPolicyUnits']),
    topicPolicyUnits: count(u['topicPolicyUnits']),
    sensitiveInformationPolicyUnits: count(u['sensitiveInformationPolicyUnits']),
    contextualGroundingPolicyUnits: count(u['contextualGroundingPolicyUnits']),
    automatedReasoningPolicyUnits: count(u['automatedReasoningPolicyUnits']),
    freeUnits: count(u['wordPolicyUnits']) + count(u['sensitiveInformationPolicyFreeUnits']),
    contentPolicyImageUnits: count(u['contentPolicyImageUnits']),
  };
}

/**
 * The most an ApplyGuardrail request can be billed, for the budget: every priced policy checking each text block (a
 * unit per started 1,000 characters, at least one) and each image once.
 */
export function guardrailWorstCase(body: JsonObject): GuardrailUsage {
  let units = 0;
  let images = 0;
  for (const block of Array.isArray(body['content']) ? body['content'] : []) {
    if (!isJsonObject(block)) continue;
    const text = isJsonObject(block['text']) ? block['text']['text'] : undefined;
    if (typeof text === 'string') units += Math.max(1, Math.ceil(text.length / GUARDRAIL_TEXT_UNIT_CHARS));
    if (block['image'] !== undefined) images += 1;
  }
  return {
    contentPolicyUnits: units,
    topicPolicyUnits: units,
    sensitiveInformationPolicyUnits: units,
    contextualGroundingPolicyUnits: units,
    automatedReasoningPolicyUnits: units,
    freeUnits: 0,
    contentPolicyImageUnits: images,
  };
}

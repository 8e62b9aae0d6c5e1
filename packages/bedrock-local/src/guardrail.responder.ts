import { isObject } from './prompt';
import { validation } from './wire-error';

/** A text unit, what guardrail policies are billed by: up to 1,000 characters of one text block. */
const TEXT_UNIT_CHARS = 1000;

/** Words the local guardrail denies (its one denied topic), so a spec can make it intervene. */
const DENIED = /\b(forbidden|jailbreak)\b/i;

const BLOCKED_MESSAGE = 'Sorry, the model cannot answer this question.';

/**
 * ApplyGuardrail against the local guardrail: a denied topic (texts naming "forbidden" or "jailbreak"), and content,
 * word and sensitive-information filters that pass everything. Each policy is billed one unit per started 1,000
 * characters of each text block, as Bedrock bills them.
 */
export function answerApplyGuardrail(body: Record<string, unknown>, version: string): Record<string, unknown> {
  if (version !== 'DRAFT' && !/^[1-9][0-9]{0,7}$/.test(version))
    throw validation(`The guardrail version '${version.slice(0, 40)}' is invalid: DRAFT or a version number.`);
  if (body['source'] !== 'INPUT' && body['source'] !== 'OUTPUT')
    throw validation(
      "1 validation error detected: Value at 'source' failed to satisfy constraint: Member must satisfy enum value set: [INPUT, OUTPUT]",
    );
  const content = body['content'];
  if (!Array.isArray(content) || content.length === 0)
    throw validation(
      "1 validation error detected: Value at 'content' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  const texts = content.map((block, i) => {
    const text = isObject(block) && isObject(block['text']) ? block['text']['text'] : undefined;
    if (typeof text !== 'string') throw validation(`content.${i} must be a text block {text: {text}}`);
    return text;
  });
  const units = texts.reduce((sum, t) => sum + Math.max(1, Math.ceil(t.length / TEXT_UNIT_CHARS)), 0);
  const characters = texts.reduce((sum, t) => sum + t.length, 0);
  const usage = {
    topicPolicyUnits: units,
    contentPolicyUnits: units,
    wordPolicyUnits: units,
    sensitiveInformationPolicyUnits: units,
    sensitiveInformationPolicyFreeUnits: 0,
    contextualGroundingPolicyUnits: 0,
  };
  const guardrailCoverage = { textCharacters: { guarded: characters, total: characters } };
  const invocationMetrics = { guardrailProcessingLatency: 0, usage, guardrailCoverage };
  const denied = texts.some((t) => DENIED.test(t));
  if (!denied) return { usage, action: 'NONE', outputs: [], assessments: [{ invocationMetrics }], guardrailCoverage };
  return {
    usage,
    action: 'GUARDRAIL_INTERVENED',
    actionReason: 'Guardrail blocked.',
    outputs: [{ text: BLOCKED_MESSAGE }],
    assessments: [
      {
        topicPolicy: { topics: [{ name: 'Forbidden', type: 'DENY', action: 'BLOCKED', detected: true }] },
        invocationMetrics,
      },
    ],
    guardrailCoverage,
  };
}

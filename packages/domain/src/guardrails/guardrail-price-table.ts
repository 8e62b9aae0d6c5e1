import { NovaCostError } from '../errors/nova-cost.error';
import type { GuardrailUsage } from './guardrail-usage';

/** What Bedrock Guardrails bill in one region: USD per 1,000 text units of each policy, and per image. */
export interface GuardrailPrice {
  readonly region: string;
  /** Content filters on text (hate, insults, sexual, violence, misconduct, prompt attack). */
  readonly contentPer1KUnits: number;
  /** Denied topics. */
  readonly topicPer1KUnits: number;
  /** Sensitive-information filters detecting PII (regular-expression filters are free). */
  readonly sensitiveInformationPer1KUnits: number;
  readonly contextualGroundingPer1KUnits: number;
  readonly automatedReasoningPer1KUnits: number;
  /** Content filters on an image, per image. */
  readonly contentPerImage: number;
  /** Where the figures were read. */
  readonly source: string;
  /** The day they were read (YYYY-MM-DD). */
  readonly asOf: string;
}

/**
 * The rates since Bedrock cut guardrail prices in December 2024 (word filters and regular-expression sensitive
 * information filters free). Checked on 2026-11-29 with the project's document search (the Bedrock pricing page itself
 * could be read there only up to its model tables): content filters $0.15, denied topics $0.15 and PII filters $0.10
 * per 1,000 text units agree across two pages quoting the pricing page (hivebook.wiki's Bedrock Guardrails table,
 * techjacksolutions.com "What Is Amazon Bedrock Guardrails", verified May 2026); contextual grounding $0.10, Automated
 * Reasoning $0.17 and image content filters $0.00075 per image were found in no source reachable from here: they are
 * the least certain. Override any of them with the price file's guardrailPrices (NOVA_COST_PRICES).
 */
const RATES: Omit<GuardrailPrice, 'region'> = {
  contentPer1KUnits: 0.15,
  topicPer1KUnits: 0.15,
  sensitiveInformationPer1KUnits: 0.1,
  contextualGroundingPer1KUnits: 0.1,
  automatedReasoningPer1KUnits: 0.17,
  contentPerImage: 0.00075,
  source:
    'https://aws.amazon.com/bedrock/pricing/ (Guardrails) as quoted by hivebook.wiki and techjacksolutions.com: content, topic and PII rates agree; contextual grounding, Automated Reasoning and image rates unverified',
  asOf: '2026-11-29',
};

/** The default guardrail prices: the same in every region the model price table covers. */
export const DEFAULT_GUARDRAIL_PRICES: readonly GuardrailPrice[] = ['us-east-1', 'us-west-2', 'ap-northeast-1'].map(
  (region) => ({ region, ...RATES }),
);

/** USD for one ApplyGuardrail call of `usage` at `price`. */
export function guardrailCost(usage: GuardrailUsage, price: GuardrailPrice): number {
  return (
    (usage.contentPolicyUnits * price.contentPer1KUnits +
      usage.topicPolicyUnits * price.topicPer1KUnits +
      usage.sensitiveInformationPolicyUnits * price.sensitiveInformationPer1KUnits +
      usage.contextualGroundingPolicyUnits * price.contextualGroundingPer1KUnits +
      usage.automatedReasoningPolicyUnits * price.automatedReasoningPer1KUnits) /
      1000 +
    usage.contentPolicyImageUnits * price.contentPerImage
  );
}

/** The guardrail price of `region`; an 'unknown-price' error when the table has none (never $0). */
export function guardrailPriceIn(prices: readonly GuardrailPrice[], region: string): GuardrailPrice {
  const price = prices.find((p) => p.region === region);
  if (!price)
    throw new NovaCostError(
      'unknown-price',
      `no guardrail price for region ${region}: add one to the guardrail prices`,
      {
        details: { region },
      },
    );
  return price;
}

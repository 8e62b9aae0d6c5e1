import { SAVING_STRATEGIES } from '@nova-cost/domain';
import type { LeverInfo } from './report-data';

const KNOWN: Readonly<Record<string, Omit<LeverInfo, 'id' | 'status'>>> = {
  cache: {
    title: 'Response cache',
    note: 'a repeat of a cacheable request within its TTL is answered from the cache: no model call',
  },
  coalescing: { title: 'Coalescing', note: 'identical requests in flight at the same time share one model call' },
  routing: {
    title: 'Model routing',
    note: "the policy's routes send a request to a cheaper model that can serve it (same tokens assumed)",
  },
  'service-tier': {
    title: 'Service tiers',
    note: "the policy's serviceTiers send deferrable lanes or named tenants to Flex where the model offers it: the difference to the standard tier",
  },
  'prompt-cache': {
    title: 'Prompt-cache points',
    note: "cache points the policy's cachePoints insert where the payoff guard expects reuse, net of the writes' premium",
  },
  'inference-profile': {
    title: 'Inference profiles',
    note: "the policy's inferenceProfiles send calls whose tenant allows it through a model's global cross-Region profile where it is priced lower (Claude 4.5 and later: 10% below in-region and geo)",
  },
  'output-cap': {
    title: 'Output caps',
    note: "the policy's outputCaps: a default maxTokens, or a lower ceiling; output past the cap is not generated (measured here, where the logged answer says what the cap cut off; the gateway cannot know it)",
  },
  batching: {
    title: 'Batch inference',
    note: "deferrable callers' calls through the async API, answered in Bedrock batch jobs at half the on-demand price where their group reaches a job's minimum records in time",
  },
};

/** Levers the replay measures beside the domain's saving strategies. */
const REPLAY_ONLY = ['output-cap'] as const;

/**
 * Every lever the report shows: each saving strategy the domain records (so a strategy added to the domain shows
 * up here measured, with no change to the report), then the replay's own.
 */
export function leverCatalogue(): LeverInfo[] {
  return [...SAVING_STRATEGIES, ...REPLAY_ONLY].map((id): LeverInfo => ({
    id,
    status: 'measured',
    ...(KNOWN[id] ?? { title: id, note: '' }),
  }));
}

import { CachingGuardrailApplier } from '@nova-cost/caching';
import {
  ApplyGuardrail,
  DEFAULT_CACHE_TTL_SECONDS,
  DEFAULT_GUARDRAIL_PRICES,
  mergeGuardrailPrices,
} from '@nova-cost/domain';
import { ContainerModule } from 'inversify';
import { TOKENS } from './tokens';

/**
 * ApplyGuardrail: the tenant's budget (held through the cost policy), the same response store as model answers (cached
 * by content for the policy's default TTL), and the Bedrock client of the model calls. Never batched or queued.
 */
export const guardrailsModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.applyGuardrail).toResolvedValue(
    (config, { region }, bedrock, store, policy, ledger, logger) => {
      const applier = new CachingGuardrailApplier(bedrock, store, { region });
      return new ApplyGuardrail({
        budget: policy,
        applier,
        ledger,
        // The default table, with the price file's guardrailPrices (NOVA_COST_PRICES) in place of theirs.
        prices: mergeGuardrailPrices(DEFAULT_GUARDRAIL_PRICES, config.guardrailPrices ?? []),
        region,
        cacheTtlSeconds: config.policy.cache?.defaultTtlSeconds ?? DEFAULT_CACHE_TTL_SECONDS,
        onLedgerError: (err) =>
          logger.warn({ err: { message: (err as Error).message } }, 'spend ledger refused an entry'),
      });
    },
    [
      TOKENS.config,
      TOKENS.bedrockEndpoint,
      TOKENS.bedrockInvoker,
      TOKENS.responseStore,
      TOKENS.policy,
      TOKENS.ledger,
      TOKENS.logger,
    ],
  );
});

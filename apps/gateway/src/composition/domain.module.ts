import { RedisSpendLedger } from '@nova-cost/caching';
import { DEFAULT_PRICES, InvokeModel, RuleBasedCostPolicy, StaticPricingCatalog, mergePrices } from '@nova-cost/domain';
import { ContainerModule } from 'inversify';
import { TOKENS } from './tokens';

/** Pricing, the cost policy and the InvokeModel use case, over the stores of stores.module. */
export const domainModule = new ContainerModule(({ bind }) => {
  // The default table, with the price file's rows (NOVA_COST_PRICES) in place of theirs: prices change without a release.
  bind(TOKENS.pricing).toResolvedValue(
    (config) => new StaticPricingCatalog(mergePrices(DEFAULT_PRICES, config.prices ?? [])),
    [TOKENS.config],
  );
  bind(TOKENS.policy).toResolvedValue(
    (config, spend, pricing, prefixHistory, metrics, logger) => {
      // A ledger shared through Redis is re-read every second, so each task sees the others' spend, and keeps the
      // fleet's budget holds, so the tasks together stay within a limit: past it only by the calls admitted while
      // Redis could not answer a hold, each counted (and logged, at most once a minute).
      let loggedAt = -Infinity;
      let unlogged = 0;
      const onSharedBudgetUnavailable = (tenantId: string, error: unknown): void => {
        metrics.budgetFailedOpen();
        unlogged += 1;
        if (performance.now() - loggedAt < 60_000) return;
        logger.warn(
          { tenantId, calls: unlogged, err: { message: (error as Error).message } },
          'budget holds could not reach Redis: calls admitted on this task’s own reckoning',
        );
        loggedAt = performance.now();
        unlogged = 0;
      };
      const shared =
        spend instanceof RedisSpendLedger
          ? { budgetRefreshMs: 1000, sharedBudget: spend, onSharedBudgetUnavailable }
          : {};
      return new RuleBasedCostPolicy(config.policy, {
        pricing,
        ledger: spend,
        ...shared,
        prefixHistory,
        // The call goes on without cache points.
        onPrefixHistoryError: (err) =>
          logger.warn({ err: { message: (err as Error).message } }, 'prompt-cache prefix history failed'),
      });
    },
    [TOKENS.config, TOKENS.ledger, TOKENS.pricing, TOKENS.prefixHistory, TOKENS.metrics, TOKENS.logger],
  );
  bind(TOKENS.invokeModel).toResolvedValue(
    (policy, cache, pricing, ledger, logger) =>
      new InvokeModel({
        policy,
        // The chain's outer link: cache → batcher → fallback → Bedrock.
        invoker: cache,
        pricing,
        ledger,
        onLedgerError: (err) =>
          logger.warn({ err: { message: (err as Error).message } }, 'spend ledger refused an entry'),
        // The cache admits a call into the shared budget only when it goes upstream: a hit takes no hold.
        admission: 'invoker',
      }),
    [TOKENS.policy, TOKENS.cachingInvoker, TOKENS.pricing, TOKENS.ledger, TOKENS.logger],
  );
});

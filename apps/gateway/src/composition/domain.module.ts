import type { SpendLoss } from '@nova-cost/caching';
import { RedisPrefixHistory, RedisSpendLedger } from '@nova-cost/caching';
import type { PrefixHistory, SpendLedger } from '@nova-cost/domain';
import {
  DEFAULT_PRICES,
  InMemoryPrefixHistory,
  InMemorySpendLedger,
  InvokeModel,
  RuleBasedCostPolicy,
  StaticPricingCatalog,
  mergePrices,
} from '@nova-cost/domain';
import { ContainerModule } from 'inversify';
import type { RedisConfig } from '../config/gateway-config';
import { TOKENS } from './tokens';

/**
 * The fleet's shared ledger in Redis when there is one (budgets and /costs then count every task, and it keeps the
 * fleet's budget holds), else memory. Spend it cannot keep is logged with its count and amount, never dropped silently.
 */
function ledger(redis: RedisConfig | undefined, onLoss: (loss: SpendLoss) => void): SpendLedger {
  if (!redis) return new InMemorySpendLedger();
  const options = { ...(redis.password === undefined ? {} : { password: redis.password }), onLoss };
  return redis.kind === 'single'
    ? RedisSpendLedger.fromUrl(redis.url, options)
    : RedisSpendLedger.fromCluster(redis.nodes, options);
}

/** What the prompt-cache payoff guard learns of tenants' prefixes: in Redis, shared by the fleet, when there is one. */
function prefixHistory(redis: RedisConfig | undefined): PrefixHistory {
  if (!redis) return new InMemoryPrefixHistory();
  const auth = redis.password === undefined ? {} : { password: redis.password };
  return redis.kind === 'single'
    ? RedisPrefixHistory.fromUrl(redis.url, auth)
    : RedisPrefixHistory.fromCluster(redis.nodes, auth);
}

/** Pricing, ledger, policy and the InvokeModel use case, built from ports. */
export const domainModule = new ContainerModule(({ bind }) => {
  // The default table, with the price file's rows (NOVA_COST_PRICES) in place of theirs: prices change without a release.
  bind(TOKENS.pricing)
    .toDynamicValue((ctx) => new StaticPricingCatalog(mergePrices(DEFAULT_PRICES, ctx.get(TOKENS.config).prices ?? [])))
    .inSingletonScope();
  bind(TOKENS.ledger)
    .toDynamicValue((ctx) => {
      const logger = ctx.get(TOKENS.logger);
      return ledger(ctx.get(TOKENS.config).redis, (loss) =>
        logger.error(
          { lostEntries: loss.entries, lostUsd: loss.costUsd, reason: loss.reason },
          'spend ledger could not write entries to Redis',
        ),
      );
    })
    .inSingletonScope();
  bind(TOKENS.lifecycle).toDynamicValue((ctx) => {
    const spend = ctx.get(TOKENS.ledger);
    return {
      name: 'spend ledger',
      phase: 'flush-ledger',
      close: (ms: number) => (spend instanceof RedisSpendLedger ? spend.close(ms) : Promise.resolve()),
    };
  });
  bind(TOKENS.prefixHistory)
    .toDynamicValue((ctx) => prefixHistory(ctx.get(TOKENS.config).redis))
    .inSingletonScope();
  bind(TOKENS.lifecycle).toDynamicValue((ctx) => {
    const history = ctx.get(TOKENS.prefixHistory);
    return {
      name: 'prefix history',
      phase: 'close-clients',
      close: () => (history instanceof RedisPrefixHistory ? history.close() : Promise.resolve()),
    };
  });
  bind(TOKENS.policy)
    .toDynamicValue((ctx) => {
      const config = ctx.get(TOKENS.config);
      const spend = ctx.get(TOKENS.ledger);
      const logger = ctx.get(TOKENS.logger);
      // A ledger shared through Redis is re-read every second, so each task sees the others' spend, and keeps the
      // fleet's budget holds, so the tasks together stay within a limit: past it only by the calls admitted while
      // Redis could not answer a hold, each counted (and logged, at most once a minute).
      const metrics = ctx.get(TOKENS.metrics);
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
        pricing: ctx.get(TOKENS.pricing),
        ledger: spend,
        ...shared,
        prefixHistory: ctx.get(TOKENS.prefixHistory),
        // The call goes on without cache points.
        onPrefixHistoryError: (err) =>
          logger.warn({ err: { message: (err as Error).message } }, 'prompt-cache prefix history failed'),
      });
    })
    .inSingletonScope();
  bind(TOKENS.invokeModel)
    .toDynamicValue((ctx) => {
      const logger = ctx.get(TOKENS.logger);
      return new InvokeModel({
        policy: ctx.get(TOKENS.policy),
        // The chain's outer link: cache → batcher → Bedrock.
        invoker: ctx.get(TOKENS.cachingInvoker),
        pricing: ctx.get(TOKENS.pricing),
        ledger: ctx.get(TOKENS.ledger),
        onLedgerError: (err) =>
          logger.warn({ err: { message: (err as Error).message } }, 'spend ledger refused an entry'),
        // The cache admits a call into the shared budget only when it goes upstream: a hit takes no hold.
        admission: 'invoker',
      });
    })
    .inSingletonScope();
});

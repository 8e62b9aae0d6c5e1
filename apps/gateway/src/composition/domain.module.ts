import { RedisSpendLedger } from '@nova-cost/caching';
import type { SpendLedger } from '@nova-cost/domain';
import { InMemorySpendLedger, InvokeModel, RuleBasedCostPolicy, StaticPricingCatalog } from '@nova-cost/domain';
import { ContainerModule } from 'inversify';
import type { RedisConfig } from '../config/gateway-config';
import { TOKENS } from './tokens';

/** The fleet's shared ledger in Redis when there is one (budgets and /costs then count every task), else memory. */
function ledger(redis: RedisConfig | undefined): SpendLedger {
  if (!redis) return new InMemorySpendLedger();
  const auth = redis.password === undefined ? {} : { password: redis.password };
  return redis.kind === 'single' ? RedisSpendLedger.fromUrl(redis.url, auth) : RedisSpendLedger.fromCluster(redis.nodes, auth);
}

/** Pricing, ledger, policy and the InvokeModel use case, built from ports. */
export const domainModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.pricing).toDynamicValue(() => new StaticPricingCatalog()).inSingletonScope();
  bind(TOKENS.ledger)
    .toDynamicValue((ctx) => ledger(ctx.get(TOKENS.config).redis))
    .inSingletonScope();
  bind(TOKENS.lifecycle).toDynamicValue((ctx) => {
    const spend = ctx.get(TOKENS.ledger);
    // After the last answer (order 30): entries held while Redis was down get their chance to be written.
    return { name: 'spend ledger', order: 30, close: (ms: number) => (spend instanceof RedisSpendLedger ? spend.close(ms) : Promise.resolve()) };
  });
  bind(TOKENS.policy)
    .toDynamicValue((ctx) => {
      const config = ctx.get(TOKENS.config);
      // A ledger shared through Redis is re-read every second, so each task sees the others' spend.
      const shared = config.redis ? { budgetRefreshMs: 1000 } : {};
      return new RuleBasedCostPolicy(config.policy, { pricing: ctx.get(TOKENS.pricing), ledger: ctx.get(TOKENS.ledger), ...shared });
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
        region: ctx.get(TOKENS.bedrockEndpoint).region,
        onLedgerError: (err) => logger.warn({ err: { message: (err as Error).message } }, 'spend ledger refused an entry'),
      });
    })
    .inSingletonScope();
});

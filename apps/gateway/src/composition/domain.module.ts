import { InMemorySpendLedger, InvokeModel, RuleBasedCostPolicy, StaticPricingCatalog } from '@nova-cost/domain';
import { ContainerModule } from 'inversify';
import { TOKENS } from './tokens';

/** Pricing, ledger, policy and the InvokeModel use case, built from ports. */
export const domainModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.pricing).toDynamicValue(() => new StaticPricingCatalog()).inSingletonScope();
  bind(TOKENS.ledger).toDynamicValue(() => new InMemorySpendLedger()).inSingletonScope();
  bind(TOKENS.policy)
    .toDynamicValue((ctx) => new RuleBasedCostPolicy(ctx.get(TOKENS.config).policy, { pricing: ctx.get(TOKENS.pricing), ledger: ctx.get(TOKENS.ledger) }))
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

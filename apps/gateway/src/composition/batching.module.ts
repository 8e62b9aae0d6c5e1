import { BatchingInvoker } from '@nova-cost/batching';
import { ContainerModule } from 'inversify';
import { TOKENS } from './tokens';

/** The batcher around the Bedrock link; drained first at shutdown. */
export const batchingModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.batchingInvoker)
    .toDynamicValue((ctx) => {
      const batcher = new BatchingInvoker(ctx.get(TOKENS.bedrockInvoker), ctx.get(TOKENS.config).tuning?.batching ?? {});
      return Object.assign(batcher, { queueDepth: () => batcher.stats().queued });
    })
    .inSingletonScope();
  bind(TOKENS.lifecycle).toDynamicValue((ctx) => {
    const batcher = ctx.get(TOKENS.batchingInvoker);
    const logger = ctx.get(TOKENS.logger);
    return {
      name: 'batcher',
      order: 10,
      close: async (deadlineMs: number) => {
        const summary = await batcher.drain!(deadlineMs);
        logger.info({ drain: summary }, 'batcher drained');
      },
    };
  });
});

import { BatchingInvoker } from '@nova-cost/batching';
import { ContainerModule } from 'inversify';
import { TOKENS } from './tokens';

/** The batcher around the fallback and Bedrock links; drained first at shutdown. */
export const batchingModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.batchingInvoker).toResolvedValue(
    (next, config) => {
      const weights = new Map(config.tenants.map((t) => [t.id, t.weight ?? 1]));
      // Fair across tenants: each waits in its own line, served by weight (1 for a tenant not listed), and holds at
      // most half the queue.
      const fairness = { maxQueueSharePerTenant: 0.5, tenantWeight: weights.get.bind(weights) };
      return new BatchingInvoker(next, { ...fairness, ...config.tuning?.batching });
    },
    [TOKENS.fallbackInvoker, TOKENS.config],
  );
  bind(TOKENS.lifecycle).toResolvedValue(
    (batcher, logger) => ({
      name: 'batcher',
      phase: 'drain',
      close: async (deadlineMs: number) => {
        const summary = await batcher.drain(deadlineMs);
        logger.info({ drain: summary }, 'batcher drained');
      },
    }),
    [TOKENS.batchingInvoker, TOKENS.logger],
  );
});

import { QuotaStreamer } from '@nova-cost/batching';
import { CachingStreamer } from '@nova-cost/caching';
import { StreamModel } from '@nova-cost/domain';
import { ContainerModule } from 'inversify';
import { TOKENS } from './tokens';

/**
 * Streaming calls (ConverseStream, InvokeModelWithResponseStream): the same policy, budget, cache store, quotas and
 * Bedrock client as unary calls, in a chain of their own — cache (recorded streams, one upstream stream per identical
 * request) → quota (the batcher's per-model buckets, never a micro-batch) → fallback → Bedrock.
 */
export const streamingModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.streamModel)
    .toDynamicValue((ctx) => {
      const logger = ctx.get(TOKENS.logger);
      const limits = ctx.get(TOKENS.batchingInvoker).limits();
      const bedrock = ctx.get(TOKENS.fallbackInvoker);
      const streamer = new CachingStreamer(new QuotaStreamer(bedrock, limits), ctx.get(TOKENS.responseStore));
      return new StreamModel({
        policy: ctx.get(TOKENS.policy),
        streamer,
        pricing: ctx.get(TOKENS.pricing),
        ledger: ctx.get(TOKENS.ledger),
        onLedgerError: (err) =>
          logger.warn({ err: { message: (err as Error).message } }, 'spend ledger refused an entry'),
        // The cache admits a stream into the shared budget only when it goes upstream: a replay takes no hold.
        admission: 'invoker',
      });
    })
    .inSingletonScope();
});

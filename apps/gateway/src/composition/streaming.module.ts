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
  bind(TOKENS.streamModel).toResolvedValue(
    (policy, store, batcher, fallback, pricing, ledger, logger) =>
      new StreamModel({
        policy,
        streamer: new CachingStreamer(new QuotaStreamer(fallback, batcher.limits()), store),
        pricing,
        ledger,
        onLedgerError: (err) =>
          logger.warn({ err: { message: (err as Error).message } }, 'spend ledger refused an entry'),
        // The cache admits a stream into the shared budget only when it goes upstream: a replay takes no hold.
        admission: 'invoker',
      }),
    [
      TOKENS.policy,
      TOKENS.responseStore,
      TOKENS.batchingInvoker,
      TOKENS.fallbackInvoker,
      TOKENS.pricing,
      TOKENS.ledger,
      TOKENS.logger,
    ],
  );
});

import { CachingInvoker, InMemoryResponseStore } from '@nova-cost/caching';
import { ContainerModule } from 'inversify';
import { TOKENS } from './tokens';

/**
 * Bytes of decoded answers kept in front of the in-memory store: a hit on one of them skips the store read, its
 * promise and the envelope's decoding. Small, as each is a second copy: the store keeps an answer's envelope text,
 * the hot copy the envelope decoded from it (its own strings, up to this many bytes more).
 */
const IN_MEMORY_HOT_BYTES = 4 * 1024 * 1024;

/** The cache in front of the batcher, so hits never queue, over the response store (stores.module); fails open. */
export const cachingModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.cachingInvoker).toResolvedValue(
    (batcher, store) =>
      new CachingInvoker(batcher, store, {
        ...(store instanceof InMemoryResponseStore ? { hotMaxBytes: IN_MEMORY_HOT_BYTES } : {}),
      }),
    [TOKENS.batchingInvoker, TOKENS.responseStore],
  );
  // Closes the response store (no other lifecycle does), once the last answer went out and the connections closed: the
  // answers still being stored (written after their callers had them) land first, within half of what is left of the
  // deadline, so the ledger, last, keeps the rest. Closing the store under them could cut a lock's release.
  bind(TOKENS.lifecycle).toResolvedValue(
    (cache, logger) => ({
      name: 'response cache',
      phase: 'close-clients',
      close: async (deadlineMs: number) => {
        if (cache.storing > 0)
          logger.info({ storing: cache.storing }, 'letting the answers being stored land before closing the cache');
        await cache.close(deadlineMs / 2);
      },
    }),
    [TOKENS.cachingInvoker, TOKENS.logger],
  );
});

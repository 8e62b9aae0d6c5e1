import { CachingInvoker, InMemoryResponseStore } from '@nova-cost/caching';
import { ContainerModule } from 'inversify';
import { TOKENS } from './tokens';

/**
 * Bytes of decoded answers kept in front of the in-memory store: a hit on one of them skips the store read, its
 * promise and the envelope's decoding. Small, as the store holds the same answers already (a copy read back from it
 * shares the store's text; only one just written is held twice).
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
});

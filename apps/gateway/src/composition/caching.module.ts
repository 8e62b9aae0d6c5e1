import { CachingInvoker, InMemoryResponseStore } from '@nova-cost/caching';
import { ContainerModule } from 'inversify';
import { TOKENS } from './tokens';

/** The cache in front of the batcher, so hits never queue, over the response store (stores.module); fails open. */
export const cachingModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.cachingInvoker).toResolvedValue(
    (batcher, store) =>
      new CachingInvoker(batcher, store, {
        // Copies of hot answers in process only in front of Redis: the in-memory store is one already.
        ...(store instanceof InMemoryResponseStore ? { hotMaxBytes: 0 } : {}),
      }),
    [TOKENS.batchingInvoker, TOKENS.responseStore],
  );
});

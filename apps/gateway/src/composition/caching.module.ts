import { CachingInvoker, InMemoryResponseStore, RedisResponseStore } from '@nova-cost/caching';
import type { ResponseStore } from '@nova-cost/caching';
import { ContainerModule } from 'inversify';
import type { RedisConfig } from '../config/gateway-config';
import { TOKENS } from './tokens';

function store(redis: RedisConfig | undefined): ResponseStore {
  if (!redis) return new InMemoryResponseStore();
  const auth = redis.password === undefined ? {} : { password: redis.password };
  return redis.kind === 'single'
    ? RedisResponseStore.fromUrl(redis.url, auth)
    : RedisResponseStore.fromCluster(redis.nodes, auth);
}

/** The cache in front of the batcher, so hits never queue. Redis when REDIS_URL is set; fails open. */
export const cachingModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.responseStore)
    .toDynamicValue((ctx) => store(ctx.get(TOKENS.config).redis))
    .inSingletonScope();
  bind(TOKENS.cachingInvoker)
    .toDynamicValue((ctx) => {
      const store = ctx.get(TOKENS.responseStore);
      return new CachingInvoker(ctx.get(TOKENS.batchingInvoker), store, {
        // Copies of hot answers in process only in front of Redis: the in-memory store is one already.
        ...(store instanceof InMemoryResponseStore ? { hotMaxBytes: 0 } : {}),
      });
    })
    .inSingletonScope();
  bind(TOKENS.lifecycle).toDynamicValue((ctx) => {
    const cache = ctx.get(TOKENS.cachingInvoker);
    return { name: 'cache', phase: 'close-clients', close: () => cache.close() };
  });
});

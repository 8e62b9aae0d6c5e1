import type { ClusterNode } from 'ioredis';
import type { RedisConnectOptions, ResponseStore, SpendLoss } from '@nova-cost/caching';
import { InMemoryResponseStore, RedisPrefixHistory, RedisResponseStore, RedisSpendLedger } from '@nova-cost/caching';
import { InMemoryPrefixHistory, InMemorySpendLedger } from '@nova-cost/domain';
import { ContainerModule } from 'inversify';
import type { RedisConfig } from '../config/gateway-config';
import { TOKENS } from './tokens';

/** A Redis adapter's two ways to connect: to one node by URL, or to a cluster by its nodes. */
interface RedisAdapter<T> {
  fromUrl(url: string, auth: RedisConnectOptions): T;
  fromCluster(nodes: readonly ClusterNode[], auth: RedisConnectOptions): T;
}

/** `adapter` connected to the REDIS_URL servers, with REDIS_PASSWORD when set. */
function connect<T>(redis: RedisConfig, adapter: RedisAdapter<T>): T {
  const auth = redis.password === undefined ? {} : { password: redis.password };
  return redis.kind === 'single' ? adapter.fromUrl(redis.url, auth) : adapter.fromCluster(redis.nodes, auth);
}

/**
 * What the gateway keeps, decided in this one place: in Redis when REDIS_URL is set (each adapter on its own
 * connection to the same servers), else in this process. The response store (cached answers, and the SigV4 replay
 * set), the spend ledger (shared by the fleet, with its budget holds), the prompt-cache prefix history. Each closes in
 * its shutdown phase: the store and the history with the other clients, the ledger last, so that spend held while
 * Redis was down gets its chance to be written.
 */
export const storesModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.responseStore)
    .toDynamicValue((ctx): ResponseStore => {
      const { redis } = ctx.get(TOKENS.config);
      return redis ? connect(redis, RedisResponseStore) : new InMemoryResponseStore();
    })
    .inSingletonScope();
  bind(TOKENS.lifecycle).toDynamicValue((ctx) => {
    const store = ctx.get(TOKENS.responseStore);
    return { name: 'response store', phase: 'close-clients', close: () => store.close() };
  });

  // Spend it cannot keep is logged with its count and amount, never dropped silently.
  bind(TOKENS.ledger)
    .toDynamicValue((ctx) => {
      const { redis } = ctx.get(TOKENS.config);
      if (!redis) return new InMemorySpendLedger();
      const logger = ctx.get(TOKENS.logger);
      const onLoss = (loss: SpendLoss): void =>
        logger.error(
          { lostEntries: loss.entries, lostUsd: loss.costUsd, reason: loss.reason },
          'spend ledger could not write entries to Redis',
        );
      return connect(redis, {
        fromUrl: (url, auth) => RedisSpendLedger.fromUrl(url, { ...auth, onLoss }),
        fromCluster: (nodes, auth) => RedisSpendLedger.fromCluster(nodes, { ...auth, onLoss }),
      });
    })
    .inSingletonScope();
  bind(TOKENS.lifecycle).toDynamicValue((ctx) => {
    const spend = ctx.get(TOKENS.ledger);
    return {
      name: 'spend ledger',
      phase: 'flush-ledger',
      close: async (ms: number) => (spend instanceof RedisSpendLedger ? spend.close(ms) : undefined),
    };
  });

  bind(TOKENS.prefixHistory)
    .toDynamicValue((ctx) => {
      const { redis } = ctx.get(TOKENS.config);
      return redis ? connect(redis, RedisPrefixHistory) : new InMemoryPrefixHistory();
    })
    .inSingletonScope();
  bind(TOKENS.lifecycle).toDynamicValue((ctx) => {
    const history = ctx.get(TOKENS.prefixHistory);
    return {
      name: 'prefix history',
      phase: 'close-clients',
      close: async () => (history instanceof RedisPrefixHistory ? history.close() : undefined),
    };
  });
});

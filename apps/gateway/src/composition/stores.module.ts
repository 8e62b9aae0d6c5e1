import type { ResponseStore, SpendLoss } from '@nova-cost/caching';
import { InMemoryResponseStore, RedisPrefixHistory, RedisResponseStore, RedisSpendLedger } from '@nova-cost/caching';
import { InMemoryPrefixHistory, InMemorySpendLedger } from '@nova-cost/domain';
import { ContainerModule } from 'inversify';
import { connect } from './redis-connect';
import { TOKENS } from './tokens';

/**
 * What the gateway keeps, decided in this one place: in Redis when REDIS_URL is set (each adapter on its own
 * connection to the same servers), else in this process. The response store (cached answers, and the SigV4 replay
 * set), the spend ledger (shared by the fleet, with its budget holds), the prompt-cache prefix history. Each closes in
 * its shutdown phase: the store and the history with the other clients (the store through the response cache over
 * it, caching.module, which first lets the answers still being stored land), the ledger last, so that spend held
 * while Redis was down gets its chance to be written.
 */
export const storesModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.responseStore).toResolvedValue(
    ({ redis }): ResponseStore => (redis ? connect(redis, RedisResponseStore) : new InMemoryResponseStore()),
    [TOKENS.config],
  );

  // Spend it cannot keep is logged with its count and amount, never dropped silently.
  bind(TOKENS.ledger).toResolvedValue(
    ({ redis }, logger) => {
      if (!redis) return new InMemorySpendLedger();
      const onLoss = (loss: SpendLoss): void =>
        logger.error(
          { lostEntries: loss.entries, lostUsd: loss.costUsd, reason: loss.reason },
          'spend ledger could not write entries to Redis',
        );
      return connect(redis, {
        fromUrl: (url, auth) => RedisSpendLedger.fromUrl(url, { ...auth, onLoss }),
        fromCluster: (nodes, auth) => RedisSpendLedger.fromCluster(nodes, { ...auth, onLoss }),
      });
    },
    [TOKENS.config, TOKENS.logger],
  );
  bind(TOKENS.lifecycle).toResolvedValue(
    (spend) => ({
      name: 'spend ledger',
      phase: 'flush-ledger',
      close: async (ms: number) => (spend instanceof RedisSpendLedger ? spend.close(ms) : undefined),
    }),
    [TOKENS.ledger],
  );

  bind(TOKENS.prefixHistory).toResolvedValue(
    ({ redis }) => (redis ? connect(redis, RedisPrefixHistory) : new InMemoryPrefixHistory()),
    [TOKENS.config],
  );
  bind(TOKENS.lifecycle).toResolvedValue(
    (history) => ({
      name: 'prefix history',
      phase: 'close-clients',
      close: async () => (history instanceof RedisPrefixHistory ? history.close() : undefined),
    }),
    [TOKENS.prefixHistory],
  );
});

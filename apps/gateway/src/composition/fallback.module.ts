import { RedisCircuitBreakers } from '@nova-cost/caching';
import type { CircuitBreakers, CircuitSettings } from '@nova-cost/domain';
import { InMemoryCircuitBreakers } from '@nova-cost/domain';
import { FallbackInvoker } from '@nova-cost/infrastructure';
import { ContainerModule } from 'inversify';
import type { RedisConfig } from '../config/gateway-config';
import { connect } from './redis-connect';
import { TOKENS } from './tokens';

/**
 * The fallback targets' circuit breakers: in Redis, shared by the fleet, when there is one. A Redis that fails or
 * stalls reads as every circuit closed; `onError` is told of each such call.
 */
function breakers(redis: RedisConfig | undefined, settings: CircuitSettings, onError: () => void): CircuitBreakers {
  if (!redis) return new InMemoryCircuitBreakers(settings);
  return connect(redis, {
    fromUrl: (url, auth) => RedisCircuitBreakers.fromUrl(url, settings, auth, { onError }),
    fromCluster: (nodes, auth) => RedisCircuitBreakers.fromCluster(nodes, settings, auth, { onError }),
  });
}

/**
 * The policy's fallback chains, carried out around the Bedrock link (under the batcher, whose throttle retries then
 * come only once every target of a call throttled), for unary calls and streams alike.
 */
export const fallbackModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.fallbackInvoker).toResolvedValue(
    (bedrock, breakers, metrics) =>
      new FallbackInvoker(bedrock, { breakers, onFallback: (event) => metrics.fellBack(event.reason) }),
    [TOKENS.bedrockInvoker, TOKENS.circuitBreakers, TOKENS.metrics],
  );
  bind(TOKENS.circuitBreakers).toResolvedValue(
    (config, logger) => {
      let warnedAt = -Infinity;
      return breakers(config.redis, config.policy.circuitBreaker ?? {}, () => {
        // Calls go on as if every circuit were closed; said at most once a minute.
        if (performance.now() - warnedAt < 60_000) return;
        warnedAt = performance.now();
        logger.warn(
          'circuit breakers: Redis failed or did not answer in time (calls go on as if every circuit were closed)',
        );
      });
    },
    [TOKENS.config, TOKENS.logger],
  );
  bind(TOKENS.lifecycle).toResolvedValue(
    (b) => ({
      name: 'circuit breakers',
      phase: 'close-clients',
      close: () => (b instanceof RedisCircuitBreakers ? b.close() : Promise.resolve()),
    }),
    [TOKENS.circuitBreakers],
  );
});

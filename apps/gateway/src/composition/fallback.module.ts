import { RedisCircuitBreakers } from '@nova-cost/caching';
import type { CircuitBreakers, CircuitSettings } from '@nova-cost/domain';
import { InMemoryCircuitBreakers } from '@nova-cost/domain';
import { FallbackInvoker } from '@nova-cost/infrastructure';
import { ContainerModule } from 'inversify';
import type { RedisConfig } from '../config/gateway-config';
import { connect } from './redis-connect';
import { TOKENS } from './tokens';

/** The fallback targets' circuit breakers: in Redis, shared by the fleet, when there is one. */
function breakers(redis: RedisConfig | undefined, settings: CircuitSettings): CircuitBreakers {
  if (!redis) return new InMemoryCircuitBreakers(settings);
  return connect(redis, {
    fromUrl: (url, auth) => RedisCircuitBreakers.fromUrl(url, settings, auth),
    fromCluster: (nodes, auth) => RedisCircuitBreakers.fromCluster(nodes, settings, auth),
  });
}

/**
 * The policy's fallback chains, carried out around the Bedrock link (under the batcher, whose throttle retries then
 * come only once every target of a call throttled), for unary calls and streams alike.
 */
export const fallbackModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.fallbackInvoker).toResolvedValue(
    (bedrock, breakers, metrics, logger) => {
      let warnedAt = -Infinity;
      return new FallbackInvoker(bedrock, {
        breakers,
        onFallback: (event) => metrics.fellBack(event.reason),
        onBreakerError: (err) => {
          // Calls go on as if every circuit were closed; said at most once a minute.
          if (performance.now() - warnedAt < 60_000) return;
          warnedAt = performance.now();
          logger.warn({ err: { message: (err as Error).message } }, 'circuit breakers could not answer (calls go on)');
        },
      });
    },
    [TOKENS.bedrockInvoker, TOKENS.circuitBreakers, TOKENS.metrics, TOKENS.logger],
  );
  bind(TOKENS.circuitBreakers).toResolvedValue(
    (config) => breakers(config.redis, config.policy.circuitBreaker ?? {}),
    [TOKENS.config],
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

import { RedisCircuitBreakers } from '@nova-cost/caching';
import type { CircuitBreakers, CircuitSettings } from '@nova-cost/domain';
import { InMemoryCircuitBreakers } from '@nova-cost/domain';
import { FallbackInvoker } from '@nova-cost/infrastructure';
import { ContainerModule } from 'inversify';
import type { RedisConfig } from '../config/gateway-config';
import { TOKENS } from './tokens';

/** The fallback targets' circuit breakers: in Redis, shared by the fleet, when there is one. */
function breakers(redis: RedisConfig | undefined, settings: CircuitSettings): CircuitBreakers {
  if (!redis) return new InMemoryCircuitBreakers(settings);
  const auth = redis.password === undefined ? {} : { password: redis.password };
  return redis.kind === 'single'
    ? RedisCircuitBreakers.fromUrl(redis.url, settings, auth)
    : RedisCircuitBreakers.fromCluster(redis.nodes, settings, auth);
}

/**
 * The policy's fallback chains, carried out around the Bedrock link (under the batcher, whose throttle retries then
 * come only once every target of a call throttled), for unary calls and streams alike.
 */
export const fallbackModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.fallbackInvoker)
    .toDynamicValue((ctx) => {
      const logger = ctx.get(TOKENS.logger);
      const metrics = ctx.get(TOKENS.metrics);
      let warnedAt = -Infinity;
      return new FallbackInvoker(ctx.get(TOKENS.bedrockInvoker), {
        breakers: ctx.get(TOKENS.circuitBreakers),
        onFallback: (event) => metrics.fellBack(event.reason),
        onBreakerError: (err) => {
          // Calls go on as if every circuit were closed; said at most once a minute.
          if (performance.now() - warnedAt < 60_000) return;
          warnedAt = performance.now();
          logger.warn({ err: { message: (err as Error).message } }, 'circuit breakers could not answer (calls go on)');
        },
      });
    })
    .inSingletonScope();
  bind(TOKENS.circuitBreakers)
    .toDynamicValue((ctx) => {
      const config = ctx.get(TOKENS.config);
      return breakers(config.redis, config.policy.circuitBreaker ?? {});
    })
    .inSingletonScope();
  bind(TOKENS.lifecycle).toDynamicValue((ctx) => {
    const b = ctx.get(TOKENS.circuitBreakers);
    return {
      name: 'circuit breakers',
      phase: 'close-clients',
      close: () => (b instanceof RedisCircuitBreakers ? b.close() : Promise.resolve()),
    };
  });
});

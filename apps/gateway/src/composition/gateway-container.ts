import { Container } from 'inversify';
import type { GatewayConfig } from '../config/gateway-config';
import type { GatewayLogger } from '../observability/logger';
import { GatewayMetrics } from '../observability/gateway-metrics';
import { asyncInvokeModule } from './async-invoke.module';
import { batchingModule } from './batching.module';
import { bedrockModule } from './bedrock.module';
import { cachingModule } from './caching.module';
import { domainModule } from './domain.module';
import { fallbackModule } from './fallback.module';
import { guardrailsModule } from './guardrails.module';
import { sessionsModule } from './sessions.module';
import { storesModule } from './stores.module';
import { streamingModule } from './streaming.module';
import { TOKENS } from './tokens';

/** The composition root: one module per adapter, wired through the ports of the domain. */
export function createGatewayContainer(
  config: GatewayConfig,
  logger: GatewayLogger,
  bedrockEndpoint: { url?: string; region: string },
): Container {
  const container = new Container({ defaultScope: 'Singleton' });
  container.bind(TOKENS.config).toConstantValue(config);
  container.bind(TOKENS.logger).toConstantValue(logger);
  container.bind(TOKENS.bedrockEndpoint).toConstantValue(bedrockEndpoint);
  container.bind(TOKENS.metrics).toResolvedValue(() => new GatewayMetrics(logger));
  container.load(
    storesModule,
    domainModule,
    bedrockModule,
    fallbackModule,
    batchingModule,
    cachingModule,
    asyncInvokeModule,
    streamingModule,
    guardrailsModule,
    sessionsModule,
  );
  return container;
}

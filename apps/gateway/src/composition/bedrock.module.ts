import { BedrockModelInvoker } from '@nova-cost/infrastructure';
import { ContainerModule } from 'inversify';
import { TOKENS } from './tokens';

/** The innermost link: Bedrock over the AWS SDK (the default credential chain, or fixed ones for the local endpoint). */
export const bedrockModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.bedrockInvoker)
    .toDynamicValue((ctx) => {
      const config = ctx.get(TOKENS.config);
      const { url, region } = ctx.get(TOKENS.bedrockEndpoint);
      const local = config.bedrock.mode === 'embedded';
      return new BedrockModelInvoker({
        region,
        ...(url ? { endpoint: url } : {}),
        // The in-process endpoint checks no signature; don't make a fresh clone look for AWS credentials.
        ...(local ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
        retryMode: 'adaptive',
        // The batcher retries throttles with its own budget and quotas; SDK retries under it would multiply them.
        retryThrottles: false,
        ...(config.tuning?.bedrockMaxAttempts ? { maxAttempts: config.tuning.bedrockMaxAttempts } : {}),
      });
    })
    .inSingletonScope();
});

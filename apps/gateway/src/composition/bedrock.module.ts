import { BedrockModelInvoker } from '@nova-cost/infrastructure';
import { ContainerModule } from 'inversify';
import { TOKENS } from './tokens';

/** The innermost link: Bedrock over the AWS SDK (the default credential chain, or fixed ones for the local endpoint). */
export const bedrockModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.bedrockInvoker).toResolvedValue(
    (config, { url, region }) => {
      const local = config.bedrock.mode === 'embedded';
      return new BedrockModelInvoker({
        region,
        ...(url ? { endpoint: url } : {}),
        // The in-process endpoint checks no signature; don't make a fresh clone look for AWS credentials.
        ...(local ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
        // The batcher paces and retries throttled calls (its own back-off); the SDK's adaptive rate limiter stacked
        // under it would slow everything again at each throttle. So: standard mode, throttles left to the batcher.
        retryMode: 'standard',
        retryThrottles: false,
        // One attempt may use the whole call time: a call that times out is not sent (and billed) a second time.
        callTimeoutMs: config.bedrockTimeoutMs,
        requestTimeoutMs: config.bedrockTimeoutMs,
        ...(config.tuning?.bedrockMaxAttempts ? { maxAttempts: config.tuning.bedrockMaxAttempts } : {}),
      });
    },
    [TOKENS.config, TOKENS.bedrockEndpoint],
  );
});

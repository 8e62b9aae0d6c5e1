import type { LocalBedrock } from '@nova-cost/bedrock-local';
import { tenantKeySegment } from '@nova-cost/batch-jobs';
import { NovaCostError } from '@nova-cost/domain';
import type { Container } from 'inversify';
import type { GatewayConfig } from '../config/gateway-config';
import { AsyncInvokeHandler } from '../http/async-invoke.handler';
import { ASYNC_TOKENS } from './async-invoke.module';

/** The embedded default's async API: its bucket in the local endpoint's S3, and that S3's URL in the configuration. */
export function withLocalS3(config: GatewayConfig, local: LocalBedrock | undefined): GatewayConfig {
  const settings = config.asyncInvoke;
  if (!settings?.local || !local?.batch.s3Url) return config;
  if (!local.batch.s3.hasBucket(settings.bucket)) local.batch.s3.createBucket(settings.bucket);
  return { ...config, asyncInvoke: { ...settings, s3Endpoint: local.batch.s3Url } };
}

/** The HTTP handler of the async API's routes, which says how to enable them when the API is off. */
export function asyncInvokeHandler(container: Container, config: GatewayConfig, region: string): AsyncInvokeHandler {
  const settings = config.asyncInvoke;
  return new AsyncInvokeHandler({
    invocations: container.get(ASYNC_TOKENS.parts).invocations,
    region,
    keptAt: (tenantId, id) =>
      `s3://${settings?.bucket ?? ''}/${settings?.prefix ?? ''}results/${tenantKeySegment(tenantId)}/${id}.json`,
  });
}

/**
 * Starts the async API: the queue takes up what a previous process left in S3. A bucket it cannot read stops the
 * start, naming the variable.
 */
export async function startAsyncInvoke(container: Container, config: GatewayConfig): Promise<void> {
  const { invocations } = container.get(ASYNC_TOKENS.parts);
  const settings = config.asyncInvoke;
  if (!invocations || !settings) return;
  try {
    await invocations.start();
  } catch (err) {
    throw new NovaCostError(
      'configuration',
      `the async API cannot read its state in s3://${settings.bucket}/${settings.prefix} (NOVA_COST_ASYNC_BUCKET): ${(err as Error).message}`,
      { cause: err, details: { variable: 'NOVA_COST_ASYNC_BUCKET' } },
    );
  }
}

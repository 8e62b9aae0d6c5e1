import type { BatchJobQueue } from '@nova-cost/batch-jobs';
import { createBatchJobQueue } from '@nova-cost/batch-jobs';
import type { CallPrice, DeferredCall, DeferredOutcome } from '@nova-cost/domain';
import { AsyncInvocations, billingOf } from '@nova-cost/domain';
import type { ServiceIdentifier } from 'inversify';
import { ContainerModule } from 'inversify';
import { TOKENS } from './tokens';

/** The async API's parts; both absent when the gateway has no bucket for it. */
export interface AsyncInvokeParts {
  readonly invocations?: AsyncInvocations;
  readonly queue?: BatchJobQueue;
}

export const ASYNC_TOKENS = {
  parts: Symbol.for('nova-cost/gateway/async-invoke') as ServiceIdentifier<AsyncInvokeParts>,
};

/**
 * StartAsyncInvoke & co.: the AsyncInvocations use case over the batch-jobs queue (S3 and Bedrock batch inference),
 * sharing the policy, pricing, ledger and cache of the synchronous path; calls that cannot wait for a job go through
 * the same invoker chain (cache → batcher → Bedrock). The queue stops first at shutdown (what it holds is in S3).
 */
export const asyncInvokeModule = new ContainerModule(({ bind }) => {
  bind(ASYNC_TOKENS.parts).toResolvedValue(
    // `chain`: the outer link of the invoker chain, the cache (an AnswerCache too), then the batcher and Bedrock.
    (config, { url, region }, chain, policy, pricing, ledger, metrics, logger): AsyncInvokeParts => {
      const settings = config.asyncInvoke;
      if (!settings) return {};
      const queue = createBatchJobQueue(
        {
          region,
          ...(url ? { bedrockEndpoint: url } : {}),
          ...(settings.s3Endpoint ? { s3Endpoint: settings.s3Endpoint } : {}),
          // The local endpoint checks no signature; real AWS takes the default credential chain.
          ...(config.bedrock.mode === 'embedded'
            ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
            : {}),
        },
        chain,
        {
          bucket: settings.bucket,
          prefix: settings.prefix,
          roleArn: settings.roleArn,
          ...settings.queue,
          onError: (err, context) =>
            logger.warn({ err: { message: (err as Error).message }, context }, 'async work failed; it is tried again'),
        },
      );
      const onSettled = (call: DeferredCall, outcome: DeferredOutcome, price: CallPrice | undefined): void => {
        const status = price ? 'Completed' : 'Failed';
        metrics.asyncEnded(outcome.route, status, outcome.ok ? billingOf(outcome.result) : 'none');
        if (price)
          metrics.answered(
            call.request.modelId,
            outcome.route === 'cache' ? 'hit' : 'bypass',
            price.costUsd,
            price.savings,
          );
        logger.info(
          {
            tenantId: call.request.tenantId,
            invocation: call.id,
            model: call.request.modelId,
            route: outcome.route,
            ...(outcome.reason ? { reason: outcome.reason } : {}),
            status,
            ...(outcome.ok ? { billing: billingOf(outcome.result) } : {}),
            costUsd: price?.costUsd,
          },
          'async call ended',
        );
      };
      const invocations = new AsyncInvocations({
        policy,
        pricing,
        ledger,
        queue,
        cache: chain,
        ...(settings.defaultDeadlineMs ? { defaultDeadlineMs: settings.defaultDeadlineMs } : {}),
        onDemandTier: settings.onDemandTier,
        onLedgerError: (err) =>
          logger.warn({ err: { message: (err as Error).message } }, 'spend ledger refused an entry'),
        onSettled,
      });
      return { invocations, queue };
    },
    [
      TOKENS.config,
      TOKENS.bedrockEndpoint,
      TOKENS.cachingInvoker,
      TOKENS.policy,
      TOKENS.pricing,
      TOKENS.ledger,
      TOKENS.metrics,
      TOKENS.logger,
    ],
  );
  bind(TOKENS.lifecycle).toResolvedValue(
    ({ queue }) => ({ name: 'async queue', phase: 'stop-intake', close: async () => queue?.close() }),
    [ASYNC_TOKENS.parts],
  );
});

import { BedrockClient } from '@aws-sdk/client-bedrock';
import { S3Client } from '@aws-sdk/client-s3';
import type { ModelInvoker } from '@nova-cost/domain';
import { BatchJobQueue } from './batch-job-queue';
import type { BatchJobQueueOptions } from './batch-jobs.options';

/** Where the queue reaches AWS (or the local endpoint). */
export interface BatchJobQueueEndpoints {
  readonly region: string;
  /** Bedrock's control plane. @default AWS in `region` */
  readonly bedrockEndpoint?: string;
  /** An S3-compatible endpoint, addressed path-style. @default S3 in `region` */
  readonly s3Endpoint?: string;
  /** @default the default credential chain */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** A queue with its own S3 and Bedrock clients; close() destroys them. */
export function createBatchJobQueue(
  endpoints: BatchJobQueueEndpoints,
  onDemand: ModelInvoker,
  options: BatchJobQueueOptions,
): BatchJobQueue {
  const credentials = endpoints.credentials ? { credentials: { ...endpoints.credentials } } : {};
  const s3 = new S3Client({
    region: endpoints.region,
    ...(endpoints.s3Endpoint ? { endpoint: endpoints.s3Endpoint, forcePathStyle: true } : {}),
    ...credentials,
  });
  const bedrock = new BedrockClient({
    region: endpoints.region,
    ...(endpoints.bedrockEndpoint ? { endpoint: endpoints.bedrockEndpoint } : {}),
    ...credentials,
  });
  const queue = new BatchJobQueue({ s3, bedrock, onDemand }, options);
  const close = queue.close.bind(queue);
  queue.close = async () => {
    await close();
    s3.destroy();
    bedrock.destroy();
  };
  return queue;
}

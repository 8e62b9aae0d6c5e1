export { startLocalBedrock } from './start-local-bedrock';
export type { LocalBedrock, LocalBedrockChange } from './start-local-bedrock';
export type {
  LocalBedrockFault,
  LocalBedrockFaults,
  LocalBedrockLatency,
  LocalBedrockOptions,
  LocalBedrockQuota,
} from './local-bedrock.options';
export type { LocalBedrockStats } from './local-bedrock-stats';
export type { LocalBedrockServiceTiers } from './service-tiers';
export type { LocalBedrockPromptCaching } from './prompt-caching';
export { seededDice } from './seeded-dice';
export type { LocalBatch, LocalS3Options } from './batch/local-batch';
export type { LocalBatchFaults, LocalBatchJobEnding, LocalBatchOptions } from './batch/local-batch.options';
export type { BatchJobSnapshot, BatchJobStatus } from './batch/batch-job';
export type { LocalS3Store, LocalS3Object } from './s3/local-s3-store';

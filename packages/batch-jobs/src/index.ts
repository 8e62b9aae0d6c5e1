export { BatchJobQueue } from './batch-job-queue';
export type { BatchJobQueueDeps } from './batch-job-queue';
export type { BatchJobQueueOptions, BatchLimits } from './batch-jobs.options';
export { decodeOutputRecords, encodeInputRecords } from './jsonl-record.codec';
export type { BatchInputRecord, BatchOutputRecord } from './jsonl-record.codec';
export { createBatchJobQueue } from './create-batch-job-queue';
export type { BatchJobQueueEndpoints } from './create-batch-job-queue';
export { tenantKeySegment } from './tenant-key-segment';

export { BatchingInvoker } from './batching-invoker';
export type { BatchingInvokerOptions, LaneBatching, QuotaLimit, RetryOptions } from './batching-invoker.options';
export type { AdaptiveRateOptions } from './adaptive-rate';
export type { BatchingStats, DrainSummary } from './batching-stats';
export { QuotaStreamer } from './quota-streamer';
export type { StreamLimits } from './quota-streamer';

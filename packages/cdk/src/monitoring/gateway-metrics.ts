/**
 * The CloudWatch metrics the gateway emits as Embedded Metric Format. The gateway and the dashboard share these
 * names; change both or neither.
 */
export const GATEWAY_METRICS = {
  namespace: 'NovaCost',
  dimension: 'Service',
  costUsd: 'CostUsd',
  savedUsd: 'SavedUsd',
  cacheHitRatio: 'CacheHitRatio',
  batchQueueDepth: 'BatchQueueDepth',
} as const;

import type { ChecklistRow, DeferredFigures, GroupFigures } from './report-data';

const share = (total: GroupFigures, ...levers: string[]): number =>
  total.usdBefore > 0 ? levers.reduce((sum, l) => sum + (total.byLever[l]?.savedUsd ?? 0), 0) / total.usdBefore : 0;

const NOT_IN_LOGS = 'not in invocation logs: the CDK estimate (npm run synth -w @nova-cost/infra) prices this category';

/**
 * The checklist of the design document (cost-optimization-design.md, section 6), its assumed saving beside the one
 * measured on the logs. Bedrock rows are measured as a share of the Bedrock bill in the logs.
 */
export function checklistRows(total: GroupFigures, deferred?: readonly DeferredFigures[]): ChecklistRow[] {
  const count = (route: DeferredFigures['route']) =>
    (deferred ?? []).filter((d) => d.route === route).reduce((n, d) => n + d.calls, 0);
  const submitted = (deferred ?? []).reduce((n, d) => n + d.calls, 0);
  const batch =
    deferred === undefined
      ? "calls of the async API answered in batch jobs, as the gateway's ledger recorded them"
      : submitted === 0
        ? 'no caller is deferrable: identity rules with "lane": "deferrable" send calls through the async API to batch jobs'
        : `deferrable callers through the async API: ${count('batch').toLocaleString('en')} of ${submitted.toLocaleString('en')} calls in batch jobs at the batch price, ${count('on-demand').toLocaleString('en')} on demand (a group below a job's minimum records by its deadline), ${count('cache').toLocaleString('en')} from the cache`;
  return [
    {
      category: 'Bedrock',
      measure: 'レスポンスキャッシング',
      measureEn: 'Response caching',
      assumed: '20–30%',
      measuredShare: share(total, 'cache', 'coalescing'),
      note: 'response cache and coalescing',
    },
    {
      category: 'Bedrock',
      measure: 'バッチ処理',
      measureEn: 'Batch processing',
      assumed: '10–15%',
      measuredShare: share(total, 'batching'),
      note: batch,
    },
    {
      category: 'Bedrock',
      measure: 'モデル選択最適化',
      measureEn: 'Model selection',
      assumed: '10–20%',
      measuredShare: share(total, 'routing'),
      note: "the policy's routes",
    },
    {
      category: 'Compute',
      measure: 'Fargate Spot 活用',
      measureEn: 'Fargate Spot',
      assumed: '50–70%',
      measuredShare: null,
      note: NOT_IN_LOGS,
    },
    {
      category: 'Compute',
      measure: '適切な Auto Scaling',
      measureEn: 'Auto Scaling',
      assumed: '20–30%',
      measuredShare: null,
      note: NOT_IN_LOGS,
    },
    {
      category: 'Compute',
      measure: 'Right-sizing',
      measureEn: 'Right-sizing',
      assumed: '10–20%',
      measuredShare: null,
      note: NOT_IN_LOGS,
    },
    {
      category: 'Storage',
      measure: 'S3 Intelligent-Tiering',
      measureEn: 'S3 Intelligent-Tiering',
      assumed: '20–40%',
      measuredShare: null,
      note: NOT_IN_LOGS,
    },
    {
      category: 'Storage',
      measure: 'DynamoDB TTL',
      measureEn: 'DynamoDB TTL',
      assumed: '10–20%',
      measuredShare: null,
      note: NOT_IN_LOGS,
    },
    {
      category: 'Storage',
      measure: '不要データ削除',
      measureEn: 'Deleting unneeded data',
      assumed: '10–15%',
      measuredShare: null,
      note: NOT_IN_LOGS,
    },
    {
      category: 'Network',
      measure: 'VPC Endpoint 活用',
      measureEn: 'VPC endpoints',
      assumed: '5–10%',
      measuredShare: null,
      note: NOT_IN_LOGS,
    },
    {
      category: 'Network',
      measure: 'CloudFront キャッシュ',
      measureEn: 'CloudFront caching',
      assumed: '10–20%',
      measuredShare: null,
      note: NOT_IN_LOGS,
    },
  ];
}

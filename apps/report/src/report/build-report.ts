import type { PricingCatalog } from '@nova-cost/domain';
import type { ReadProblemsSummary } from '../logs/read-problems';
import { checklistRows } from './checklist';
import { leverCatalogue } from './levers';
import type { SavingsReport } from './report-data';
import { REPORT_SCHEMA } from './report-data';
import type { SavingsTally } from './savings-tally';

export interface ReplayMeta {
  readonly source: string;
  readonly files: number;
  readonly records: number;
  readonly late: number;
  readonly problems: ReadProblemsSummary;
  readonly reorderWindow: number;
  /** @default 20 */
  readonly topPrompts?: number;
  readonly now?: Date;
}

/** The report of a replay, from its tally. */
export function buildReplayReport(tally: SavingsTally, pricing: PricingCatalog, meta: ReplayMeta): SavingsReport {
  const { total, byModel, byTenant, byDay } = tally.groups();
  const deferred = tally.deferred();
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    schema: REPORT_SCHEMA,
    kind: 'replay',
    generatedAt: (meta.now ?? new Date()).toISOString(),
    source: meta.source,
    period: { from: iso(tally.period.from), to: iso(tally.period.to) },
    total,
    levers: leverCatalogue(),
    byModel,
    byTenant,
    byDay,
    series: tally.series(),
    potential: [],
    deferred,
    checklist: checklistRows(total, deferred),
    topPrompts: tally.topPrompts(meta.topPrompts ?? 20),
    notReplayed: tally.notReplayedReasons(),
    failed: tally.failed(),
    unpriced: tally.unpriced(),
    problems: meta.problems,
    records: { read: meta.records, late: meta.late, files: meta.files },
    prices: tally.pricesUsed(pricing),
    assumptions: [
      "Each record is replayed at its logged timestamp, taken as the time the call started, through the gateway's own cost policy, request key and pricing; no model is called.",
      `Records are put in time order through a window of ${meta.reorderWindow.toLocaleString('en')} records (fewer when they are large); ${meta.late.toLocaleString('en')} arrived later than that and were replayed at the time of the record before them.`,
      "A call is in flight from its start for its logged latency (metrics.latencyMs, or the stream's invocation metrics); where the log has none (InvokeModel), 200 ms plus 12 ms per output token. An identical cacheable request starting within that time is coalesced.",
      'A cached answer is available from the end of its call until its TTL runs out; answers the domain does not reuse (truncated, filtered) are never served from the cache.',
      "A routed call is priced with the tokens logged for the model that answered it; the cheaper model's own count may differ a little.",
      "Streaming calls (ConverseStream, InvokeModelWithResponseStream) are replayed through the gateway's stream routes: the same policy, and a request key of their own (a stream and a unary call do not share a cache entry).",
      'An output cap the policy sets or lowers stops a logged answer that was longer at the cap: its output tokens past the cap are not billed (the answer may have been needed whole; the caller may ask again).',
      'A service tier the policy names is billed where the price table prices that tier for the model (Bedrock offers it there); elsewhere the call runs in the default tier, as the Bedrock adapter learns. A tier the caller named is priced before and after alike.',
      "A caller the identity rules put in the deferrable lane is taken to send its unary calls through the async API: the gateway's batch job queue rules decide which go in a batch job (billed at half the on-demand price) and which are answered on demand; a job's answers are taken to arrive when it is sent. Every priced model is taken to offer batch inference.",
      'Before is what Bedrock billed on demand for the logged tokens (input, output, prompt-cache reads and writes); failed calls are not billed and not counted.',
    ],
  };
}

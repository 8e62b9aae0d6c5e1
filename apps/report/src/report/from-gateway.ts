import { SAVING_STRATEGIES } from '@nova-cost/domain';
import { ReportError } from '../report-error';
import { checklistRows } from './checklist';
import { leverCatalogue } from './levers';
import type { GroupFigures, LeverFigures, SavingsReport } from './report-data';
import { REPORT_SCHEMA } from './report-data';

/** A group of the gateway's GET /costs answer (SpendGroup, or the total SpendSummary). */
interface CostsGroup {
  readonly key?: string;
  readonly calls: number;
  readonly costUsd: number;
  readonly savedUsd: number;
  readonly savedByStrategy: Readonly<Record<string, number>>;
  /** Calls to models the gateway could not price (their cost is not in costUsd). */
  readonly unpriced?: { readonly calls: number; readonly inputTokens: number; readonly outputTokens: number };
}

interface CostsAnswer {
  readonly tenantId: string;
  readonly total: CostsGroup;
  readonly byModel: readonly CostsGroup[];
  readonly byDay: readonly CostsGroup[];
  readonly byStrategy: readonly CostsGroup[];
}

const isGroup = (g: unknown): g is CostsGroup =>
  typeof g === 'object' &&
  g !== null &&
  ['calls', 'costUsd', 'savedUsd'].every((k) => typeof (g as Record<string, unknown>)[k] === 'number');

function group(key: string, g: CostsGroup, strategies?: readonly CostsGroup[]): GroupFigures {
  const byLever: Record<string, LeverFigures> = {};
  for (const s of SAVING_STRATEGIES) {
    const saved = g.savedByStrategy?.[s] ?? 0;
    const calls = strategies?.find((x) => x.key === s);
    if (saved === 0 && !calls) continue;
    // The ledger keeps, per strategy, the calls it saved on and what they were billed: before is billed + saved.
    byLever[s] = {
      calls: calls?.calls ?? 0,
      tokensBefore: 0,
      tokensAfter: 0,
      usdBefore: (calls?.costUsd ?? 0) + saved,
      usdAfter: calls?.costUsd ?? 0,
      savedUsd: saved,
    };
  }
  const usdBefore = g.costUsd + g.savedUsd;
  return {
    key,
    calls: g.calls,
    tokensBefore: 0,
    tokensAfter: 0,
    usdBefore,
    usdAfter: g.costUsd,
    savedUsd: g.savedUsd,
    savedShare: usdBefore > 0 ? g.savedUsd / usdBefore : 0,
    byLever,
  };
}

/** The report of what a running gateway recorded: its ledger's spend and savings (GET /costs) for one tenant. */
export function gatewayReport(url: string, costs: unknown, now = new Date()): SavingsReport {
  const c = costs as CostsAnswer;
  if (
    typeof c !== 'object' ||
    c === null ||
    typeof c.tenantId !== 'string' ||
    !isGroup(c.total) ||
    ![c.byModel, c.byDay, c.byStrategy].every((a) => Array.isArray(a) && a.every(isGroup))
  ) {
    throw new ReportError(
      'source',
      `${url}/costs did not answer {tenantId, total, byModel, byDay, byStrategy}: is it a nova-cost gateway?`,
    );
  }
  const total = group('total', c.total, c.byStrategy);
  const byDay = c.byDay.map((d) => group(d.key ?? '', d));
  return {
    schema: REPORT_SCHEMA,
    kind: 'gateway',
    generatedAt: now.toISOString(),
    source: url,
    period: { from: byDay[0]?.key ?? null, to: byDay.at(-1)?.key ?? null },
    total,
    levers: leverCatalogue(),
    byModel: c.byModel.map((m) => group(m.key ?? '', m)),
    byTenant: [{ ...total, key: c.tenantId }],
    byDay,
    series: { step: 'day', points: byDay.map((d) => ({ t: d.key, usdBefore: d.usdBefore, usdAfter: d.usdAfter })) },
    potential: [],
    checklist: checklistRows(total),
    topPrompts: [],
    notReplayed: [],
    failed: [],
    unpriced: c.byModel
      .filter((m) => m.unpriced && m.unpriced.calls > 0)
      .map((m) => ({
        modelId: m.key ?? '',
        region: '—',
        calls: m.unpriced!.calls,
        tokens: m.unpriced!.inputTokens + m.unpriced!.outputTokens,
        reason: "no price in the gateway's price table: its cost is not in the figures",
      })),
    problems: { count: 0, byReason: {}, named: [] },
    records: { read: c.total.calls, late: 0, files: 0 },
    prices: [],
    assumptions: [
      `Figures are the gateway's own spend ledger (GET /costs) for tenant ${c.tenantId}: what nova-cost billed and saved on real traffic, priced by the gateway's price table.`,
      'The ledger keeps totals, not calls: token counts and repeated prompts are not available from it.',
    ],
  };
}

/** Reads GET /costs of the gateway at `url` with the tenant's API key. */
export async function fetchGatewayReport(
  url: string,
  apiKey: string,
  options: { now?: Date; timeoutMs?: number } = {},
): Promise<SavingsReport> {
  const base = url.replace(/\/+$/, '');
  if (!/^https?:\/\/[^/\s]+/.test(base))
    throw new ReportError(
      'usage',
      `--from-gateway must be an http:// or https:// URL, got ${JSON.stringify(url.slice(0, 80))}`,
    );
  let res: Response;
  try {
    res = await fetch(`${base}/costs`, {
      headers: { 'x-api-key': apiKey },
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  } catch (err) {
    throw new ReportError(
      'source',
      `cannot reach the gateway at ${base}: ${(err as Error).cause ? String(((err as Error).cause as Error).message ?? (err as Error).cause) : (err as Error).message}`,
      { cause: err },
    );
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text.slice(0, 200);
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      // not JSON: keep the start of the text
    }
    throw new ReportError('source', `the gateway at ${base} answered ${res.status} to GET /costs: ${message}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ReportError('source', `${base}/costs did not answer JSON: is it a nova-cost gateway?`);
  }
  return gatewayReport(base, body, options.now);
}

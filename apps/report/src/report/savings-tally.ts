import type { PricingCatalog, TokenUsage } from '@nova-cost/domain';
import { isBilled, resolveModelId } from '@nova-cost/domain';
import type { ReplayedCall } from '../replay/replay-engine';
import type { CountedReason, DeferredFigures, GroupFigures, LeverFigures, PriceUsed, TopPrompt } from './report-data';
import { promptPreview } from './prompt-preview';
import { TopPrompts } from './top-prompts';

const HOUR_MS = 3_600_000;
/** Levers whose saving is a call not made: nothing is billed after them. */
const AVOIDS_CALL = new Set(['cache', 'coalescing']);

export const emptyGroup = (key: string): GroupFigures => ({
  key,
  calls: 0,
  tokensBefore: 0,
  tokensAfter: 0,
  usdBefore: 0,
  usdAfter: 0,
  savedUsd: 0,
  savedShare: 0,
  byLever: {},
});
const emptyLever = (): LeverFigures => ({
  calls: 0,
  tokensBefore: 0,
  tokensAfter: 0,
  usdBefore: 0,
  usdAfter: 0,
  savedUsd: 0,
});

function baseModel(modelId: string): string {
  try {
    return resolveModelId(modelId).baseModelId;
  } catch {
    return modelId;
  }
}

interface CallFigures {
  tokens: number;
  tokensAfter: number;
  usdBefore: number;
  usdAfter: number;
  levers: { id: string; tokensAfter: number; usdBefore: number; usdAfter: number; savedUsd: number }[];
}

const tokensOf = (u: TokenUsage): number =>
  u.inputTokens + u.outputTokens + u.cacheReadInputTokens + u.cacheWriteInputTokens;

/** How one replayed call counts: before and after, and per lever what the lever changed. */
function figuresOf(r: ReplayedCall & { kind: 'replayed' | 'passed-through' | 'refused' }): CallFigures {
  const tokens = tokensOf(r.call.usage);
  if (r.kind !== 'replayed')
    return { tokens, tokensAfter: tokens, usdBefore: r.beforeUsd, usdAfter: r.beforeUsd, levers: [] };
  const { costUsd, savings, result } = r.outcome;
  const billed = isBilled(result) ? tokensOf(result.usage) : 0;
  const levers = savings.map((s) => {
    if (AVOIDS_CALL.has(s.strategy))
      return { id: s.strategy, tokensAfter: 0, usdBefore: s.usd, usdAfter: 0, savedUsd: s.usd };
    const after = s.strategy === 'routing' ? (r.routedUsd ?? 0) : costUsd;
    return { id: s.strategy, tokensAfter: billed, usdBefore: after + s.usd, usdAfter: after, savedUsd: s.usd };
  });
  return { tokens, tokensAfter: billed, usdBefore: r.beforeUsd, usdAfter: costUsd, levers };
}

function addTo(g: GroupFigures, f: CallFigures): void {
  g.calls += 1;
  g.tokensBefore += f.tokens;
  g.tokensAfter += f.tokensAfter;
  g.usdBefore += f.usdBefore;
  g.usdAfter += f.usdAfter;
  g.savedUsd += f.usdBefore - f.usdAfter;
  for (const l of f.levers) {
    const lever = (g.byLever[l.id] ??= emptyLever());
    lever.calls += 1;
    lever.tokensBefore += f.tokens;
    lever.tokensAfter += l.tokensAfter;
    lever.usdBefore += l.usdBefore;
    lever.usdAfter += l.usdAfter;
    lever.savedUsd += l.savedUsd;
  }
}

const finish = (g: GroupFigures): GroupFigures => ({
  ...g,
  savedShare: g.usdBefore > 0 ? g.savedUsd / g.usdBefore : 0,
});

/** Adds up replayed calls into the report's figures, in memory bounded by models, tenants, hours and reasons. */
export class SavingsTally {
  readonly total = emptyGroup('total');
  private readonly models = new Map<string, GroupFigures>();
  private readonly tenants = new Map<string, GroupFigures>();
  private readonly days = new Map<string, GroupFigures>();
  private readonly hours = new Map<number, { usdBefore: number; usdAfter: number }>();
  private readonly notReplayed = new Map<string, { calls: number; usd: number }>();
  private readonly failures = new Map<string, number>();
  private readonly unpricedCalls = new Map<
    string,
    { modelId: string; region: string; calls: number; tokens: number; reason: string }
  >();
  private readonly priced = new Set<string>();
  private readonly prompts = new TopPrompts();
  private readonly deferredRoutes = new Map<string, DeferredFigures>();
  private first: number | undefined;
  private last: number | undefined;

  /** @param showPrompts keep a preview of the most repeated prompts' text. @default false (fingerprints only) */
  constructor(private readonly showPrompts = false) {}

  add(r: ReplayedCall): void {
    this.first = Math.min(this.first ?? r.at, r.at);
    this.last = Math.max(this.last ?? r.at, r.at);
    const model = baseModel(r.call.modelId);
    if (r.kind === 'failed') {
      this.failures.set(r.call.errorCode ?? 'unknown', (this.failures.get(r.call.errorCode ?? 'unknown') ?? 0) + 1);
      return;
    }
    if (r.kind === 'unpriced') {
      const key = `${model}|${r.call.region}`;
      const e = this.unpricedCalls.get(key) ?? {
        modelId: model,
        region: r.call.region,
        calls: 0,
        tokens: 0,
        reason: r.reason,
      };
      e.calls += 1;
      e.tokens += tokensOf(r.call.usage);
      this.unpricedCalls.set(key, e);
      return;
    }
    this.priced.add(`${r.call.region}|${model}`);
    const f = figuresOf(r);
    const day = new Date(r.at).toISOString().slice(0, 10);
    for (const [map, key] of [
      [this.models, model],
      [this.tenants, r.caller.tenantId],
      [this.days, day],
    ] as const) {
      let g = map.get(key);
      if (!g) map.set(key, (g = emptyGroup(key)));
      addTo(g, f);
    }
    addTo(this.total, f);
    const hour = Math.floor(r.at / HOUR_MS) * HOUR_MS;
    const h = this.hours.get(hour) ?? { usdBefore: 0, usdAfter: 0 };
    h.usdBefore += f.usdBefore;
    h.usdAfter += f.usdAfter;
    this.hours.set(hour, h);
    if (r.kind !== 'replayed') {
      const reason = r.kind === 'refused' ? `refused by the ${r.reason} (kept at its logged cost)` : r.reason;
      const e = this.notReplayed.get(reason) ?? { calls: 0, usd: 0 };
      e.calls += 1;
      e.usd += r.beforeUsd;
      this.notReplayed.set(reason, e);
      return;
    }
    const planned = r.outcome.planned;
    if (planned.modelId !== r.call.modelId)
      this.priced.add(`${planned.region ?? r.call.region}|${baseModel(planned.modelId)}`);
    const deferred = r.outcome.deferred;
    if (deferred) {
      const key = `${deferred.route}|${deferred.reason ?? ''}`;
      const d = this.deferredRoutes.get(key) ?? {
        route: deferred.route,
        ...(deferred.reason ? { reason: deferred.reason } : {}),
        calls: 0,
        usdBefore: 0,
        usdAfter: 0,
      };
      d.calls += 1;
      d.usdBefore += f.usdBefore;
      d.usdAfter += f.usdAfter;
      this.deferredRoutes.set(key, d);
    }
    if (r.decision.key && !isBilled(r.outcome.result)) {
      const body = r.call.body;
      this.prompts.add(
        r.decision.key,
        { tenantId: r.caller.tenantId, modelId: model, savedUsd: f.usdBefore - f.usdAfter },
        this.showPrompts && body ? () => promptPreview(body) : undefined,
      );
    }
  }

  get period(): { from: number | undefined; to: number | undefined } {
    return { from: this.first, to: this.last };
  }

  groups(): { byModel: GroupFigures[]; byTenant: GroupFigures[]; byDay: GroupFigures[]; total: GroupFigures } {
    const bySpend = (a: GroupFigures, b: GroupFigures) => b.usdBefore - a.usdBefore;
    return {
      total: finish(this.total),
      byModel: [...this.models.values()].map(finish).sort(bySpend),
      byTenant: [...this.tenants.values()].map(finish).sort(bySpend),
      byDay: [...this.days.values()].map(finish).sort((a, b) => a.key.localeCompare(b.key)),
    };
  }

  /** Hourly points when the logs span up to 4 days, else daily. */
  series(): { step: 'hour' | 'day'; points: { t: string; usdBefore: number; usdAfter: number }[] } {
    const hours = [...this.hours.entries()].sort(([a], [b]) => a - b);
    const span = hours.length > 0 ? hours[hours.length - 1]![0] - hours[0]![0] : 0;
    if (span <= 96 * HOUR_MS)
      return { step: 'hour', points: hours.map(([t, v]) => ({ t: new Date(t).toISOString(), ...v })) };
    return {
      step: 'day',
      points: this.groups().byDay.map((d) => ({ t: d.key, usdBefore: d.usdBefore, usdAfter: d.usdAfter })),
    };
  }

  /** Deferrable calls sent through the async API, by how the batch job queue answered them. */
  deferred(): DeferredFigures[] {
    return [...this.deferredRoutes.values()].sort((a, b) => b.calls - a.calls);
  }

  topPrompts(n: number): TopPrompt[] {
    return this.prompts.top(n);
  }

  notReplayedReasons(): CountedReason[] {
    return [...this.notReplayed.entries()].map(([reason, v]) => ({ reason, ...v })).sort((a, b) => b.usd - a.usd);
  }

  failed(): { errorCode: string; calls: number }[] {
    return [...this.failures.entries()]
      .map(([errorCode, calls]) => ({ errorCode, calls }))
      .sort((a, b) => b.calls - a.calls);
  }

  unpriced(): { modelId: string; region: string; calls: number; tokens: number; reason: string }[] {
    return [...this.unpricedCalls.values()].sort((a, b) => b.calls - a.calls);
  }

  pricesUsed(pricing: PricingCatalog): PriceUsed[] {
    return [...this.priced].sort().map((k) => {
      const [region, modelId] = k.split('|') as [string, string];
      const p = pricing.price({ modelId, region });
      return { modelId, region, inputPer1M: p.inputPer1M, outputPer1M: p.outputPer1M, source: p.source, asOf: p.asOf };
    });
  }
}

import type { Clock } from '../clock.port';
import { NovaCostError } from '../errors/nova-cost.error';
import type { InvocationRequest, InvokeOptions } from '../invocation/invocation.types';
import { isStreamOperation } from '../invocation/invocation.types';
import type { ModelStream, ModelStreamer, StreamReport } from '../invocation/model-stream';
import type { SpendLedger } from '../ledger/spend-ledger.port';
import type { CostPolicy, InvocationPlan } from '../policy/cost-policy.port';
import type { PricingCatalog } from '../pricing/pricing-catalog.port';
import type { CallCost } from './price-call';
import { settleCall } from './price-call';

export interface StreamModelDeps {
  readonly policy: CostPolicy;
  readonly streamer: ModelStreamer;
  readonly pricing: PricingCatalog;
  readonly ledger: SpendLedger;
  /** @default the system clock */
  readonly clock?: Clock;
  /** Told when the ledger refuses an entry or a stream cannot be priced; the caller still gets its stream. @default ignore */
  readonly onLedgerError?: (error: unknown) => void;
  /** As InvokeModelDeps.admission: 'invoker' when the streaming chain admits billed calls itself (CachingStreamer does). @default 'before-invoke' */
  readonly admission?: 'before-invoke' | 'invoker';
}

/** What a finished stream came to. */
export interface StreamSettlement extends CallCost {
  readonly report: StreamReport;
}

export interface StreamingOutcome {
  readonly plan: InvocationPlan;
  readonly stream: ModelStream;
  /**
   * Resolves once the stream ended (completed, failed, or left by its caller) and was priced from the usage it
   * reported — or, when it did not get that far, from the tokens produced until it ended — and recorded in the ledger.
   * Never rejects.
   */
  readonly settled: Promise<StreamSettlement>;
}

/**
 * The use case behind every streaming call (ConverseStream, InvokeModelWithResponseStream): plan under the cost policy
 * and admit into the budget like a unary call, start the stream, and once it ended price it and record it.
 */
export class StreamModel {
  constructor(private readonly deps: StreamModelDeps) {}

  async execute(request: InvocationRequest, options: InvokeOptions = {}): Promise<StreamingOutcome> {
    if (!isStreamOperation(request.operation))
      throw new NovaCostError('internal', `StreamModel runs streaming operations, not ${request.operation}`);
    const plan = await this.deps.policy.plan(request);
    let stream: ModelStream;
    try {
      const admit = () => plan.reservation.admit();
      if (this.deps.admission !== 'invoker') await admit();
      stream = await this.deps.streamer.stream(plan.call, { ...options, admit });
    } catch (err) {
      plan.reservation.release();
      throw err;
    }
    const settled = stream.report.then(async (report) => {
      try {
        return {
          report,
          ...(await settleCall(this.deps, plan, {
            modelId: stream.modelId,
            usage: report.usage,
            cache: stream.cache,
            ...(report.serviceTier === undefined ? {} : { serviceTier: report.serviceTier }),
          })),
        };
      } catch (err) {
        this.deps.onLedgerError?.(err);
        plan.reservation.release();
        return { report, costUsd: 0, savedUsd: 0, savings: [], unpriced: true };
      }
    });
    return { plan, stream, settled };
  }
}

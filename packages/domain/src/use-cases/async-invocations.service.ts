import { createHash, randomUUID } from 'node:crypto';
import type { AnswerCache } from '../async/answer-cache.port';
import type {
  AsyncListPage,
  AsyncListQuery,
  AsyncSubmission,
  DeferredCall,
  DeferredCallState,
  DeferredOutcome,
} from '../async/deferred-call';
import type { DeferredCallQueue } from '../async/deferred-call-queue.port';
import { submissionFingerprint } from '../async/submission-fingerprint';
import type { Clock } from '../clock.port';
import { systemClock } from '../clock.port';
import { NovaCostError } from '../errors/nova-cost.error';
import type { PlannedInvocation } from '../invocation/invocation.types';
import type { JsonObject } from '../json';
import type { SpendLedger } from '../ledger/spend-ledger.port';
import type { BudgetReservation, CostPolicy } from '../policy/cost-policy.port';
import type { PricingCatalog } from '../pricing/pricing-catalog.port';
import type { CallPrice } from './price-call';
import { priceCall, spendEntryOf } from './price-call';

export interface AsyncInvocationsDeps {
  readonly policy: CostPolicy;
  readonly pricing: PricingCatalog;
  readonly ledger: SpendLedger;
  readonly queue: DeferredCallQueue;
  /** Answers already paid for: a submission found there is answered at once, and batch answers are kept there. @default none */
  readonly cache?: AnswerCache;
  /** @default the system clock */
  readonly clock?: Clock;
  /** The deadline of a submission that sets none. @default 86400000 (24 h) */
  readonly defaultDeadlineMs?: number;
  /**
   * The service tier a call is sent in when it is answered on demand instead of in a batch job (its deadline would be
   * missed, its group cannot reach a job's minimum records in time, its job failed or stopped short): 'flex' sends it
   * through Bedrock's Flex tier where the model offers it (the Bedrock adapter falls back to the standard tier for a
   * model or region that refuses Flex, and the ledger records the tier that served it); 'standard' sends it in the
   * default tier. A tier the caller named, or the policy chose, is kept. @default 'flex'
   */
  readonly onDemandTier?: 'flex' | 'standard';
  /** Told when the ledger refuses an entry. @default ignore */
  readonly onLedgerError?: (error: unknown) => void;
  /** Told of every settled call with its price (undefined when it failed): metrics. @default none */
  readonly onSettled?: (call: DeferredCall, outcome: DeferredOutcome, price: CallPrice | undefined) => void;
}

const TOKEN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$/;
const DAY_MS = 86_400_000;

/** The invocation id of a tenant's clientRequestToken: 16 lower-case letters and digits, the same every time. */
export function asyncInvocationId(tenantId: string, clientRequestToken: string): string {
  const digest = createHash('sha256').update(`${tenantId}\u0000${clientRequestToken}`).digest();
  return BigInt(`0x${digest.subarray(0, 12).toString('hex')}`)
    .toString(36)
    .padStart(16, '0')
    .slice(-16);
}

/**
 * Deferrable work at batch prices (StartAsyncInvoke, GetAsyncInvoke, ListAsyncInvokes): each submission is planned by
 * the cost policy (which reserves its budget now), answered from the cache when it can be, and otherwise kept by the
 * deferred-call queue until a batch job (or, when none can finish by its deadline, an on-demand call) answers it; each
 * answer is then priced at the billing it had and recorded in the ledger.
 */
export class AsyncInvocations {
  /** Budget reservations of calls submitted by this process and not settled yet. */
  private readonly reservations = new Map<string, BudgetReservation>();
  /** Submissions of an id in progress here, so the same token twice at once is kept (and reserved) once. */
  private readonly submitting = new Map<string, Promise<DeferredCallState>>();
  private readonly clock: Clock;

  constructor(private readonly deps: AsyncInvocationsDeps) {
    this.clock = deps.clock ?? systemClock;
    if (deps.onDemandTier !== undefined && deps.onDemandTier !== 'flex' && deps.onDemandTier !== 'standard')
      throw new NovaCostError(
        'configuration',
        `onDemandTier must be 'flex' or 'standard', got ${String(deps.onDemandTier)}`,
      );
    const deadline = deps.defaultDeadlineMs;
    if (deadline !== undefined && !(Number.isFinite(deadline) && deadline > 0))
      throw new NovaCostError('configuration', `defaultDeadlineMs must be a number > 0, got ${deadline}`);
  }

  /** Starts the queue: calls kept before a restart are answered and settled too. */
  start(): Promise<void> {
    return this.deps.queue.start((call, outcome) => this.settle(call, outcome));
  }

  /** StartAsyncInvoke: the invocation's state once the submission is durable (or answered from the cache). */
  async submit(submission: AsyncSubmission): Promise<DeferredCallState> {
    const token = submission.clientRequestToken ?? randomUUID();
    if (!TOKEN.test(token))
      throw new NovaCostError(
        'validation',
        'clientRequestToken must be 1-256 letters, digits and hyphens, starting and ending with a letter or digit',
        { details: { field: 'clientRequestToken' } },
      );
    const id = asyncInvocationId(submission.tenantId, token);
    const pending = this.submitting.get(id);
    if (pending) return this.sameRequest(await pending, submission);
    const work = this.submitOnce(id, token, submission);
    this.submitting.set(id, work);
    try {
      return await work;
    } finally {
      this.submitting.delete(id);
    }
  }

  /** GetAsyncInvoke. */
  async find(tenantId: string, id: string): Promise<DeferredCallState> {
    const state = await this.deps.queue.find(tenantId, id);
    if (!state) throw notFound(id);
    return state;
  }

  /** ListAsyncInvokes. */
  async list(tenantId: string, query: AsyncListQuery): Promise<AsyncListPage> {
    const max = query.maxResults;
    if (max !== undefined && !(Number.isInteger(max) && max >= 1 && max <= 1000))
      throw new NovaCostError('validation', `maxResults must be an integer from 1 to 1000, got ${max}`, {
        details: { field: 'maxResults' },
      });
    return this.deps.queue.list(tenantId, query);
  }

  /** The answer body of a completed invocation. */
  async output(tenantId: string, id: string): Promise<JsonObject> {
    const body = await this.deps.queue.output(tenantId, id);
    if (!body) {
      const state = await this.find(tenantId, id);
      throw new NovaCostError('not-found', `async invocation ${id} has no output: its status is ${state.status}`, {
        details: { reason: 'no-output', status: state.status },
      });
    }
    return body;
  }

  private async submitOnce(id: string, token: string, submission: AsyncSubmission): Promise<DeferredCallState> {
    const existing = await this.deps.queue.find(submission.tenantId, id);
    if (existing) return this.sameRequest(existing, submission);
    const now = this.clock.now();
    const plan = await this.deps.policy.plan({
      tenantId: submission.tenantId,
      modelId: submission.modelId,
      operation: submission.operation,
      body: submission.body,
      hints: { ...submission.hints, lane: 'deferrable' },
    });
    const call: DeferredCall = {
      id,
      clientRequestToken: token,
      fingerprint: submissionFingerprint(submission),
      submittedAt: now,
      deadline: submission.deadline ?? new Date(now.getTime() + (this.deps.defaultDeadlineMs ?? DAY_MS)),
      request: this.onDemandTier(plan.call),
      ...(plan.routedBy ? { routedBy: plan.routedBy } : {}),
      ...(submission.outputS3Uri ? { outputS3Uri: submission.outputS3Uri } : {}),
    };
    try {
      await plan.reservation.admit();
      const cached = plan.call.cache === 'none' ? undefined : await this.deps.cache?.lookup(plan.call);
      if (cached) {
        const state = await this.deps.queue.acceptAnswered(call, cached);
        this.reservations.set(id, plan.reservation);
        await this.settle(call, { ok: true, route: 'cache', result: cached });
        return state;
      }
      const state = await this.deps.queue.accept(call);
      this.reservations.set(id, plan.reservation);
      return state;
    } catch (err) {
      plan.reservation.release();
      throw err;
    }
  }

  /**
   * The planned request, sent in the on-demand tier should it not go in a batch job: a batch job ignores the tier (its
   * records are billed at the batch price), so the call carries it from submission, and across restarts.
   */
  private onDemandTier(call: PlannedInvocation): PlannedInvocation {
    if ((this.deps.onDemandTier ?? 'flex') !== 'flex' || call.tier !== 'default') return call;
    return { ...call, tier: { name: 'flex', by: 'policy' } };
  }

  /** Prices and records a call's outcome, and settles (or releases) its budget reservation. */
  private async settle(call: DeferredCall, outcome: DeferredOutcome): Promise<void> {
    const reservation = this.reservations.get(call.id);
    this.reservations.delete(call.id);
    if (!outcome.ok) {
      reservation?.release();
      this.deps.onSettled?.(call, outcome, undefined);
      return;
    }
    let price: CallPrice = { costUsd: 0, savings: [], unpriced: false };
    try {
      price = priceCall(
        this.deps.pricing,
        { call: call.request, ...(call.routedBy === undefined ? {} : { routedBy: call.routedBy }) },
        outcome.result,
      );
    } finally {
      reservation?.settle(price.costUsd);
    }
    try {
      await this.deps.ledger.record(
        spendEntryOf(this.clock.now(), call.request.tenantId, outcome.result, price, reservation?.holdId),
      );
    } catch (err) {
      this.deps.onLedgerError?.(err);
    }
    // A batch answer serves later callers of the same request, as an on-demand one does.
    if (outcome.route === 'batch' && call.request.cache !== 'none')
      await this.deps.cache?.remember(call.request, outcome.result);
    this.deps.onSettled?.(call, outcome, price);
  }

  private sameRequest(state: DeferredCallState, submission: AsyncSubmission): DeferredCallState {
    if (state.fingerprint !== submissionFingerprint(submission)) {
      throw new NovaCostError(
        'validation',
        `clientRequestToken ${state.clientRequestToken.slice(0, 64)} was used for another request; use a new token for a new request`,
        {
          details: { field: 'clientRequestToken', reason: 'idempotency-mismatch' },
        },
      );
    }
    return state;
  }
}

function notFound(id: string): NovaCostError {
  return new NovaCostError('not-found', `no async invocation ${id.slice(0, 64)} for this tenant`, {
    details: { reason: 'async-invocation' },
  });
}

import { NovaCostError } from '@nova-cost/domain';

function aborted(): NovaCostError {
  return new NovaCostError('aborted', 'the caller aborted the request');
}

/** A caller's share of a shared call: its value, and whether this caller is the one it is billed to. */
export interface Share<T> {
  readonly value: T;
  /** True for exactly one caller: the one that started the call, or, once it left, the first caller still there. */
  readonly pays: boolean;
}

/**
 * One call shared by every concurrent caller of the same key (see SharedCalls). Each caller may abort its own wait;
 * the call itself (its signal) is aborted only when every caller has given up. The call is billed to the caller that
 * started it; when that caller leaves and others stay, the first of them to get the answer pays instead, so a call
 * that was made is never left unpaid.
 */
class SharedCall<T> {
  readonly promise: Promise<T>;
  private waiters = 0;
  private readonly controller = new AbortController();
  private payer: 'starter' | 'open' | 'taken' = 'starter';

  constructor(
    run: (signal: AbortSignal) => Promise<T>,
    private readonly onAbandoned: () => void,
  ) {
    this.promise = run(this.controller.signal);
    this.promise.catch(() => undefined); // every caller gets the rejection through join(); none is left unhandled
  }

  join(signal: AbortSignal | undefined, starter: boolean): Promise<Share<T>> {
    if (signal?.aborted) {
      if (starter) this.payer = 'open';
      return Promise.reject(aborted());
    }
    this.waiters += 1;
    return new Promise<Share<T>>((resolve, reject) => {
      const onAbort = (): void => {
        reject(aborted());
        if (starter && this.payer === 'starter') this.payer = 'open';
        if (--this.waiters > 0) return;
        this.onAbandoned();
        this.controller.abort(aborted());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.promise
        .then((value) => resolve({ value, pays: this.pays(starter) }), reject)
        .finally(() => signal?.removeEventListener('abort', onAbort));
    });
  }

  private pays(starter: boolean): boolean {
    if (starter) return this.payer === 'starter';
    if (this.payer !== 'open') return false;
    this.payer = 'taken';
    return true;
  }
}

/**
 * Calls in flight by key: a caller of a key whose call is under way joins it instead of making its own. A call is
 * forgotten once it settles, or at once when every caller gave up on it (a newcomer then starts a fresh one).
 */
export class SharedCalls<T> {
  private readonly inFlight = new Map<string, SharedCall<T>>();

  /** Whether a call of `key` is under way (a caller would join it). */
  has(key: string): boolean {
    return this.inFlight.has(key);
  }

  /**
   * Joins the call of `key` under way, or starts one with `run` (its signal aborts once every caller left). Each
   * caller's share says whether it pays for the call (see Share).
   */
  run(key: string, signal: AbortSignal | undefined, run: (signal: AbortSignal) => Promise<T>): Promise<Share<T>> {
    const current = this.inFlight.get(key);
    if (current) return current.join(signal, false);
    if (signal?.aborted) return Promise.reject(aborted());
    const forget = (): void => {
      if (this.inFlight.get(key) === call) this.inFlight.delete(key);
    };
    const call: SharedCall<T> = new SharedCall(run, forget);
    this.inFlight.set(key, call);
    call.promise.then(forget, forget);
    return call.join(signal, true);
  }
}

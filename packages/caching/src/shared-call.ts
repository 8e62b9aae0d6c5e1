import { NovaCostError } from '@nova-cost/domain';

function aborted(): NovaCostError {
  return new NovaCostError('aborted', 'the caller aborted the request');
}

/**
 * One call shared by every concurrent caller of the same key (see SharedCalls). Each caller may abort its own wait;
 * the call itself (its signal) is aborted only when every caller has given up.
 */
class SharedCall<T> {
  readonly promise: Promise<T>;
  private waiters = 0;
  private readonly controller = new AbortController();

  constructor(
    run: (signal: AbortSignal) => Promise<T>,
    private readonly onAbandoned: () => void,
  ) {
    this.promise = run(this.controller.signal);
    this.promise.catch(() => undefined); // every caller gets the rejection through join(); none is left unhandled
  }

  join(signal: AbortSignal | undefined): Promise<T> {
    if (signal?.aborted) return Promise.reject(aborted());
    this.waiters += 1;
    if (!signal) return this.promise;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        reject(aborted());
        if (--this.waiters > 0) return;
        this.onAbandoned();
        this.controller.abort(aborted());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
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
   * Joins the call of `key` under way, or starts one with `run` (its signal aborts once every caller left). `joined`
   * says which: the caller that started the call pays for it, the others shared it.
   */
  run(
    key: string,
    signal: AbortSignal | undefined,
    run: (signal: AbortSignal) => Promise<T>,
  ): { readonly joined: boolean; readonly result: Promise<T> } {
    const current = this.inFlight.get(key);
    if (current) return { joined: true, result: current.join(signal) };
    if (signal?.aborted) return { joined: false, result: Promise.reject(aborted()) };
    const forget = (): void => {
      if (this.inFlight.get(key) === call) this.inFlight.delete(key);
    };
    const call: SharedCall<T> = new SharedCall(run, forget);
    this.inFlight.set(key, call);
    call.promise.then(forget, forget);
    return { joined: false, result: call.join(signal) };
  }
}

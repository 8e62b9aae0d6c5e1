/**
 * One signal for one call: aborted by the caller's signal or when `timeoutMs` runs out, whichever comes first,
 * remembering which. Listeners and the timer are released by `dispose()`, so a long-lived caller signal does not
 * collect a listener per call and a finished call leaves no timer behind (as AbortSignal.any/timeout would).
 */
export class CallDeadline {
  private readonly controller = new AbortController();
  private readonly timer: ReturnType<typeof setTimeout>;
  private expiredFirst = false;

  constructor(
    readonly timeoutMs: number,
    private readonly caller?: AbortSignal,
  ) {
    this.timer = setTimeout(() => {
      if (this.controller.signal.aborted) return;
      this.expiredFirst = true;
      this.controller.abort(new DOMException(`the call did not finish within ${timeoutMs} ms`, 'TimeoutError'));
    }, timeoutMs);
    if (caller?.aborted) this.onCallerAbort();
    else caller?.addEventListener('abort', this.onCallerAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Whether the time ran out before the caller aborted. */
  get expired(): boolean {
    return this.expiredFirst;
  }

  /** Keeps the caller's abort and drops the time limit: a stream that has started may take as long as its answer. */
  stopTimer(): void {
    clearTimeout(this.timer);
  }

  /** Ends the call now (a stream nobody reads any more). */
  abort(): void {
    if (!this.controller.signal.aborted)
      this.controller.abort(new DOMException('the stream was left by every reader', 'AbortError'));
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.caller?.removeEventListener('abort', this.onCallerAbort);
  }

  private readonly onCallerAbort = (): void => {
    this.controller.abort(this.caller?.reason);
  };
}

import { NovaCostError } from '@nova-cost/domain';

/**
 * Runs `onLate` once `ms` have passed without `isSettled()`, judged only after the event loop has read its sockets
 * once more since the timer fired. A timer fires late when the loop was busy (CPU-bound work, a burst of requests);
 * the store's answer may then be sitting unread in the socket, which says nothing about the store. Timers run before
 * the loop polls for I/O and setImmediate right after it, so waiting for one setImmediate lets such an answer in
 * before a busy process blames a healthy Redis. Returns a function that cancels the timer.
 */
export function armLoopAwareTimeout(ms: number, isSettled: () => boolean, onLate: () => void): () => void {
  let immediate: NodeJS.Immediate | undefined;
  const timer = setTimeout(() => {
    immediate = setImmediate(() => {
      if (!isSettled()) onLate();
    });
  }, ms);
  return () => {
    clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
  };
}

/** `call`'s outcome, or a 'timeout' NovaCostError naming `what` when it has no answer within `ms` (see armLoopAwareTimeout). */
export function withinLoopAwareDeadline<T>(call: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const cancel = armLoopAwareTimeout(
      ms,
      () => settled,
      () => {
        settled = true;
        reject(new NovaCostError('timeout', `${what} did not answer within ${ms} ms`));
      },
    );
    call.then(
      (value) => {
        if (settled) return;
        settled = true;
        cancel();
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        cancel();
        reject(error);
      },
    );
  });
}

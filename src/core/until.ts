/**
 * `until`: a foreign promise as a verdant wait.
 *
 * Design note: the Waiter's owner counts the wait in `hub.untilCount` until the foreign promise
 * settles or the wait is interrupted, so a virtual hub does not call a stall while a foreign
 * result may still come, and `wait()` with no objects does not call the hub idle. An interrupt
 * withdraws the wait; the foreign work goes on (its result is dropped). Tests:
 * test/core/until.test.ts, test/core/waitmany.test.ts ("wait() with no objects waits for
 * greenlets in until()").
 *
 * @module
 */
import { NONE } from './_fiber.js';
import { typeName } from './_util.js';
import { rejectWait } from './errors.js';
import { getHub, type Hub } from './hub.js';
import { throwTimeout } from './timeout.js';
import { readWaitOptions, Waiter, type WaitOptions, waitArgs } from './waiter.js';

const untilOwner = {
  abortWait(w: Waiter): void {
    untilDone(w);
  },
};

function untilDone(w: Waiter): void {
  if (w.data !== null && w.data !== undefined) {
    const hub = w.data as Hub;
    hub.untilCount--;
    w.data = null;
    if (hub.untilCount === 0) hub.recheckIdle();
  }
}

function ignore(): void {}

/** Handle `promise`'s rejection if it is a thenable (its `then` may throw: ignored). */
function observe(promise: unknown): void {
  if (promise === null || typeof promise !== 'object') return;
  try {
    const then = (promise as PromiseLike<unknown>).then;
    if (typeof then === 'function') then.call(promise, undefined, ignore);
  } catch {
    // A thenable whose then() throws has no rejection to handle.
  }
}

/**
 * Make a foreign promise a verdant wait: kill, `Timeout`, the `timeout` option and `signal` land
 * here. The foreign work itself goes on unless it was given a signal (`getCurrent().signal`).
 *
 * A switch point. Without `until`, awaiting a foreign promise is not a verdant wait: a kill or
 * Timeout lands only at the next verdant wait. While it waits, the foreign promise counts as work
 * in flight: `wait()` with no objects does not resolve, and `runVirtual` does not call its hub
 * stalled, until the promise settles or the wait is interrupted. `until` takes the promise's
 * outcome in every case: when it rejects before waiting (an already aborted `signal`, bad
 * options), the promise's own later rejection is handled too, never reported as unhandled.
 * @param promise - the foreign promise (or thenable)
 * @param options - `{timeout, signal}` or a timeout in ms
 * @returns what `promise` resolves to
 * @throws what `promise` rejects with; a `Timeout` when `timeout` elapses; TypeError for a non-thenable
 *   (and TypeError for an unknown option key)
 * @example
 * ```ts
 * import { setTimeout as delay } from 'node:timers/promises';
 * import { type Greenlet, getCurrent, spawn, until } from 'verdant';
 * const g = spawn(() => {
 *   const { signal } = getCurrent() as Greenlet; // aborted when g is killed
 *   return until(delay(10, 'done', { signal }), { timeout: 5000 });
 * });
 * console.log(await g.get()); // 'done'
 * ```
 */
export function until<T>(
  promise: PromiseLike<T>,
  options?: WaitOptions | number | null,
): Promise<T> {
  const err = readWaitOptions(options, 'until');
  if (err !== NONE) {
    // The call ends before it waits (an aborted signal, bad options): it still takes the
    // promise's outcome, as it does once it waits, so a later rejection is not left unhandled.
    observe(promise);
    return rejectWait(err);
  }
  if (promise === null || typeof promise !== 'object' || typeof promise.then !== 'function') {
    return Promise.reject(
      new TypeError(`until: promise must be a promise or a thenable, got ${typeName(promise)}`),
    );
  }
  return untilWait(promise, waitArgs.timeout, waitArgs.signal, throwTimeout);
}

/**
 * {@link until} once its arguments are checked: wait for the thenable `promise` for at most
 * `timeout` ms (null: no limit) and until `signal` aborts; when the time is up the wait ends
 * with what `onTimeout` returns or throws (`until` throws a `Timeout` of `timeout`; a call
 * bounded by one deadline for several waits throws the duration its caller asked for). A
 * switch point. @internal
 */
export function untilWait<T>(
  promise: PromiseLike<T>,
  timeout: number | null,
  signal: AbortSignal | null,
  onTimeout: (w: Waiter<never>) => unknown,
): Promise<T> {
  const hub = getHub();
  const w = new Waiter<T>(untilOwner, onTimeout);
  w.data = hub;
  hub.untilCount++;
  try {
    promise.then(
      (v) => {
        untilDone(w);
        w.wake(v);
      },
      (e: unknown) => {
        untilDone(w);
        w.wakeError(e);
      },
    );
  } catch (e) {
    // A thenable whose then() throws: what `await` of it would reject with, and no count kept.
    untilDone(w);
    return Promise.reject(e);
  }
  return w.start(timeout, signal);
}

/** What `wait`/`iwait` accept besides promises: a Greenlet, an Event, an AsyncResult … */

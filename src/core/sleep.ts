/**
 * Waiting for time or for the hub: `sleep` and `idle`.
 *
 * Design note: `sleep(0)` starts a wait and wakes it at once, so the greenlet resumes after every
 * greenlet already ready (the FIFO); `sleep(ms)` is a Waiter that is its own timer entry (no
 * closure, no Node timer per sleep; the Waiter comes from the free list). `idle` wakes from the
 * hub's idle callbacks. Tests: test/core/sleep.test.ts.
 *
 * @module
 */
import { NONE } from './_fiber.js';
import { returnFalse } from './_util.js';
import { rejectWait } from './errors.js';
import { getHub } from './hub.js';
import {
  checkMs,
  obtainWaiter,
  readWaitOptions,
  Waiter,
  type WaitOptions,
  waitArgs,
} from './waiter.js';

/** What `sleep`'s options may hold: its duration is `ms`, so no `timeout`. */
const SLEEP_KEYS: readonly string[] = ['signal'];

/**
 * Suspend the current greenlet for `ms` milliseconds (hub clock). `sleep()` / `sleep(0)` lets
 * every other ready greenlet run once, then resumes (it does not wait for timers or I/O).
 *
 * A switch point: kill and `Timeout` land here.
 * Source: `gevent.sleep` (`test__sleep0.py`, `test__order.py`). Milliseconds, not seconds.
 * @param ms - milliseconds, default 0
 * @param options - `{signal}` aborts the sleep
 * @throws RangeError for a negative or NaN `ms`, TypeError for a non-number (rejects)
 *   (and TypeError for an option other than `signal`)
 * @example
 * ```ts
 * import { sleep } from 'verdant';
 * await sleep(100); // other greenlets run meanwhile
 * ```
 */
export function sleep(ms = 0, options?: { signal?: AbortSignal | null }): Promise<void> {
  const bad = checkMs(ms, 'sleep');
  if (bad !== NONE) return rejectWait(bad);
  const err = readWaitOptions(options, 'sleep', undefined, SLEEP_KEYS);
  if (err !== NONE) return rejectWait(err);
  const w = obtainWaiter<void>(null, null);
  if (ms === 0) {
    const p = w.start(null, waitArgs.signal);
    w.wake();
    return p;
  }
  return w.start(ms, waitArgs.signal);
}

/**
 * Wait until the hub has nothing ready to run (every other greenlet is blocked), then resume.
 *
 * A switch point: kill and `Timeout` land here.
 * Source: `gevent.idle`.
 * @param options - `{timeout, signal}` or a timeout in ms
 * @returns true once idle, false when `timeout` elapsed first
 * @example
 * ```ts
 * import { idle, spawn } from 'verdant';
 * spawn(() => console.log('worker ran'));
 * await idle(); // the worker ran until it blocked (here: until it ended)
 * ```
 */
export function idle(options?: WaitOptions | number | null): Promise<boolean> {
  const err = readWaitOptions(options, 'idle');
  if (err !== NONE) return rejectWait(err);
  const w = new Waiter<boolean>(null, returnFalse);
  const p = w.start(waitArgs.timeout, waitArgs.signal);
  getHub().onIdle(() => w.wake(true));
  return p;
}

/**
 * The permit engine: one counter of permits and one FIFO of waiters, shared by every primitive
 * that hands out a limited number of something — `Semaphore`, `BoundedSemaphore`, `Lock` and
 * `RLock` (permits), `Pool` (free slots) and `imap`'s `maxsize` (calls in flight).
 *
 * Design note — a permit is handed over, never dropped, never counted twice.
 * - `release()` never switches. When greenlets wait, the permit does not go back to the counter:
 *   it is handed to the oldest waiter directly (the counter stays 0), so a greenlet that
 *   asks before that waiter resumes finds nothing free and queues behind it — FIFO, no barging
 *   (gevent ≥ 1.5a3, issue #1487). Invariant: the counter is positive only while nobody waits
 *   for a permit. Tests: test/sync/lock.test.ts "FIFO" and "no barging".
 * - A permit on its way to a woken waiter is *in transit*: it is neither free nor held by a
 *   greenlet that runs. It counts as taken (`inTransit`), so a bounded primitive's over-release
 *   check (`counter + inTransit` against the bound) throws also while the permit travels — there
 *   are never two holders of a `Lock`. The waiter takes it over when it resumes (`commitWait`).
 *   Test: test/sync/lock.test.ts "a release() while the permit is on its way to a woken waiter
 *   counts it as taken".
 * - A waiter woken with a permit and then killed, timed out or withdrawn before it resumes hands
 *   it on: the kill or Timeout calls `abortWait(w, held = true)` at once, which releases it again (to the next waiter
 *   or the counter). Waits marked {@link WAIT_MARK} (a semaphore's `wait()`) are woken on the way
 *   but take nothing. Tests: the "nothing lost" tests of test/sync/lock.test.ts and
 *   test/pool/pool.test.ts, and test/sync/permits.property.test.ts, which runs the same random
 *   storm of acquires, releases, kills and Timeouts pending together against the three users —
 *   a semaphore, a pool's slots, and imap's `maxsize` — and checks that every permit is
 *   accounted for.
 * - `onGrant(w)` runs when a permit is handed to `w` (an `RLock` records its new owner there, so
 *   ownership moves with the permit); `onFree()` runs after a release that leaves permits free
 *   (semaphore links, `Pool.waitAvailable`).
 *
 * @module
 */

import { Waiter, WaitList } from '../core/lowlevel.js';

/** `Waiter.data` of a wait that waits for a permit without taking one. @internal */
export const WAIT_MARK: unique symbol = Symbol('wait for a permit');

/**
 * A counter of permits plus the FIFO of waiters for them; as the waiters' owner it hands on the
 * permit of a woken waiter interrupted before it resumed.
 * @internal
 */
export class Permits extends WaitList {
  /** Free permits (`Infinity` for no bound). */
  counter: number;
  /** Permits handed to woken waiters that have not resumed yet. */
  inTransit = 0;
  /** Called when a permit is handed to the waiter `w`. */
  onGrant: ((w: Waiter) => void) | null = null;
  /** Called after a release that leaves permits free. */
  onFree: (() => void) | null = null;
  constructor(counter: number, target: object | null = null) {
    super(target);
    this.counter = counter;
  }

  /** Take a free permit if there is one. Never switches. */
  tryTake(): boolean {
    if (this.counter > 0) {
      this.counter--;
      return true;
    }
    return false;
  }

  /**
   * Wait for a permit: the promise resolves with `data` holding it (or, for {@link WAIT_MARK},
   * with `undefined`, holding nothing). `onTimeout` as {@link Waiter}'s.
   */
  wait<R>(
    data: unknown,
    onTimeout: ((w: Waiter<R>) => unknown) | null,
    timeout: number | null,
    signal: AbortSignal | null,
  ): Promise<R> {
    const w = new Waiter<R>(this, onTimeout);
    w.data = data;
    this.push(w);
    return w.start(timeout, signal);
  }

  /** Give a permit back: to the oldest waiter, else to the counter. Never switches. */
  release(): void {
    this.counter++;
    this.dispatch();
  }

  /** Hand free permits to the waiters in FIFO order; call `onFree` if some are left. */
  dispatch(): void {
    while (this.counter > 0) {
      const w = this.shift();
      if (w === null) break;
      if (w.data === WAIT_MARK) {
        w.wake(undefined);
        continue;
      }
      if (!w.wake(w.data)) continue;
      this.counter--;
      this.inTransit++;
      if (this.onGrant !== null) this.onGrant(w);
    }
    if (this.counter > 0 && this.onFree !== null) this.onFree();
  }

  override abortWait(w: Waiter, held: boolean): void {
    if (!held) {
      this.remove(w);
      return;
    }
    if (w.data === WAIT_MARK) return;
    this.inTransit--;
    this.release();
  }

  commitWait(w: Waiter): void {
    if (w.data !== WAIT_MARK) this.inTransit--;
  }
}

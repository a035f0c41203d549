/**
 * `Lock`: mutual exclusion, a `BoundedSemaphore` of one permit.
 *
 * Design note — no two holders. The permit engine (`_permits.ts`) counts a permit on its way to
 * a woken waiter as taken, so a second `release()` after the one that handed the lock over throws
 * `RangeError` instead of letting a third greenlet in while the woken one is about to resume.
 * Tests: test/sync/lock.test.ts "a release() while the permit is on its way to a woken waiter
 * counts it as taken", test/sync/permits.property.test.ts.
 *
 * @module
 */

import { settleShape } from '../core/lowlevel.js';
import { checkNoArgs } from './_links.js';
import { BoundedSemaphore } from './semaphore.js';

/**
 * A mutual-exclusion lock: a {@link BoundedSemaphore} of one permit. It does not belong to the
 * greenlet that acquired it (any greenlet may release it); use {@link RLock} for that.
 *
 * Concurrency: as {@link Semaphore}: FIFO, no barging, nothing lost.
 * Source: gevent's patched `threading.Lock` (`gevent.thread.LockType`), a `BoundedSemaphore(1)`.
 * @example
 * ```ts
 * import { joinAll, Lock, sleep, spawn } from 'verdant';
 * const lock = new Lock();
 * let balance = 0;
 * const fetchDelta = async () => { await sleep(1); return 10; };
 * async function deposit(): Promise<void> {
 *   using _ = await lock.hold();
 *   balance += await fetchDelta(); // no other deposit runs in between
 * }
 * await joinAll([spawn(deposit), spawn(deposit)]);
 * console.log(balance); // 20
 * ```
 */
export class Lock extends BoundedSemaphore {
  /**
   * A free lock.
   * @throws TypeError when given an argument (`threading.Lock()` takes none; gevent's
   *   `LockType(5)` would be a semaphore of 5)
   */
  constructor(...args: []) {
    checkNoArgs(args.length, new.target.name);
    super(1);
  }

  /**
   * Unlock: hand the lock to the oldest waiter, or leave it free. Never switches.
   * @throws RangeError when it is not locked
   */
  override release(): void {
    if (this.counter >= 1) {
      throw new RangeError(`Cannot release a lock that is not held: counter is ${this.counter}`);
    }
    if (this._inTransit > 0) {
      throw new RangeError(
        'Cannot release a lock already handed to a woken waiter: counter is 0, 1 permit on its way',
      );
    }
    super.release();
  }
}
settleShape(() => new Lock());

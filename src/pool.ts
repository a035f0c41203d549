/**
 * `verdant/pool`: `Group` tracks running greenlets; `Pool` is a `Group` with a bounded number of
 * members, whose `spawn` waits for a free slot (that wait is the back-pressure).
 *
 * Design note — slots, membership, and why nothing is lost.
 * - Membership is a *quiet* link (`kQuietLink`): the hub removes a member right after it dies
 *   (so `size` and `freeCount()` change one hub step after the death, as gevent's), and that link
 *   does not count as "someone is listening": a member that fails with nobody joining it is still
 *   reported (test: "an unjoined member's failure is still reported").
 * - A `Pool` counts its free slots like a semaphore's permits, built directly on core's `Waiter`.
 *   A slot freed while spawners wait goes to the oldest of them *at once* (it stays reserved, so a
 *   synchronous `add()` cannot take it meanwhile); if that spawner is killed or timed out before
 *   it resumes, the hub calls `abortWait(w, held = true)` and the slot goes on to the next spawner
 *   or back to the pool, and nothing is spawned (tests: "a kill during spawn's wait …",
 *   "nothing lost"). The greenlet a waiting `spawn` will start is created at the call but started
 *   and added only when the spawner resumes with its slot.
 * - `join()` waits until the group has been empty at least once: joiners wake when the last
 *   member leaves, so members added while they wait are waited for too.
 * - `map`/`apply` own the calls they start: when they are interrupted (kill, `Timeout`) or throw
 *   a call's failure, they kill the calls still running (gevent leaves them running).
 * - Calls that need not wait (`spawn` with a free slot, `join` of an empty group, `waitAvailable`
 *   with a free slot) return settled promises: they never let another greenlet run.
 * Tests: test/pool.test.ts, test/pool.imap.test.ts (gevent's test__pool.py, test__greenletset.py).
 *
 * @module verdant/pool
 */
import { setCapacity } from './_pool-group.js';
import { Group } from './_pool-mapping.js';

export type { GroupJoinOptions, GroupStats } from './_pool-group.js';
export { PoolFull } from './_pool-group.js';
export type { IMapIterator, IMapOptions } from './_pool-imap.js';
export { Group } from './_pool-mapping.js';

function readSize(size: unknown): number {
  if (size === undefined || size === null) return Number.POSITIVE_INFINITY;
  if (typeof size !== 'number') {
    throw new TypeError(`Pool: size must be a number, null or undefined, got ${typeof size}`);
  }
  if (size === Number.POSITIVE_INFINITY) return size;
  if (Number.isNaN(size) || size < 0) {
    throw new RangeError(`Pool: size must not be negative, got ${size}`);
  }
  if (!Number.isInteger(size)) {
    throw new RangeError(`Pool: size must be an integer, got ${size}`);
  }
  return size;
}

/**
 * A {@link Group} of at most `size` members: `spawn` waits for a free slot (the back-pressure),
 * `add`/`start` throw {@link PoolFull} instead. A slot frees when the hub removes a dead member
 * (right after its death) or on `discard`. `new Pool()` is unbounded; `new Pool(0)` is always
 * full (only useful with `waitAvailable({timeout})`).
 *
 * Source: `gevent.pool.Pool` (`test__pool.py`).
 * @param size - the capacity (`maxSize`); `null`/`undefined` = unbounded
 * @throws RangeError for a negative or non-integer size; TypeError for a non-number
 * @example
 * ```ts
 * const pool = new Pool(10);
 * for (const url of urls) await pool.spawn(fetchPage, url); // at most 10 at a time
 * await pool.join();
 * ```
 */
export class Pool extends Group {
  /** The capacity: at most this many members; `null` when unbounded. */
  readonly maxSize: number | null;

  constructor(size?: number | null) {
    const capacity = readSize(size);
    super();
    this.maxSize = capacity === Number.POSITIVE_INFINITY ? null : capacity;
    setCapacity(this, capacity);
  }
}

/**
 * `RLock`: a reentrant lock that belongs to the greenlet that acquired it.
 *
 * Design note — ownership moves with the permit. An `RLock` is a one-permit semaphore on the
 * permit engine (`_permits.ts`: FIFO, no barging, nothing lost) whose grant also records the
 * owning greenlet at the moment the permit is handed over (`onGrant`), not when the waiter
 * resumes; so ownership moves with the permit, also when a woken waiter is killed and the permit
 * passes on, and a release by the previous owner meanwhile throws. Tests: test/sync/lock.test.ts
 * "RLock".
 *
 * @module
 */

import type { Greenlet } from '../core/greenlet.js';
import {
  currentFiber,
  type Fiber,
  NONE,
  noteCompletedAtOnce,
  readWaitOptions,
  rejectWait,
  settleShape,
  throwTimeout,
  type WaitOptions,
  waitArgs,
} from '../core/lowlevel.js';
import type { RawGreenlet } from '../core/rawgreenlet.js';
import { type AcquireOptions, acquireWith, checkRunFn, Held, runHeld } from './_acquire.js';
import { checkCallback, checkNoArgs, Links } from './_links.js';
import { Permits } from './_permits.js';

/** A read-only snapshot of an {@link RLock}. */
export interface RLockStats {
  /** Whether some greenlet holds it. */
  readonly locked: boolean;
  /** The greenlet holding it (or about to resume with it), or `null`. */
  readonly owner: Greenlet | RawGreenlet | null;
  /** How many times the owner acquired it without releasing (0 when free). */
  readonly count: number;
  /** Greenlets blocked in `acquire()`, `hold()` or `run()`. */
  readonly waiters: number;
  /** Callbacks registered with `rawlink`. */
  readonly links: number;
}

/**
 * A reentrant lock: it belongs to the greenlet that acquired it, which may acquire it again
 * (each `acquire()` needs its `release()`); other greenlets wait until the count drops to 0.
 *
 * Concurrency: `release()`, `locked()`, `rawlink()` and `unlink()` never switch. `acquire()`,
 * `hold()` and `run()` are switch points unless the lock is free or already held by the caller
 * (then they complete at once and let no other greenlet run); kill and `Timeout` land there.
 * FIFO, no barging; a waiter handed the lock but interrupted before it resumes passes it on.
 * The main program (outside any greenlet) is an owner like any greenlet.
 *
 * Source: `gevent.lock.RLock`. Unlike gevent, `acquire()` always resolves to a boolean, and a
 * release by a non-owner throws `RangeError` (gevent: `RuntimeError`).
 * @example
 * ```ts
 * import { RLock } from 'verdant';
 * interface Tree { children: Tree[] }
 * const lock = new RLock();
 * async function visit(node: Tree): Promise<void> {
 *   using _ = await lock.hold();
 *   for (const child of node.children) await visit(child); // reenters
 * }
 * await visit({ children: [{ children: [] }, { children: [] }] });
 * ```
 */
export class RLock {
  readonly #core = new Permits(1);
  /** The fiber the lock was last granted to (meaningful while the counter is 0). */
  #owner: Fiber | null = null;
  /** Recursion depth of the owner. */
  #depth = 0;
  #links: Links | null = null;

  /**
   * A free lock.
   * @throws TypeError when given an argument (gevent's `RLock(1)` raises TypeError)
   */
  constructor(...args: []) {
    checkNoArgs(args.length, new.target.name);
    this.#core.target = this;
    this.#core.onGrant = (w) => {
      this.#owner = w.fiber;
      this.#depth = 1;
    };
    this.#core.onFree = () => {
      this.#owner = null;
      this.#depth = 0;
      const links = this.#links;
      if (links !== null && links.size > 0) links.notify();
    };
  }

  #owns(fiber: Fiber): boolean {
    return this.#core.counter === 0 && this.#owner === fiber;
  }

  /** Whether some greenlet holds it. Never switches. */
  locked(): boolean {
    return this.#core.counter === 0;
  }

  /** Whether it is free (the linkable protocol of `wait()`/`iwait()`). Never switches. */
  ready(): boolean {
    return this.#core.counter > 0;
  }

  /**
   * Take the lock, or count one more acquire if the current greenlet holds it already.
   *
   * A switch point unless the lock is free or held by the caller. Kill and `Timeout` land here;
   * a lock handed to this call before it was interrupted passes to the next waiter.
   * @param options - `{blocking, timeout, signal}` or a timeout in ms
   * @returns true once held; false when `timeout` elapsed, or when `blocking` is false and
   *   another greenlet holds it
   * @throws TypeError/RangeError for bad options (an unknown key too), `signal.reason` when aborted (rejects)
   */
  acquire(options?: AcquireOptions | number | null): Promise<boolean> {
    return acquireWith(this.#core, options, this, this, RLock.#tryAcquire);
  }

  /** Take the free lock, or reenter it as its owner. */
  static #tryAcquire(self: RLock): boolean {
    const fiber = currentFiber();
    if (self.#core.tryTake()) {
      self.#owner = fiber;
      self.#depth = 1;
      return true;
    }
    if (self.#owner === fiber) {
      self.#depth++;
      return true;
    }
    return false;
  }

  /**
   * Undo one `acquire()` of the current greenlet; at the last one, hand the lock to the oldest
   * waiter (it resumes later, from the hub) or leave it free. Never switches.
   * @throws RangeError when the lock is free, or held by another greenlet
   */
  release(): void {
    const c = this.#core;
    const fiber = currentFiber();
    if (c.counter > 0) {
      throw new RangeError('Cannot release an RLock that is not held: it is free');
    }
    if (!this.#owns(fiber)) {
      throw new RangeError(
        `Cannot release an RLock held by another greenlet: owner is ${String(this.#owner)}, current is ${String(fiber)}`,
      );
    }
    if (--this.#depth === 0) {
      this.#owner = null;
      c.release();
    }
  }

  /**
   * Acquire, and return a handle that releases when disposed: `using _ = await lock.hold()`.
   *
   * A switch point unless the lock is free or held by the caller. Kill and `Timeout` land here.
   * Dispose it in the greenlet that acquired it.
   * @param options - `{timeout, signal}` or a timeout in ms
   * @returns a `Disposable` whose `[Symbol.dispose]()` releases once
   * @throws `Timeout` when `timeout` elapses; TypeError/RangeError for bad options (an unknown key too);
   *   `signal.reason` (rejects)
   */
  hold(options?: WaitOptions | number | null): Promise<Disposable> {
    const err = readWaitOptions(options, 'hold', this);
    if (err !== NONE) return rejectWait(err);
    const h = new Held(this);
    if (RLock.#tryAcquire(this)) {
      noteCompletedAtOnce();
      return Promise.resolve(h);
    }
    return this.#core.wait<Disposable>(h, throwTimeout, waitArgs.timeout, waitArgs.signal);
  }

  /**
   * Acquire, run `fn`, release (also when `fn` throws), and resolve to `fn`'s result.
   * A switch point while it waits for the lock, and wherever `fn` waits.
   * @throws what `fn` throws; `Timeout` when `timeout` elapses first; TypeError (rejects)
   */
  run<R>(fn: () => R | PromiseLike<R>, options?: WaitOptions | number | null): Promise<Awaited<R>> {
    const bad = checkRunFn(fn, 'run', this);
    if (bad !== null) return Promise.reject(bad);
    return runHeld(this.hold(options), fn);
  }

  /**
   * Call `cb(this)` from the hub while the lock is free: once soon if it is free now, then after
   * every release that frees it, in link order, until unlinked. Never takes it; never switches.
   * @throws TypeError when `cb` is not a function
   */
  rawlink(cb: (lock: this) => unknown): void {
    checkCallback(cb, 'rawlink', this);
    if (this.#links === null) this.#links = new Links(this, true);
    this.#links.add(cb as (t: never) => unknown, this.#core.counter > 0);
  }

  /** Remove every link of `cb`. Never switches. */
  unlink(cb: (lock: this) => unknown): void {
    this.#links?.remove(cb);
  }

  /** A read-only snapshot: owner, recursion count, waiters, links. Never switches. */
  stats(): RLockStats {
    const c = this.#core;
    const held = c.counter === 0;
    return {
      locked: held,
      owner: held ? (this.#owner as Greenlet | RawGreenlet | null) : null,
      count: held ? this.#depth : 0,
      waiters: c.size,
      links: this.#links === null ? 0 : this.#links.size,
    };
  }

  /** `<RLock free>` or `<RLock held count=2>`. */
  toString(): string {
    const c = this.#core;
    return c.counter > 0
      ? `<${this.constructor.name} free>`
      : `<${this.constructor.name} held count=${this.#depth}>`;
  }
}
settleShape(() => new RLock());

/**
 * Semaphores and locks: `Semaphore`, `BoundedSemaphore`, `Lock`, `RLock`, `DummySemaphore`.
 *
 * Which one: `Lock` for mutual exclusion (over-release is a bug and throws); `RLock` when the
 * holder may acquire again (it belongs to a greenlet); `BoundedSemaphore(n)` to let at most `n`
 * in; `Semaphore(n)` when releases may model resources arriving (it can be over-released);
 * `DummySemaphore` to switch the limiting off without changing the calling code.
 *
 * Design note — the permits are counted by the permit engine (`_permits.ts`, whose note says
 * how they are handed over: FIFO, no barging, nothing lost, a permit in transit counts as
 * taken). What is particular here:
 * - Links (`rawlink`) stay until `unlink`; at every release that leaves a permit (and at once
 *   when linked while one is free) each is queued on the hub, and runs only while a permit is
 *   still free when its turn comes — without taking it (`_links.ts`).
 * - A `BoundedSemaphore` (and so a `Lock`) refuses a release that would exceed its initial value,
 *   counting the permits in transit to woken waiters as taken. Tests: test/sync/lock.test.ts
 *   "a release() while the permit is on its way to a woken waiter counts it as taken".
 *
 * @module
 */

import {
  guardCancellation,
  NONE,
  noteCompletedAtOnce,
  readWaitOptions,
  rejectWait,
  returnUndefined,
  settleShape,
  throwTimeout,
  type WaitOptions,
  waitArgs,
} from '../core/lowlevel.js';
import {
  ACQUIRE_KEYS,
  type AcquireOptions,
  acquireWith,
  checkRunFn,
  Held,
  RESOLVED_TRUE,
  readBlocking,
  runHeld,
} from './_acquire.js';
import { checkCallback, Links } from './_links.js';
import { Permits, WAIT_MARK } from './_permits.js';

export type { AcquireOptions } from './_acquire.js';

function takeFree(core: Permits): boolean {
  return core.tryTake();
}

/** A read-only snapshot of a semaphore. */
export interface SemaphoreStats {
  /** Free permits. */
  readonly counter: number;
  /** Greenlets blocked in `acquire()`, `hold()`, `run()` or `wait()`. */
  readonly waiters: number;
  /** Callbacks registered with `rawlink`. */
  readonly links: number;
}

function checkValue(value: unknown, cls: string): number {
  if (typeof value !== 'number') {
    throw new TypeError(`Cannot create a ${cls} from a non-number value: value is ${typeof value}`);
  }
  if (value < 0) {
    throw new RangeError(`Cannot create a ${cls} with a negative value: value is ${value}`);
  }
  if (!Number.isInteger(value)) {
    throw new RangeError(`Cannot create a ${cls} with a non-integer value: value is ${value}`);
  }
  return value;
}

/**
 * A counter of permits: `acquire()` takes one, waiting while none is free; `release()` gives one
 * back. It does not track who holds permits: any greenlet may release, even more times than it
 * acquired (use {@link BoundedSemaphore} or {@link Lock} to catch that bug).
 *
 * Concurrency: `release()`, `locked()`, `rawlink()` and `unlink()` never switch. `acquire()`,
 * `hold()`, `run()` and `wait()` are switch points unless a permit is free (then they complete
 * at once and let no other greenlet run); kill and `Timeout` land there. Waiters are served in
 * FIFO order and `release()` hands the permit to the oldest one directly, so a late acquirer
 * never overtakes a waiter (no barging). A waiter woken with a permit but killed or timed out
 * before it resumes passes the permit on: nothing is lost.
 *
 * Source: `gevent.lock.Semaphore` (`test__semaphore.py`). `with sem:` becomes
 * `using _ = await sem.hold()` or `await sem.run(fn)`.
 *
 * @throws TypeError when `value` is not a number; RangeError when it is negative or not an integer
 * @example
 * ```ts
 * import { Semaphore, sleep, spawn } from 'verdant';
 * const sem = new Semaphore(2); // at most two at a time
 * const download = async (u: string) => { await sleep(10); return u.length; };
 * const urls = ['/a', '/bb', '/ccc'];
 * await Promise.all(urls.map((u) => spawn(() => sem.run(() => download(u))).join()));
 * ```
 */
export class Semaphore {
  readonly #core: Permits;
  #links: Links | null = null;
  readonly #readCounter = (): number => this.#core.counter;

  /** @param value - the initial number of permits (default 1), a non-negative integer */
  constructor(value = 1) {
    this.#core = new Permits(checkValue(value, new.target.name), this);
  }

  /** Permits handed to woken waiters that have not resumed yet (they count as taken). @internal */
  get _inTransit(): number {
    return this.#core.inTransit;
  }

  /** Free permits now. */
  get counter(): number {
    return this.#core.counter;
  }

  /** Whether no permit is free (`acquire()` would wait). Never switches. */
  locked(): boolean {
    return this.#core.counter <= 0;
  }

  /** Whether a permit is free (the linkable protocol of `wait()`/`iwait()`). Never switches. */
  ready(): boolean {
    return this.#core.counter > 0;
  }

  /**
   * Take a permit, waiting in FIFO order while none is free.
   *
   * A switch point unless a permit is free or `blocking` is false (then it settles at once and
   * lets no other greenlet run). Kill and `Timeout` land here; a permit handed to this call
   * before it was interrupted goes to the next waiter.
   * @param options - `{blocking, timeout, signal}` or a timeout in ms
   * @returns true once acquired; false when `timeout` elapsed, or when `blocking` is false and
   *   no permit is free
   * @throws TypeError/RangeError for bad options (an unknown key too), `signal.reason` when aborted (rejects)
   * @example
   * ```ts
   * import { Lock, sleep } from 'verdant';
   * const lock = new Lock();
   * const work = () => sleep(1);
   * if (await lock.acquire({ timeout: 100 })) {
   *   try { await work(); } finally { lock.release(); }
   * }
   * ```
   */
  acquire(options?: AcquireOptions | number | null): Promise<boolean> {
    const c = this.#core;
    return acquireWith(c, options, this, c, takeFree);
  }

  /**
   * Give a permit back: to the oldest waiter if any (it resumes later, from the hub), else to
   * the counter. Never switches.
   */
  release(): void {
    this.#core.release();
  }

  /**
   * Wait until a permit is free, without taking it.
   *
   * A switch point unless a permit is free. Kill and `Timeout` land here.
   * @param options - `{timeout, signal}` or a timeout in ms
   * @returns the number of free permits when it resumes — possibly 0 if an acquirer queued
   *   behind it took the permit first — or after `timeout` elapsed
   * @throws TypeError/RangeError for bad options (an unknown key too), `signal.reason` when aborted (rejects)
   */
  wait(options?: WaitOptions | number | null): Promise<number> {
    const err = readWaitOptions(options, 'wait', this);
    if (err !== NONE) return rejectWait(err);
    const c = this.#core;
    if (c.counter > 0) {
      noteCompletedAtOnce();
      return Promise.resolve(c.counter);
    }
    // Guarded: the `.then` would carry a kill's rejection on without the wait's handled mark.
    return guardCancellation(
      c
        .wait<undefined>(WAIT_MARK, returnUndefined, waitArgs.timeout, waitArgs.signal)
        .then(this.#readCounter),
    );
  }

  /**
   * Acquire, and return a handle that releases when disposed: `using _ = await sem.hold()`.
   *
   * A switch point unless a permit is free. Kill and `Timeout` land here (nothing is taken).
   * Disposing twice releases once.
   * @param options - `{timeout, signal}` or a timeout in ms
   * @returns a `Disposable` whose `[Symbol.dispose]()` releases the permit
   * @throws `Timeout` when `timeout` elapses; TypeError/RangeError for bad options (an unknown key too);
   *   `signal.reason` (rejects)
   * @example
   * ```ts
   * import { Lock, sleep } from 'verdant';
   * const lock = new Lock();
   * const critical = () => sleep(1);
   * {
   *   using _ = await lock.hold({ timeout: 1000 });
   *   await critical();
   * } // released here, also on throw
   * ```
   */
  hold(options?: WaitOptions | number | null): Promise<Disposable> {
    const err = readWaitOptions(options, 'hold', this);
    if (err !== NONE) return rejectWait(err);
    const h = new Held(this);
    const c = this.#core;
    if (c.tryTake()) {
      noteCompletedAtOnce();
      return Promise.resolve(h);
    }
    return c.wait<Disposable>(h, throwTimeout, waitArgs.timeout, waitArgs.signal);
  }

  /**
   * Acquire, run `fn`, release (also when `fn` throws), and resolve to `fn`'s result.
   *
   * A switch point while it waits for a permit, and wherever `fn` waits.
   * @param fn - plain or async function, called with no arguments while the permit is held
   * @param options - `{timeout, signal}` or a timeout in ms, for the acquire only
   * @returns what `fn` returns (awaited)
   * @throws what `fn` throws; `Timeout` when `timeout` elapses first; TypeError for a
   *   non-function `fn` or bad options (rejects)
   */
  run<R>(fn: () => R | PromiseLike<R>, options?: WaitOptions | number | null): Promise<Awaited<R>> {
    const bad = checkRunFn(fn, 'run', this);
    if (bad !== null) return Promise.reject(bad);
    return runHeld(this.hold(options), fn);
  }

  /**
   * Call `cb(this)` from the hub while a permit is free: once soon if one is free now, then after
   * every `release()` that leaves one free, in link order, skipping links whose turn comes when
   * none is free any more. It never takes the permit. The link stays until
   * {@link Semaphore.unlink}. Never switches; `cb` must not wait; one that throws is reported.
   * @throws TypeError when `cb` is not a function
   */
  rawlink(cb: (semaphore: this) => unknown): void {
    checkCallback(cb, 'rawlink', this);
    let links = this.#links;
    if (links === null) {
      const l = new Links(this, true);
      this.#links = links = l;
      this.#core.onFree = () => {
        if (l.size > 0) l.notify();
      };
    }
    links.add(cb as (t: never) => unknown, this.#core.counter > 0);
  }

  /** Remove every link of `cb` (nothing if it is not linked). Never switches. */
  unlink(cb: (semaphore: this) => unknown): void {
    this.#links?.remove(cb);
  }

  /** A read-only snapshot: free permits, waiters, links. Never switches. */
  stats(): SemaphoreStats {
    const c = this.#core;
    return {
      counter: c.counter,
      waiters: c.size,
      links: this.#links === null ? 0 : this.#links.size,
    };
  }

  /** `<Semaphore counter=1>` (the class name of a subclass). */
  toString(): string {
    return `<${this.constructor.name} counter=${this.#core.counter}>`;
  }
}

/**
 * A {@link Semaphore} that refuses to be released above its initial value: an extra
 * `release()` throws instead of silently letting one more greenlet in.
 *
 * Concurrency: as {@link Semaphore}.
 * Source: `gevent.lock.BoundedSemaphore`.
 * @throws TypeError/RangeError from the constructor as {@link Semaphore}
 * @example
 * ```ts
 * import { BoundedSemaphore, sleep } from 'verdant';
 * const slots = new BoundedSemaphore(3);
 * await slots.run(() => sleep(1));
 * try { slots.release(); } catch (e) { console.log(String(e)); } // RangeError: all 3 are free
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  /** The initial (and maximum) number of permits. */
  readonly initialValue: number;

  /** @param value - the initial and maximum number of permits (default 1) */
  constructor(value = 1) {
    super(value);
    this.initialValue = value;
  }

  /**
   * As {@link Semaphore.release}. Never switches.
   * @throws RangeError when the counter is already at the initial value
   */
  override release(): void {
    const inTransit = this._inTransit;
    if (this.counter + inTransit >= this.initialValue) {
      throw new RangeError(
        `Cannot release a ${this.constructor.name} above its initial value: counter is ${this.counter}${inTransit > 0 ? ` and ${inTransit} on its way to a woken waiter` : ''}, initial value is ${this.initialValue}`,
      );
    }
    super.release();
  }
}

/**
 * A semaphore that never blocks: every call succeeds at once and `release()` does nothing. Use
 * it where code takes a semaphore to switch the limiting off (an unbounded pool).
 *
 * Concurrency: nothing here switches. The waiting methods still return promises, and a
 * pre-aborted `signal` still rejects them (checked first, as everywhere).
 * Source: `gevent.lock.DummySemaphore`. Its `counter` is `Infinity` and `wait()` resolves to
 * it (gevent's returns 1).
 * @example
 * ```ts
 * import { BoundedSemaphore, DummySemaphore } from 'verdant';
 * const limit = Number(process.env.LIMIT) || null;
 * const sem = limit === null ? new DummySemaphore() : new BoundedSemaphore(limit);
 * await sem.run(async () => console.log('work'));
 * ```
 */
export class DummySemaphore {
  #links: Links | null = null;

  /** @param _value - ignored (accepted for compatibility with {@link Semaphore}) */
  // biome-ignore lint/complexity/noUselessConstructor: documents the accepted argument
  constructor(_value?: number | null) {}

  /** Always `Infinity`. */
  get counter(): number {
    return Number.POSITIVE_INFINITY;
  }

  /** Always false. */
  locked(): boolean {
    return false;
  }

  /** Always true. */
  ready(): boolean {
    return true;
  }

  /**
   * Resolves true at once (never waits).
   * @throws TypeError/RangeError for bad options (an unknown key too), `signal.reason` when pre-aborted (rejects)
   */
  acquire(options?: AcquireOptions | number | null): Promise<boolean> {
    const blocking = readBlocking(options, 'acquire', this);
    if (typeof blocking !== 'boolean') return Promise.reject(blocking);
    const err = readWaitOptions(options, 'acquire', this, ACQUIRE_KEYS);
    if (err !== NONE) return rejectWait(err);
    return RESOLVED_TRUE;
  }

  /** Does nothing but run the links (from the hub). Never switches. */
  release(): void {
    if (this.#links !== null && this.#links.size > 0) this.#links.notify();
  }

  /**
   * Resolves `Infinity` at once (never waits).
   * @throws TypeError/RangeError for bad options (an unknown key too), `signal.reason` when pre-aborted (rejects)
   */
  wait(options?: WaitOptions | number | null): Promise<number> {
    const err = readWaitOptions(options, 'wait', this);
    if (err !== NONE) return rejectWait(err);
    return Promise.resolve(Number.POSITIVE_INFINITY);
  }

  /** Resolves at once to a `Disposable` that does nothing. */
  hold(options?: WaitOptions | number | null): Promise<Disposable> {
    const err = readWaitOptions(options, 'hold', this);
    if (err !== NONE) return rejectWait(err);
    return Promise.resolve(new Held(this));
  }

  /** Runs `fn` and resolves to its result (nothing is held). */
  run<R>(fn: () => R | PromiseLike<R>, options?: WaitOptions | number | null): Promise<Awaited<R>> {
    const bad = checkRunFn(fn, 'run', this);
    if (bad !== null) return Promise.reject(bad);
    return runHeld(this.hold(options), fn);
  }

  /**
   * Call `cb(this)` from the hub once soon and after every `release()`, until unlinked.
   * @throws TypeError when `cb` is not a function
   */
  rawlink(cb: (semaphore: this) => unknown): void {
    checkCallback(cb, 'rawlink', this);
    if (this.#links === null) this.#links = new Links(this, false);
    this.#links.add(cb as (t: never) => unknown, true);
  }

  /** Remove every link of `cb`. Never switches. */
  unlink(cb: (semaphore: this) => unknown): void {
    this.#links?.remove(cb);
  }

  /** A read-only snapshot (counter `Infinity`, no waiters). */
  stats(): SemaphoreStats {
    return {
      counter: Number.POSITIVE_INFINITY,
      waiters: 0,
      links: this.#links === null ? 0 : this.#links.size,
    };
  }

  /** `<DummySemaphore>`. */
  toString(): string {
    return `<${this.constructor.name}>`;
  }
}
settleShape(() => new Semaphore(1));
settleShape(() => new BoundedSemaphore(1));

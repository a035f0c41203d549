/**
 * Semaphores and locks: `Semaphore`, `BoundedSemaphore`, `Lock`, `RLock`, `DummySemaphore`.
 *
 * Which one: `Lock` for mutual exclusion (over-release is a bug and throws); `RLock` when the
 * holder may acquire again (it belongs to a greenlet); `BoundedSemaphore(n)` to let at most `n`
 * in; `Semaphore(n)` when releases may model resources arriving (it can be over-released);
 * `DummySemaphore` to switch the limiting off without changing the calling code.
 *
 * Design note — handing permits over (FIFO, no barging, nothing lost).
 * - `release()` never switches. When greenlets wait, it does not increment the counter: it
 *   hands the permit to the oldest waiter directly (the counter stays 0), so a greenlet that
 *   calls `acquire()` before that waiter resumes finds the semaphore taken and queues behind it.
 *   Acquirers are served in the order they came (gevent ≥ 1.5a3, issue #1487). Invariant: the
 *   counter is positive only when nobody waits. Tests: test/sync/lock.test.ts "FIFO" and
 *   "no barging".
 * - A waiter woken with a permit and then killed or timed out before it resumes hands the
 *   permit to the next waiter, or back to the counter (the hub calls `abortWait(w, held=true)`).
 *   `wait()` waiters (who wait for a permit without taking one) are woken on the way but hold
 *   nothing. Tests: "nothing lost" tests, and test/sync/lock.property.test.ts (random acquires,
 *   releases, kills and timeouts conserve the permits).
 * - Links (`rawlink`) stay until `unlink`; at every release that leaves a permit (and at once
 *   when linked while one is free) each is queued on the hub, and runs only while a permit is
 *   still free when its turn comes — without taking it.
 * - `RLock` is a one-permit semaphore whose grant also records the owning greenlet, at the
 *   moment the permit is handed over (not when the waiter resumes), so ownership moves with the
 *   permit, also when a woken waiter is killed and the permit passes on.
 *
 * @module
 */

import type { Greenlet } from '../core/greenlet.js';
import {
  currentFiber,
  type Fiber,
  NONE,
  readWaitOptions,
  returnFalse,
  returnUndefined,
  throwTimeout,
  Waiter,
  WaitList,
  type WaitOptions,
  waitArgs,
} from '../core/lowlevel.js';
import type { RawGreenlet } from '../core/rawgreenlet.js';
import { checkCallback, Links, type LinkTarget } from './event.js';

/** Options of `acquire()`. */
export interface AcquireOptions extends WaitOptions {
  /** `false`: take a permit only if one is free now, never wait (default `true`). */
  blocking?: boolean;
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

const RESOLVED_TRUE: Promise<boolean> = Promise.resolve(true);
const RESOLVED_FALSE: Promise<boolean> = Promise.resolve(false);
/** `Waiter.data` of a `wait()`: it waits for a permit without taking it. */
const WAIT_MARK: unique symbol = Symbol('wait for a permit');

/** Reads `blocking` from acquire options: true, false, or an error to reject with. */
function readBlocking(options: unknown, where: string): boolean | TypeError {
  if (options === null || typeof options !== 'object') return true;
  const b = (options as AcquireOptions).blocking;
  if (b === undefined) return true;
  if (typeof b !== 'boolean') {
    return new TypeError(`${where}: blocking must be a boolean, got ${typeof b}`);
  }
  return b;
}

/**
 * The permits and the FIFO of waiters of one semaphore (or RLock). As the waiters' owner it
 * hands on the permit of a woken waiter that was interrupted before it resumed.
 */
class Permits extends WaitList {
  counter: number;
  /** RLock: the fiber the permit was last granted to (meaningful while `counter` is 0). */
  owner: Fiber | null = null;
  /** RLock: recursion depth of the owner. */
  depth = 0;
  readonly trackOwner: boolean;
  readonly target: LinkTarget;
  links: Links | null = null;

  constructor(target: LinkTarget, counter: number, trackOwner: boolean) {
    super();
    this.target = target;
    this.counter = counter;
    this.trackOwner = trackOwner;
  }

  /** Queue a wait: `data` is what an acquirer resolves with, or WAIT_MARK. */
  enqueue<R>(data: unknown, onTimeout: () => unknown): Promise<R> {
    const w = new Waiter<R>(this, onTimeout);
    w.data = data;
    this.push(w);
    return w.start(waitArgs.timeout, waitArgs.signal);
  }

  release(): void {
    this.counter++;
    this.dispatch();
  }

  /** Hand free permits to the waiters in FIFO order; notify links if one is left. */
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
      if (this.trackOwner) {
        this.owner = w.fiber;
        this.depth = 1;
      }
    }
    if (this.counter > 0) {
      if (this.trackOwner) {
        this.owner = null;
        this.depth = 0;
      }
      if (this.links !== null && this.links.size > 0) this.links.notify();
    }
  }

  override abortWait(w: Waiter, held: boolean): void {
    if (!held) {
      this.remove(w);
      return;
    }
    // A woken wait() took nothing; a woken acquirer holds a permit: pass it on.
    if (w.data !== WAIT_MARK) this.release();
  }

  rawlink(cb: unknown, where: string): void {
    checkCallback(cb, where);
    if (this.links === null) this.links = new Links(this.target, true);
    this.links.add(cb as (t: never) => unknown, this.counter > 0);
  }

  unlink(cb: unknown): void {
    this.links?.remove(cb);
  }

  get linkCount(): number {
    return this.links === null ? 0 : this.links.size;
  }
}

/** What `hold()` resolves to: releases once when disposed. */
class Held implements Disposable {
  #target: { release(): void } | null;
  constructor(target: { release(): void }) {
    this.#target = target;
  }
  [Symbol.dispose](): void {
    const t = this.#target;
    if (t === null) return;
    this.#target = null;
    t.release();
  }
}

async function runHeld<R>(
  held: Promise<Disposable>,
  fn: () => R | PromiseLike<R>,
): Promise<Awaited<R>> {
  const h = await held;
  try {
    return await fn();
  } finally {
    h[Symbol.dispose]();
  }
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
 * const sem = new Semaphore(2); // at most two at a time
 * await Promise.all(urls.map((u) => spawn(() => sem.run(() => download(u))).join()));
 * ```
 */
export class Semaphore {
  readonly #core: Permits;
  readonly #readCounter = (): number => this.#core.counter;

  /** @param value - the initial number of permits (default 1), a non-negative integer */
  constructor(value = 1) {
    this.#core = new Permits(this, checkValue(value, new.target.name), false);
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
   * @throws TypeError/RangeError for bad options, `signal.reason` when aborted (rejects)
   * @example
   * ```ts
   * if (await lock.acquire({ timeout: 100 })) {
   *   try { await work(); } finally { lock.release(); }
   * }
   * ```
   */
  acquire(options?: AcquireOptions | number | null): Promise<boolean> {
    const blocking = readBlocking(options, 'Semaphore.acquire');
    if (typeof blocking !== 'boolean') return Promise.reject(blocking);
    const err = readWaitOptions(options, 'Semaphore.acquire');
    if (err !== NONE) return Promise.reject(err);
    const c = this.#core;
    if (c.counter > 0) {
      c.counter--;
      return RESOLVED_TRUE;
    }
    if (!blocking) return RESOLVED_FALSE;
    return c.enqueue<boolean>(true, returnFalse);
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
   * @throws TypeError/RangeError for bad options, `signal.reason` when aborted (rejects)
   */
  wait(options?: WaitOptions | number | null): Promise<number> {
    const err = readWaitOptions(options, 'Semaphore.wait');
    if (err !== NONE) return Promise.reject(err);
    const c = this.#core;
    if (c.counter > 0) return Promise.resolve(c.counter);
    return c.enqueue<undefined>(WAIT_MARK, returnUndefined).then(this.#readCounter);
  }

  /**
   * Acquire, and return a handle that releases when disposed: `using _ = await sem.hold()`.
   *
   * A switch point unless a permit is free. Kill and `Timeout` land here (nothing is taken).
   * Disposing twice releases once.
   * @param options - `{timeout, signal}` or a timeout in ms
   * @returns a `Disposable` whose `[Symbol.dispose]()` releases the permit
   * @throws `Timeout` when `timeout` elapses; TypeError/RangeError for bad options;
   *   `signal.reason` (rejects)
   * @example
   * ```ts
   * {
   *   using _ = await lock.hold({ timeout: 1000 });
   *   await critical();
   * } // released here, also on throw
   * ```
   */
  hold(options?: WaitOptions | number | null): Promise<Disposable> {
    const err = readWaitOptions(options, 'Semaphore.hold');
    if (err !== NONE) return Promise.reject(err);
    const h = new Held(this);
    const c = this.#core;
    if (c.counter > 0) {
      c.counter--;
      return Promise.resolve(h);
    }
    return c.enqueue<Disposable>(h, throwTimeout);
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
    if (typeof fn !== 'function') {
      return Promise.reject(
        new TypeError(`Semaphore.run: fn must be a function, got ${typeof fn}`),
      );
    }
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
    this.#core.rawlink(cb, 'Semaphore.rawlink');
  }

  /** Remove every link of `cb` (nothing if it is not linked). Never switches. */
  unlink(cb: (semaphore: this) => unknown): void {
    this.#core.unlink(cb);
  }

  /** A read-only snapshot: free permits, waiters, links. Never switches. */
  stats(): SemaphoreStats {
    const c = this.#core;
    return { counter: c.counter, waiters: c.size, links: c.linkCount };
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
 * const slots = new BoundedSemaphore(3);
 * await slots.run(() => work());
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
    if (this.counter >= this.initialValue) {
      throw new RangeError(
        `Cannot release a ${this.constructor.name} above its initial value: counter is ${this.counter}, initial value is ${this.initialValue}`,
      );
    }
    super.release();
  }
}

/**
 * A mutual-exclusion lock: a {@link BoundedSemaphore} of one permit. It does not belong to the
 * greenlet that acquired it (any greenlet may release it); use {@link RLock} for that.
 *
 * Concurrency: as {@link Semaphore}: FIFO, no barging, nothing lost.
 * Source: gevent's patched `threading.Lock` (`gevent.thread.LockType`), a `BoundedSemaphore(1)`.
 * @example
 * ```ts
 * const lock = new Lock();
 * {
 *   using _ = await lock.hold();
 *   balance += await fetchDelta();
 * }
 * ```
 */
export class Lock extends BoundedSemaphore {
  constructor() {
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
 * const sem = limit === null ? new DummySemaphore() : new BoundedSemaphore(limit);
 * await sem.run(work);
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
   * @throws TypeError/RangeError for bad options, `signal.reason` when pre-aborted (rejects)
   */
  acquire(options?: AcquireOptions | number | null): Promise<boolean> {
    const blocking = readBlocking(options, 'DummySemaphore.acquire');
    if (typeof blocking !== 'boolean') return Promise.reject(blocking);
    const err = readWaitOptions(options, 'DummySemaphore.acquire');
    if (err !== NONE) return Promise.reject(err);
    return RESOLVED_TRUE;
  }

  /** Does nothing but run the links (from the hub). Never switches. */
  release(): void {
    if (this.#links !== null && this.#links.size > 0) this.#links.notify();
  }

  /**
   * Resolves `Infinity` at once (never waits).
   * @throws TypeError/RangeError for bad options, `signal.reason` when pre-aborted (rejects)
   */
  wait(options?: WaitOptions | number | null): Promise<number> {
    const err = readWaitOptions(options, 'DummySemaphore.wait');
    if (err !== NONE) return Promise.reject(err);
    return Promise.resolve(Number.POSITIVE_INFINITY);
  }

  /** Resolves at once to a `Disposable` that does nothing. */
  hold(options?: WaitOptions | number | null): Promise<Disposable> {
    const err = readWaitOptions(options, 'DummySemaphore.hold');
    if (err !== NONE) return Promise.reject(err);
    return Promise.resolve(new Held(this));
  }

  /** Runs `fn` and resolves to its result (nothing is held). */
  run<R>(fn: () => R | PromiseLike<R>, options?: WaitOptions | number | null): Promise<Awaited<R>> {
    if (typeof fn !== 'function') {
      return Promise.reject(
        new TypeError(`DummySemaphore.run: fn must be a function, got ${typeof fn}`),
      );
    }
    return runHeld(this.hold(options), fn);
  }

  /**
   * Call `cb(this)` from the hub once soon and after every `release()`, until unlinked.
   * @throws TypeError when `cb` is not a function
   */
  rawlink(cb: (semaphore: this) => unknown): void {
    checkCallback(cb, 'DummySemaphore.rawlink');
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
 * const lock = new RLock();
 * async function visit(node: Node): Promise<void> {
 *   using _ = await lock.hold();
 *   for (const child of node.children) await visit(child); // reenters
 * }
 * ```
 */
export class RLock {
  readonly #core: Permits;

  constructor() {
    this.#core = new Permits(this, 1, true);
  }

  #owns(fiber: Fiber): boolean {
    const c = this.#core;
    return c.counter === 0 && c.owner === fiber;
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
   * @throws TypeError/RangeError for bad options, `signal.reason` when aborted (rejects)
   */
  acquire(options?: AcquireOptions | number | null): Promise<boolean> {
    const blocking = readBlocking(options, 'RLock.acquire');
    if (typeof blocking !== 'boolean') return Promise.reject(blocking);
    const err = readWaitOptions(options, 'RLock.acquire');
    if (err !== NONE) return Promise.reject(err);
    if (this.#tryAcquire()) return RESOLVED_TRUE;
    if (!blocking) return RESOLVED_FALSE;
    return this.#core.enqueue<boolean>(true, returnFalse);
  }

  #tryAcquire(): boolean {
    const c = this.#core;
    const fiber = currentFiber();
    if (c.counter > 0) {
      c.counter--;
      c.owner = fiber;
      c.depth = 1;
      return true;
    }
    if (c.owner === fiber) {
      c.depth++;
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
        `Cannot release an RLock held by another greenlet: owner is ${String(c.owner)}, current is ${String(fiber)}`,
      );
    }
    if (--c.depth === 0) {
      c.owner = null;
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
   * @throws `Timeout` when `timeout` elapses; TypeError/RangeError for bad options;
   *   `signal.reason` (rejects)
   */
  hold(options?: WaitOptions | number | null): Promise<Disposable> {
    const err = readWaitOptions(options, 'RLock.hold');
    if (err !== NONE) return Promise.reject(err);
    const h = new Held(this);
    if (this.#tryAcquire()) return Promise.resolve(h);
    return this.#core.enqueue<Disposable>(h, throwTimeout);
  }

  /**
   * Acquire, run `fn`, release (also when `fn` throws), and resolve to `fn`'s result.
   * A switch point while it waits for the lock, and wherever `fn` waits.
   * @throws what `fn` throws; `Timeout` when `timeout` elapses first; TypeError (rejects)
   */
  run<R>(fn: () => R | PromiseLike<R>, options?: WaitOptions | number | null): Promise<Awaited<R>> {
    if (typeof fn !== 'function') {
      return Promise.reject(new TypeError(`RLock.run: fn must be a function, got ${typeof fn}`));
    }
    return runHeld(this.hold(options), fn);
  }

  /**
   * Call `cb(this)` from the hub while the lock is free: once soon if it is free now, then after
   * every release that frees it, in link order, until unlinked. Never takes it; never switches.
   * @throws TypeError when `cb` is not a function
   */
  rawlink(cb: (lock: this) => unknown): void {
    this.#core.rawlink(cb, 'RLock.rawlink');
  }

  /** Remove every link of `cb`. Never switches. */
  unlink(cb: (lock: this) => unknown): void {
    this.#core.unlink(cb);
  }

  /** A read-only snapshot: owner, recursion count, waiters, links. Never switches. */
  stats(): RLockStats {
    const c = this.#core;
    const held = c.counter === 0;
    return {
      locked: held,
      owner: held ? (c.owner as Greenlet | RawGreenlet | null) : null,
      count: held ? c.depth : 0,
      waiters: c.size,
      links: c.linkCount,
    };
  }

  /** `<RLock free>` or `<RLock held count=2>`. */
  toString(): string {
    const c = this.#core;
    return c.counter > 0
      ? `<${this.constructor.name} free>`
      : `<${this.constructor.name} held count=${c.depth}>`;
  }
}

/**
 * eventlet's `GreenPool` over verdant greenlets and core's wait protocol.
 *
 * Design note — slots.
 * - A pool runs at most `size` threads. `spawn` with a free slot starts the thread at once
 *   (no switch); otherwise the caller waits in a FIFO {@link WaitList}. When a thread dies (a
 *   quiet link from the hub) or `resize` grows the pool, the oldest live waiter is woken and
 *   its slot *reserved*: it counts as taken until the waiter resumes and starts its thread. A
 *   waiter interrupted after it was woken (kill, `Timeout`) hands the reservation to the next
 *   waiter (nothing lost). `free()` is `size − running()`: negative after shrinking.
 * - From one of the pool's own threads on a full pool, `spawn`/`spawnN` run the function
 *   inline in the caller (eventlet's rule: a thread waiting for a slot only threads of the same
 *   pool can free would deadlock), and `waitall()` rejects instead of waiting for itself.
 * - `imap`/`starmap` run their calls in a pool of their own of this pool's size, as eventlet
 *   does (`mapiterator.ts`).
 * Tests: test/compat/eventlet/greenpool.test.ts (eventlet's `tests/greenpool_test.py`).
 *
 * @module
 */
import { kQuietLink, Waiter, WaitList, type WaitOwner } from '../../core/lowlevel.js';
import {
  Cancellation,
  Event,
  type Greenlet,
  getCurrent,
  getHub,
  spawn as spawnGreenlet,
} from '../../index.js';
import { guard } from './_guard.js';
import { finishedThread, GreenThread } from './greenthread.js';
import { MapIterator, type MapPool, zip } from './mapiterator.js';

type Fn<A extends unknown[], R> = (...args: A) => R | PromiseLike<R>;

function readSize(size: unknown, where: string): number {
  if (typeof size !== 'number') {
    throw new TypeError(`Cannot ${where}: size must be a number, got ${typeof size}`);
  }
  if (!Number.isInteger(size) || size < 0) {
    throw new RangeError(`Cannot ${where}: size must be an integer >= 0, got ${size}`);
  }
  return size;
}

function notAFunction(where: string, fn: unknown): TypeError {
  return new TypeError(`${where}: fn must be a function, got ${typeof fn}`);
}

/** eventlet's `lambda *a: a`: what `imap(None, …)` and `starmap(None, …)` call. */
function argList(...args: unknown[]): unknown[] {
  return args;
}

/** `fn`, or {@link argList} for `null`; throws TypeError for anything else. */
function mapFunction(fn: unknown, where: string): Fn<unknown[], unknown> {
  if (fn === null) return argList;
  if (typeof fn !== 'function') {
    throw new TypeError(`${where}: fn must be a function or null, got ${typeof fn}`);
  }
  return fn as Fn<unknown[], unknown>;
}

/** Throw TypeError unless `x` is a sync or async iterable. */
function checkIterable(x: unknown, what: string, where: string): void {
  const o = x as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown } | null;
  if (
    o !== null &&
    o !== undefined &&
    (typeof o[Symbol.iterator] === 'function' || typeof o[Symbol.asyncIterator] === 'function')
  ) {
    return;
  }
  throw new TypeError(
    `${where}: ${what} must be an iterable or an async iterable, got ${x === null ? 'null' : typeof x}`,
  );
}

/**
 * eventlet's pool of green threads: at most `size` run at once; `spawn` waits for a free slot
 * (back-pressure).
 *
 * Source: `eventlet.greenpool.GreenPool` (eventlet's `tests/greenpool_test.py`).
 * @example
 * ```ts
 * import { GreenPool, sleep } from 'verdant/eventlet';
 * const pool = new GreenPool(2);
 * for (let i = 0; i < 5; i++) await pool.spawn(sleep, 10); // the third spawn waits for a slot
 * await pool.waitall();
 * ```
 */
export class GreenPool {
  #size: number;
  readonly #running = new Set<Greenlet>();
  readonly #waiters = new WaitList(this);
  #reserved = 0;
  readonly #idle = new Event();
  /** Told by the hub when a caller waiting for a slot is interrupted. */
  readonly #owner: WaitOwner & { target: object } = {
    target: this,
    abortWait: (w: Waiter, held: boolean): void => {
      if (!held) {
        this.#waiters.remove(w);
        return;
      }
      // Woken for a slot, then interrupted: the reserved slot goes to the next caller.
      this.#reserved--;
      this.#admit();
      this.#checkIdle();
    },
  };

  /**
   * @param size - the most threads running at once (default 1000)
   * @throws TypeError for a non-number, RangeError for a negative or fractional size
   */
  constructor(size = 1000) {
    this.#size = readSize(size, 'create a GreenPool');
    this.#idle.set();
  }

  /** The most threads running at once (see {@link GreenPool.resize}). Never switches. */
  get size(): number {
    return this.#size;
  }

  /** Slots free: `size − running()`, negative after shrinking below `running()`. Never switches. */
  free(): number {
    return this.#size - this.#running.size;
  }

  /** Number of threads running functions of this pool. Never switches. */
  running(): number {
    return this.#running.size;
  }

  /** Number of callers blocked in `spawn`/`spawnN` waiting for a slot. Never switches. */
  waiting(): number {
    let n = 0;
    for (const w of this.#waiters) if (!w.cancelled) n++;
    return n;
  }

  /**
   * Change the size. Running threads go on; nothing new starts until fewer than `size` run
   * (meanwhile `free()` is negative). Growing lets waiting callers in, oldest first (they
   * resume later, from the hub). Never switches.
   *
   * Source: eventlet's `GreenPool.resize`.
   * @param size - the new size
   * @throws TypeError / RangeError for a bad size
   * @example
   * ```ts
   * import { GreenPool } from 'verdant/eventlet';
   * const pool = new GreenPool(10);
   * pool.resize(2);
   * ```
   */
  resize(size: number): void {
    this.#size = readSize(size, 'resize a GreenPool');
    this.#admit();
  }

  /**
   * Run `fn(...args)` in a new thread of the pool, waiting for a free slot while the pool is
   * full. Called from one of this pool's own threads on a full pool, `fn` runs inline instead
   * (no deadlock): the call resolves once it has returned, and rejects with its error.
   *
   * A switch point only when it waits for a slot: kill and `Timeout` land there and start
   * nothing; with a free slot it completes without letting another greenlet run.
   * Source: eventlet's `GreenPool.spawn`.
   * @param fn - a plain or async function
   * @param args - its arguments
   * @returns the {@link GreenThread} running `fn`
   * @throws TypeError when `fn` is not a function (rejects)
   * @example
   * ```ts
   * import { GreenPool } from 'verdant/eventlet';
   * const pool = new GreenPool(4);
   * const gt = await pool.spawn((x: number) => x * 2, 21);
   * await gt.wait(); // 42
   * ```
   */
  spawn<R, A extends unknown[]>(
    fn: (...args: A) => R | PromiseLike<R>,
    ...args: A
  ): Promise<GreenThread<Awaited<R>>> {
    if (typeof fn !== 'function') return Promise.reject(notAFunction('GreenPool.spawn', fn));
    if (this.#hasSlot()) return Promise.resolve(this.#start(fn as Fn<unknown[], R>, args));
    if (this.#isOwnThread()) return guard(this.#inline(fn as Fn<unknown[], R>, args));
    return guard(
      this.#waitSlot().then(() => {
        this.#reserved--;
        return this.#start(fn as Fn<unknown[], R>, args);
      }),
    );
  }

  /**
   * Like {@link GreenPool.spawn}, returning nothing. A failure is reported by the hub (as any
   * greenlet's nobody waits for); inline, it is reported the same way and the call resolves.
   *
   * Source: eventlet's `GreenPool.spawn_n`.
   * @param fn - a plain or async function
   * @param args - its arguments
   * @throws TypeError when `fn` is not a function (rejects)
   * @example
   * ```ts
   * import { GreenPool } from 'verdant/eventlet';
   * const pool = new GreenPool();
   * await pool.spawnN(console.log, 'hi');
   * await pool.waitall();
   * ```
   */
  spawnN<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): Promise<void> {
    return guard(this.#spawnN(fn as Fn<unknown[], unknown>, args));
  }

  async #spawnN(fn: Fn<unknown[], unknown>, args: unknown[]): Promise<void> {
    if (typeof fn !== 'function') throw notAFunction('GreenPool.spawnN', fn);
    if (this.#hasSlot()) {
      this.#start(fn as Fn<unknown[], unknown>, args);
      return;
    }
    if (this.#isOwnThread()) {
      try {
        await fn(...args);
      } catch (err) {
        if (err instanceof Cancellation) throw err;
        getHub().reportError(
          err,
          `${String(fn.name || 'function')} run inline by GreenPool.spawnN`,
        );
      }
      return;
    }
    await this.#waitSlot();
    this.#reserved--;
    this.#start(fn as Fn<unknown[], unknown>, args);
  }

  /**
   * Wait until no thread of the pool runs (at once when none does).
   *
   * A switch point unless the pool is idle: kill and `Timeout` land there.
   * Source: eventlet's `GreenPool.waitall`.
   * @throws Error when called from one of the pool's own threads (it would wait for itself
   *   forever; rejects)
   * @example
   * ```ts
   * import { GreenPool } from 'verdant/eventlet';
   * const pool = new GreenPool();
   * await pool.waitall(); // at once
   * ```
   */
  waitall(): Promise<void> {
    return guard(this.#waitall());
  }

  async #waitall(): Promise<void> {
    if (this.#isOwnThread()) {
      throw new Error(
        "Cannot call waitall() from one of the GreenPool's own threads: it would never return",
      );
    }
    if (!this.#isIdle()) await this.#idle.wait();
  }

  /**
   * `fn` over the zipped `iterables` (stopping at the shortest), at most `size` calls at a time,
   * results in input order. Returns at once; the calls start in a producer greenlet. A failure
   * is thrown at its position and the same iterator goes on; leaving a `for await` loop early
   * (`break`, `return()`) kills the producer and the calls still running.
   *
   * Each `next()` is a switch point: kill and `Timeout` land there and consume nothing.
   * Source: eventlet's `GreenPool.imap` (`fn = null` yields the argument lists, as eventlet's
   * `imap(None, …)` yields the tuples: `test_imap_nonefunc`).
   * @param fn - called with one item of each iterable; `null` yields the argument lists
   * @param iterables - sync or async iterables
   * @returns an async iterable of the results
   * @throws TypeError when `fn` is neither a function nor `null`, or an iterable is not one
   * @example
   * ```ts
   * import { GreenPool } from 'verdant/eventlet';
   * const pool = new GreenPool(200);
   * for await (const n of pool.imap((a: number, b: number) => a + b, [1, 2], [10, 20])) {
   *   console.log(n); // 11, then 22
   * }
   * ```
   */
  imap<R, A extends unknown[]>(
    fn: (...args: A) => R | PromiseLike<R>,
    ...iterables: { [K in keyof A]: Iterable<A[K]> | AsyncIterable<A[K]> }
  ): MapIterator<Awaited<R>>;
  imap<A extends unknown[]>(
    fn: null,
    ...iterables: { [K in keyof A]: Iterable<A[K]> | AsyncIterable<A[K]> }
  ): MapIterator<A>;
  imap(fn: Fn<unknown[], unknown> | null, ...iterables: unknown[]): MapIterator<unknown> {
    const f = mapFunction(fn, 'GreenPool.imap');
    iterables.forEach((it, i) => {
      checkIterable(it, `iterables[${i}]`, 'GreenPool.imap');
    });
    return new MapIterator(
      this.#mapPool(),
      f,
      zip(iterables as (Iterable<unknown> | AsyncIterable<unknown>)[]),
    );
  }

  /**
   * Like {@link GreenPool.imap}, but each item of `argLists` is the list of arguments of one
   * call (`fn(...args)`).
   *
   * Source: eventlet's `GreenPool.starmap` (`fn = null` yields the argument lists).
   * @param fn - called with each argument list spread; `null` yields the lists
   * @param argLists - a sync or async iterable of argument lists
   * @returns an async iterable of the results; an item that is not a list (an iterable) fails
   *   with TypeError at its position and ends the iteration, as an input that throws does
   * @throws TypeError when `fn` is neither a function nor `null`, or `argLists` is no iterable
   * @example
   * ```ts
   * import { GreenPool } from 'verdant/eventlet';
   * const pool = new GreenPool();
   * for await (const p of pool.starmap(Math.pow, [[2, 3], [10, 2]])) console.log(p); // 8, 100
   * ```
   */
  starmap<R, A extends unknown[]>(
    fn: (...args: A) => R | PromiseLike<R>,
    argLists: Iterable<A> | AsyncIterable<A>,
  ): MapIterator<Awaited<R>>;
  starmap<A extends unknown[]>(fn: null, argLists: Iterable<A> | AsyncIterable<A>): MapIterator<A>;
  starmap(
    fn: Fn<unknown[], unknown> | null,
    argLists: Iterable<unknown[]> | AsyncIterable<unknown[]>,
  ): MapIterator<unknown> {
    const f = mapFunction(fn, 'GreenPool.starmap');
    checkIterable(argLists, 'argLists', 'GreenPool.starmap');
    return new MapIterator(this.#mapPool(), f, argLists);
  }

  /** A pool of this one's size for a map's calls (eventlet's `GreenMap(self.size)`). */
  #mapPool(): MapPool {
    const pool = new GreenPool(this.#size);
    return {
      size: pool.size,
      spawn: (fn, ...args) => pool.spawn(fn, ...args),
      threads: () => [...pool.#running],
    };
  }

  #hasSlot(): boolean {
    return this.#running.size + this.#reserved < this.#size;
  }

  #isOwnThread(): boolean {
    return this.#running.has(getCurrent() as Greenlet);
  }

  #isIdle(): boolean {
    return this.#running.size === 0 && this.#reserved === 0;
  }

  #waitSlot(): Promise<void> {
    const w = new Waiter<void>(this.#owner, null);
    this.#waiters.push(w);
    return w.start(null, null);
  }

  #start<R>(fn: Fn<unknown[], R>, args: unknown[]): GreenThread<Awaited<R>> {
    const g = spawnGreenlet(fn, ...args);
    this.#running.add(g);
    this.#idle.clear();
    g[kQuietLink](this.#onExit);
    return new GreenThread(g);
  }

  async #inline<R>(fn: Fn<unknown[], R>, args: unknown[]): Promise<GreenThread<Awaited<R>>> {
    return finishedThread(await fn(...args));
  }

  readonly #onExit = (g: Greenlet): void => {
    this.#running.delete(g);
    this.#admit();
    this.#checkIdle();
  };

  #admit(): void {
    while (this.#hasSlot()) {
      const w = this.#waiters.shiftLive();
      if (w === null) return;
      this.#reserved++;
      w.wake();
    }
  }

  #checkIdle(): void {
    if (this.#isIdle()) this.#idle.set();
  }
}

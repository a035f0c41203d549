/**
 * eventlet's `GreenPool` and `GreenPile` over verdant greenlets and core's wait protocol.
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
 * - `imap`/`starmap` follow eventlet: a producer greenlet spawns the calls into a pool of their
 *   own (of this pool's size) and queues their threads in input order in a queue of the same
 *   size, so at most `size` calls run and at most `size` results wait for the consumer. A
 *   `next()` waits with `peek` and `join` and consumes the thread only once it is dead, so a
 *   `next()` interrupted by a kill or `Timeout` consumes nothing; so does a `GreenPile`'s.
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
  killAll,
  Queue,
  spawn as spawnGreenlet,
} from '../../index.js';
import { finishedThread, GreenThread, threadResult } from './greenthread.js';

type Fn<A extends unknown[], R> = (...args: A) => R | PromiseLike<R>;

let poolThreads: (pool: GreenPool) => Greenlet[];

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
  readonly #waiters = new WaitList();
  #reserved = 0;
  readonly #idle = new Event();
  /** Told by the hub when a caller waiting for a slot is interrupted. */
  readonly #owner: WaitOwner = {
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

  static {
    poolThreads = (pool) => [...pool.#running];
  }

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
    if (this.#isOwnThread()) return this.#inline(fn as Fn<unknown[], R>, args);
    return this.#waitSlot().then(() => {
      this.#reserved--;
      return this.#start(fn as Fn<unknown[], R>, args);
    });
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
  async spawnN<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): Promise<void> {
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
  async waitall(): Promise<void> {
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
   * Source: eventlet's `GreenPool.imap`.
   * @param fn - called with one item of each iterable
   * @param iterables - sync or async iterables
   * @returns an async iterable of the results
   * @throws TypeError when `fn` is not a function
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
  ): MapIterator<Awaited<R>> {
    if (typeof fn !== 'function') throw notAFunction('GreenPool.imap', fn);
    return new MapIterator(
      this.#size,
      fn as Fn<unknown[], unknown>,
      zip(iterables as (Iterable<unknown> | AsyncIterable<unknown>)[]) as AsyncIterable<A>,
    );
  }

  /**
   * Like {@link GreenPool.imap}, but each item of `argLists` is the list of arguments of one
   * call (`fn(...args)`).
   *
   * Source: eventlet's `GreenPool.starmap`.
   * @param fn - called with each argument list spread
   * @param argLists - a sync or async iterable of argument lists
   * @returns an async iterable of the results
   * @throws TypeError when `fn` is not a function
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
  ): MapIterator<Awaited<R>> {
    if (typeof fn !== 'function') throw notAFunction('GreenPool.starmap', fn);
    return new MapIterator(this.#size, fn as Fn<unknown[], unknown>, argLists);
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

async function* zip(
  iterables: (Iterable<unknown> | AsyncIterable<unknown>)[],
): AsyncGenerator<unknown[]> {
  if (iterables.length === 0) return;
  const its = iterables.map((it) =>
    Symbol.asyncIterator in it
      ? (it as AsyncIterable<unknown>)[Symbol.asyncIterator]()
      : (it as Iterable<unknown>)[Symbol.iterator](),
  );
  for (;;) {
    const row: unknown[] = [];
    for (const it of its) {
      const r = it.next();
      const step = r instanceof Promise ? await r : (r as IteratorResult<unknown>);
      if (step.done === true) return;
      row.push(step.value);
    }
    yield row;
  }
}

const END = Symbol('end of map');

/**
 * Linked to the threads of a map or a pile: their failures reach the consumer at their place
 * in the iteration, so the hub does not report them as failures nobody waited for.
 */
function delivered(): void {}

interface MapFailure {
  readonly error: unknown;
}

type MapItem<R> = GreenThread<R> | MapFailure | typeof END;

/**
 * The async iterable `GreenPool.imap`/`starmap` return: results in input order.
 *
 * Source: eventlet's `GreenMap`.
 * @typeParam R - the results' type
 */
export class MapIterator<R> implements AsyncIterableIterator<R> {
  readonly #pool: GreenPool;
  readonly #results: Queue<MapItem<R>>;
  readonly #producer: Greenlet;
  #done = false;

  /** @internal */
  constructor(
    size: number,
    fn: Fn<unknown[], unknown>,
    argLists: Iterable<unknown[]> | AsyncIterable<unknown[]>,
  ) {
    this.#pool = new GreenPool(size);
    this.#results = new Queue<MapItem<R>>(Math.max(size, 1));
    const pool = this.#pool;
    const results = this.#results;
    this.#producer = spawnGreenlet(async () => {
      try {
        for await (const args of argLists) {
          const gt = (await pool.spawn(fn, ...args)) as GreenThread<R>;
          gt.greenlet?.rawlink(delivered);
          await results.put(gt);
        }
      } catch (error) {
        if (error instanceof Cancellation) throw error;
        await results.put({ error });
        return;
      }
      await results.put(END);
    });
  }

  /**
   * The next result: waits for it, returns its value or throws its failure (consumed: the
   * following `next()` goes on with the next one).
   *
   * A switch point: kill and `Timeout` land here and consume nothing.
   * @throws the call's failure; what the input iterable threw (then the iterator ends)
   */
  async next(): Promise<IteratorResult<R, undefined>> {
    for (;;) {
      if (this.#done) return { done: true, value: undefined };
      const item = await this.#results.peek();
      if (item === END || !(item instanceof GreenThread)) {
        this.#results.getNowait();
        this.#done = true;
        if (item === END) return { done: true, value: undefined };
        throw item.error;
      }
      if (item.greenlet !== null) await item.greenlet.join();
      if (this.#results.qsize() === 0 || this.#results.peekNowait() !== item) continue;
      this.#results.getNowait();
      return { done: false, value: threadResult(item) };
    }
  }

  /**
   * Stop early: kill the producer and the calls still running, and wait for them to end.
   * A switch point.
   */
  async return(): Promise<IteratorResult<R, undefined>> {
    this.#done = true;
    await this.#producer.kill();
    while (this.#results.qsize() > 0) this.#results.getNowait();
    await killAll(poolThreads(this.#pool));
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * eventlet's `GreenPile`: spawn calls into a pool, then iterate their results in spawn order.
 *
 * Source: `eventlet.greenpool.GreenPile`.
 * @typeParam T - the results' type
 * @example
 * ```ts
 * import { GreenPile, sleep } from 'verdant/eventlet';
 * const pile = new GreenPile<number>();
 * for (const ms of [30, 10, 20]) await pile.spawn(async () => { await sleep(ms); return ms; });
 * for await (const r of pile) console.log(r); // 30, 10, 20
 * ```
 */
export class GreenPile<T = unknown> implements AsyncIterableIterator<T> {
  /** The pool the calls run in (given, or made with the size given). */
  readonly pool: GreenPool;
  readonly #threads = new Queue<GreenThread<T>>();
  #counter = 0;

  /**
   * @param sizeOrPool - a {@link GreenPool} to share, or the size of a pool of its own
   *   (default 1000)
   */
  constructor(sizeOrPool: number | GreenPool = 1000) {
    this.pool = sizeOrPool instanceof GreenPool ? sizeOrPool : new GreenPool(sizeOrPool);
  }

  /**
   * Run `fn(...args)` in the pool (waiting for a slot as `GreenPool.spawn` does); its result
   * comes out of the iteration at its place.
   *
   * A switch point when it waits for a slot: kill and `Timeout` land there and add nothing.
   * Source: eventlet's `GreenPile.spawn`.
   * @param fn - a plain or async function
   * @param args - its arguments
   * @throws TypeError when `fn` is not a function (rejects)
   * @example
   * ```ts
   * import { GreenPile } from 'verdant/eventlet';
   * const pile = new GreenPile<number>(4);
   * await pile.spawn((n: number) => n * n, 3);
   * ```
   */
  async spawn<A extends unknown[]>(
    fn: (...args: A) => T | PromiseLike<T>,
    ...args: A
  ): Promise<void> {
    this.#counter++;
    try {
      const gt = (await this.pool.spawn(fn, ...args)) as GreenThread<T>;
      gt.greenlet?.rawlink(delivered);
      this.#threads.putNowait(gt);
    } catch (err) {
      this.#counter--;
      throw err;
    }
  }

  /**
   * The next result in spawn order: waits for it, returns its value or throws its failure
   * (consumed: the following `next()` goes on). Done when every call spawned was consumed.
   *
   * A switch point unless done or ready: kill and `Timeout` land here and consume nothing.
   * @throws the call's failure
   */
  async next(): Promise<IteratorResult<T, undefined>> {
    for (;;) {
      if (this.#counter === 0) return { done: true, value: undefined };
      const gt = await this.#threads.peek();
      if (gt.greenlet !== null) await gt.greenlet.join();
      if (this.#threads.qsize() === 0 || this.#threads.peekNowait() !== gt) continue;
      this.#threads.getNowait();
      this.#counter--;
      return { done: false, value: threadResult(gt) };
    }
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

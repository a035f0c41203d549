/**
 * eventlet's `GreenPile`: calls spawned into a `GreenPool`, results iterated in spawn order.
 *
 * Design note — `next()` waits with `peek` and `join` and consumes a thread only once it is
 * dead, so a `next()` interrupted by a kill or `Timeout` consumes nothing; a failure is thrown at
 * its place and consumed. A spawn that fails and leaves nothing pending queues a `null` that
 * wakes a waiting `next()` to see the pile is done. Tests: test/compat/eventlet/greenpool.test.ts
 * ("eventlet GreenPile").
 *
 * @module
 */
import { Queue } from '../../index.js';
import { guard } from './_guard.js';
import { GreenPool } from './greenpool.js';
import { type GreenThread, threadResult } from './greenthread.js';
import { delivered } from './mapiterator.js';

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
  /** The threads in spawn order; `null` wakes a `next()` after a spawn that failed. */
  readonly #threads = new Queue<GreenThread<T> | null>();
  #counter = 0;

  /**
   * @param sizeOrPool - a {@link GreenPool} to share, or the size of a pool of its own
   *   (default 1000)
   * @throws TypeError for neither a pool nor a number, RangeError for a negative or fractional
   *   size (`Cannot create a GreenPile: …`)
   */
  constructor(sizeOrPool: number | GreenPool = 1000) {
    if (!(sizeOrPool instanceof GreenPool)) {
      // Checked here, so the message names GreenPile, not the GreenPool it makes.
      if (typeof sizeOrPool !== 'number') {
        throw new TypeError(
          `Cannot create a GreenPile: sizeOrPool must be a GreenPool or a number of threads, got ${sizeOrPool === null ? 'null' : typeof sizeOrPool}`,
        );
      }
      if (!Number.isInteger(sizeOrPool) || sizeOrPool < 0) {
        throw new RangeError(
          `Cannot create a GreenPile: size must be an integer >= 0, got ${sizeOrPool}`,
        );
      }
    }
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
   * @throws TypeError when `fn` is not a function (`GreenPile.spawn: …`; rejects)
   * @example
   * ```ts
   * import { GreenPile } from 'verdant/eventlet';
   * const pile = new GreenPile<number>(4);
   * await pile.spawn((n: number) => n * n, 3);
   * ```
   */
  spawn<A extends unknown[]>(fn: (...args: A) => T | PromiseLike<T>, ...args: A): Promise<void> {
    if (typeof fn !== 'function') {
      return Promise.reject(
        new TypeError(
          `GreenPile.spawn: fn must be a function, got ${fn === null ? 'null' : typeof fn}`,
        ),
      );
    }
    return guard(this.#spawn(fn as (...args: unknown[]) => T | PromiseLike<T>, args));
  }

  async #spawn(fn: (...args: unknown[]) => T | PromiseLike<T>, args: unknown[]): Promise<void> {
    this.#counter++;
    try {
      const gt = (await this.pool.spawn(fn, ...args)) as GreenThread<T>;
      gt.greenlet?.rawlink(delivered);
      this.#threads.putNowait(gt);
    } catch (err) {
      // Nothing to wait for any more: a next() blocked for this spawn ends instead of hanging
      // (eventlet's next() would hang there).
      if (--this.#counter === 0) this.#threads.putNowait(null);
      throw err;
    }
  }

  /**
   * The next result in spawn order: waits for it, returns its value or throws its failure
   * (consumed: the following `next()` goes on). Done when every call spawned was consumed —
   * also for a `next()` already waiting when the only spawn it waited for fails (a kill or
   * `Timeout` in `spawn()` while the pool is full; eventlet's `next()` hangs there).
   *
   * A switch point unless done or ready: kill and `Timeout` land here and consume nothing.
   * @throws the call's failure
   */
  next(): Promise<IteratorResult<T, undefined>> {
    return guard(this.#next());
  }

  async #next(): Promise<IteratorResult<T, undefined>> {
    for (;;) {
      if (this.#counter === 0) return { done: true, value: undefined };
      const gt = await this.#threads.peek();
      if (gt === null) {
        this.#threads.getNowait();
        continue;
      }
      if (gt.greenlet !== null) await gt.greenlet.join();
      if (this.#threads.qsize() === 0 || this.#threads.peekNowait() !== gt) continue;
      this.#threads.getNowait();
      this.#counter--;
      return { done: false, value: threadResult(gt) };
    }
  }

  /** The pile itself, so `for await` reads it. Never switches. */
  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * The async iterable eventlet's `GreenPool.imap`/`starmap` return (eventlet's `GreenMap`).
 *
 * Design note — as eventlet: a producer greenlet spawns the calls into a pool of their own (of
 * the caller's pool size) and queues their threads, in input order, in a queue of the same size,
 * so at most `size` calls run and at most `size` results wait for the consumer. `next()` waits
 * with `peek` and `join` and consumes a thread only once it is dead, so a `next()` interrupted
 * by a kill or `Timeout` consumes nothing. `return()` kills the producer and the calls still
 * running. Tests: test/compat/eventlet/greenpool.test.ts ("eventlet GreenPool.imap / starmap").
 *
 * @module
 */
import {
  Cancellation,
  type Greenlet,
  killAll,
  Queue,
  spawn as spawnGreenlet,
} from '../../index.js';
import { guard } from './_guard.js';
import { GreenThread, threadResult } from './greenthread.js';

type Fn<A extends unknown[], R> = (...args: A) => R | PromiseLike<R>;

/** @internal What a map needs of its pool. */
export interface MapPool {
  readonly size: number;
  spawn(fn: Fn<unknown[], unknown>, ...args: unknown[]): Promise<GreenThread<unknown>>;
  /** The greenlets running now. */
  threads(): Greenlet[];
}

export async function* zip(
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
export function delivered(): void {}

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
  readonly #pool: MapPool;
  readonly #results: Queue<MapItem<R>>;
  readonly #producer: Greenlet;
  #done = false;

  /** @internal */
  constructor(
    pool: MapPool,
    fn: Fn<unknown[], unknown>,
    argLists: Iterable<unknown[]> | AsyncIterable<unknown[]>,
  ) {
    this.#pool = pool;
    this.#results = new Queue<MapItem<R>>(Math.max(pool.size, 1));
    const results = this.#results;
    this.#producer = spawnGreenlet(async () => {
      try {
        for await (const args of argLists) {
          if (
            typeof (args as { [Symbol.iterator]?: unknown } | null)?.[Symbol.iterator] !==
            'function'
          ) {
            throw new TypeError(
              `GreenPool.starmap: each item of argLists must be an argument list (an iterable), got ${args === null ? 'null' : typeof args}`,
            );
          }
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
  next(): Promise<IteratorResult<R, undefined>> {
    return guard(this.#next());
  }

  async #next(): Promise<IteratorResult<R, undefined>> {
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
  return(): Promise<IteratorResult<R, undefined>> {
    return guard(this.#return());
  }

  async #return(): Promise<IteratorResult<R, undefined>> {
    this.#done = true;
    await this.#producer.kill();
    while (this.#results.qsize() > 0) this.#results.getNowait();
    await killAll(this.#pool.threads());
    return { done: true, value: undefined };
  }

  /** The iterator itself, so `for await` reads it. Never switches. */
  [Symbol.asyncIterator](): this {
    return this;
  }
}

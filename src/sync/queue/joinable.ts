/**
 * The joinable queues: `Queue` (alias `JoinableQueue`), `PriorityQueue` and `LifoQueue`.
 *
 * Design note: these add task tracking on top of {@link SimpleQueue}, whose `#private` counter
 * counts every item that enters (a put that completes, including one handed straight to a
 * getter) and is decremented by `taskDone()` and by `shutdown({immediate: true})` for each item
 * it drops — also for an item an interrupted getter hands back after such a shutdown — so
 * `join()` cannot hang on an item nobody can get any more (tests: queue.test.ts "task
 * tracking"). `PriorityQueue` and `LifoQueue` only swap the item store.
 *
 * @module
 */
import type { WaitOptions } from '../../core/lowlevel.js';
import { defaultCompare, Heap, Stack } from './_store.js';
import type { JoinableQueueStats, PriorityQueueOptions } from './errors.js';
import { internals, SimpleQueue } from './simple.js';

/**
 * A {@link SimpleQueue} that tracks tasks: every item put counts as an unfinished task until a
 * consumer calls `taskDone()` for it; `join()` waits until none is unfinished. The queue of
 * choice for a boss/workers pipeline. `JoinableQueue` is the same class.
 *
 * Concurrency: as {@link SimpleQueue}; `taskDone()` never switches (joiners it wakes run later,
 * from the hub); `join()` is a switch point unless no task is unfinished.
 *
 * Source: gevent ≥ 25.4's `gevent.queue.Queue` (formerly `JoinableQueue`).
 *
 * @typeParam T - the items' type
 * @param maxsize - the capacity; undefined, null or ≤ 0 for unbounded
 * @throws TypeError for a non-number `maxsize`, RangeError for NaN or a fraction
 * @example
 * ```ts
 * import { sleep, spawn } from 'verdant';
 * import { Queue } from 'verdant/queue';
 * const urls = ['/a', '/b', '/c', '/d'];
 * const fetchOne = async (url: string) => { await sleep(10); console.log('fetched', url); };
 * const q = new Queue<string>();
 * for (let i = 0; i < 3; i++) {
 *   spawn(async () => {
 *     for await (const url of q) {
 *       try { await fetchOne(url); } finally { q.taskDone(); }
 *     }
 *   });
 * }
 * for (const url of urls) await q.put(url);
 * await q.join(); // every url handled
 * q.shutdown();
 * ```
 */
export class Queue<T = unknown> extends SimpleQueue<T> {
  /** Items put whose `taskDone()` has not been called yet. Never switches. */
  get unfinishedTasks(): number {
    return internals.unfinished(this);
  }

  /**
   * Mark one item got from the queue as processed. When no task is left unfinished, greenlets
   * blocked in `join()` wake (later, from the hub). Never switches.
   * @throws RangeError when called more times than items were put
   * @example
   * ```ts
   * import { Queue } from 'verdant/queue';
   * const q = new Queue<() => Promise<void>>();
   * q.putNowait(async () => console.log('job ran'));
   * const job = await q.get();
   * try { await job(); } finally { q.taskDone(); }
   * await q.join(); // true: every item taken was marked done
   * ```
   */
  taskDone(): void {
    internals.taskDone(this);
  }

  /**
   * Wait until every item put has been marked done with `taskDone()` (at once when none is
   * unfinished, also if nothing was ever put).
   *
   * A switch point unless nothing is unfinished; kill and `Timeout` land there.
   * @param options - `{timeout, signal}` or a timeout in ms
   * @returns true once no task is unfinished; false when `timeout` elapsed first
   * @throws TypeError / RangeError for bad options; `signal.reason` (reject)
   * @example
   * ```ts
   * import { Queue } from 'verdant/queue';
   * const q = new Queue<number>();
   * q.putNowait(1); // nobody takes it
   * if (!(await q.join({ timeout: 10 }))) console.warn('workers are slow');
   * ```
   */
  join(options?: WaitOptions | number | null): Promise<boolean> {
    return internals.join(this, options);
  }

  /** A read-only snapshot of the queue's state, with its task count. Never switches. */
  override stats(): JoinableQueueStats {
    const s = super.stats() as JoinableQueueStats;
    s.unfinishedTasks = internals.unfinished(this);
    s.joiners = internals.joiners(this);
    return s;
  }
}

/**
 * Alias of {@link Queue} — the same class object (gevent keeps `JoinableQueue` as an alias of
 * its joinable `Queue` since 25.4).
 */
export const JoinableQueue: typeof Queue = Queue;
/** Alias of {@link Queue}. */
export type JoinableQueue<T = unknown> = Queue<T>;

/**
 * A joinable {@link Queue} that returns the lowest item first: ordered with `<`, or by the
 * `compare` option (negative: `a` first). Ties come out in the order they were put. An item a
 * woken getter was interrupted with goes back to the front (it is the next one got).
 *
 * Concurrency: as {@link Queue}. A `compare` that throws makes the `put`/`get` that called it
 * throw, with the queue unchanged.
 *
 * Source: gevent's `gevent.queue.PriorityQueue` (heap order, lowest first).
 *
 * @typeParam T - the items' type
 * @param maxsize - the capacity; undefined, null or ≤ 0 for unbounded
 * @param options - `{compare}`
 * @throws TypeError for a non-number `maxsize` or a `compare` that is not a function;
 *   RangeError for NaN or a fractional `maxsize`
 * @example
 * ```ts
 * import { PriorityQueue } from 'verdant/queue';
 * const q = new PriorityQueue<{ pri: number; name: string }>(null, {
 *   compare: (a, b) => a.pri - b.pri,
 * });
 * q.putNowait({ pri: 5, name: 'low' });
 * q.putNowait({ pri: 1, name: 'urgent' });
 * console.log(q.getNowait().name); // 'urgent'
 * ```
 */
export class PriorityQueue<T = unknown> extends Queue<T> {
  constructor(maxsize?: number | null, options?: PriorityQueueOptions<T>) {
    super(maxsize);
    let compare: unknown = defaultCompare;
    if (options !== undefined && options !== null) {
      if (typeof options !== 'object') {
        throw new TypeError(
          `Cannot create a PriorityQueue with options that are not an object: options is ${typeof options}`,
        );
      }
      const c = options.compare;
      if (c !== undefined && c !== null) {
        if (typeof c !== 'function') {
          throw new TypeError(
            `Cannot create a PriorityQueue with a compare that is not a function: compare is ${typeof c}`,
          );
        }
        compare = c;
      }
    }
    internals.setStore(
      this as SimpleQueue<unknown>,
      new Heap(compare as (a: unknown, b: unknown) => number),
    );
  }
}

/**
 * A joinable {@link Queue} that returns the most recently put item first (a stack). `peek`
 * shows the top; an item a woken getter was interrupted with goes back on top.
 *
 * Concurrency: as {@link Queue}.
 *
 * Source: gevent's `gevent.queue.LifoQueue` (joinable since 24.10.1).
 *
 * @typeParam T - the items' type
 * @param maxsize - the capacity; undefined, null or ≤ 0 for unbounded
 * @throws TypeError for a non-number `maxsize`, RangeError for NaN or a fraction
 * @example
 * ```ts
 * import { LifoQueue } from 'verdant/queue';
 * const q = new LifoQueue<number>();
 * q.putNowait(1);
 * q.putNowait(2);
 * console.log(q.getNowait()); // 2
 * ```
 */
export class LifoQueue<T = unknown> extends Queue<T> {
  constructor(maxsize?: number | null) {
    super(maxsize);
    internals.setStore(this as SimpleQueue<unknown>, new Stack());
  }
}

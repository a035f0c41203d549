/**
 * `Queue` (alias `JoinableQueue`): the FIFO queue with task tracking, and the base of
 * `PriorityQueue` (priority.ts) and `LifoQueue` (lifo.ts).
 *
 * Design note: these add task tracking on top of {@link SimpleQueue}, whose `#private` counter
 * counts every item that enters (a put that completes, including one handed straight to a
 * getter) and is decremented by `taskDone()` and by `shutdown({immediate: true})` for each item
 * it drops — also for an item an interrupted getter hands back after such a shutdown — so
 * `join()` cannot hang on an item nobody can get any more (tests: test/sync/queue/queue.test.ts "task
 * tracking"). `PriorityQueue` and `LifoQueue` only swap the item store.
 *
 * @module
 */
import { settleShape, type WaitOptions } from '../../core/lowlevel.js';
import type { JoinableQueueStats } from './errors.js';
import { SimpleQueue } from './simple.js';

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
    return this._unfinished();
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
    this._taskDone();
  }

  /**
   * Wait until every item put has been marked done with `taskDone()` (at once when none is
   * unfinished, also if nothing was ever put).
   *
   * A switch point unless nothing is unfinished; kill and `Timeout` land there.
   * @param options - `{timeout, signal}` or a timeout in ms
   * @returns true once no task is unfinished; false when `timeout` elapsed first
   * @throws TypeError / RangeError for bad options (an unknown key too); `signal.reason` (reject)
   * @example
   * ```ts
   * import { Queue } from 'verdant/queue';
   * const q = new Queue<number>();
   * q.putNowait(1); // nobody takes it
   * if (!(await q.join({ timeout: 10 }))) console.warn('workers are slow');
   * ```
   */
  join(options?: WaitOptions | number | null): Promise<boolean> {
    return this._join(options);
  }

  /** `<Queue maxsize=3 qsize=2 tasks=2>`: as {@link SimpleQueue.toString}, with the unfinished tasks. */
  override toString(): string {
    const base = super.toString();
    const n = this._unfinished();
    return n > 0 ? `${base.slice(0, -1)} tasks=${n}>` : base;
  }

  /** A read-only snapshot of the queue's state, with its task count. Never switches. */
  override stats(): JoinableQueueStats {
    const s = super.stats() as JoinableQueueStats;
    s.unfinishedTasks = this._unfinished();
    s.joiners = this._joinerCount();
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
settleShape(() => new Queue());

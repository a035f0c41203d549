/**
 * eventlet's `LightQueue` and `Queue`, with eventlet's `maxsize` rules, over verdant's queues.
 *
 * Design note — eventlet and gevent disagree on `maxsize = 0`: gevent ≥ 1.0 (and verdant's
 * `Queue`) make it unbounded, eventlet makes it a channel. So these classes hold a verdant
 * `Channel` for `0`, a verdant `SimpleQueue`/`Queue` otherwise, and forward every call: every
 * wait is verdant's (kill, `Timeout`, nothing lost), the errors are verdant's `QueueEmpty`/
 * `QueueFull`. A channel has no task count of its own: eventlet's `Queue(0)` counts an item
 * as unfinished once a getter has it. Tests: test/compat/eventlet/queue.test.ts.
 *
 * @module
 */

import { NONE, readWaitOptions, rejectWait } from '../../core/lowlevel.js';
import {
  Channel,
  Event,
  Queue as JoinableQueue,
  SimpleQueue,
  type WaitOptions,
} from '../../index.js';
import { guard } from './_guard.js';

function capacity(maxsize: number | null | undefined, kind: string): number | null {
  if (maxsize === undefined || maxsize === null) return null;
  if (typeof maxsize !== 'number') {
    throw new TypeError(`Cannot create a ${kind}: maxsize must be a number, got ${typeof maxsize}`);
  }
  // Checked here, so the message names the class the user made, not verdant's queue below.
  if (Number.isNaN(maxsize) || (Number.isFinite(maxsize) && !Number.isInteger(maxsize))) {
    throw new RangeError(
      `Cannot create a ${kind}: maxsize must be an integer (negative or null: unbounded), got ${maxsize}`,
    );
  }
  return maxsize < 0 ? null : maxsize;
}

/** The eventlet class `q` is, as its errors name it. */
function kindOf(q: LightQueue<unknown>): string {
  return q instanceof Queue ? 'Queue' : 'LightQueue';
}

/**
 * The rejection of a `put`/`get` with bad options, named after the eventlet call
 * (`LightQueue.get`), not verdant's queue under it (`Channel.get`); or `null`.
 */
function badOptions<T>(q: LightQueue<unknown>, call: string, options: unknown): Promise<T> | null {
  const err = readWaitOptions(options, `${kindOf(q)}.${call}`);
  return err === NONE ? null : rejectWait(err);
}

/**
 * eventlet's `LightQueue`: a FIFO queue between green threads, without task tracking.
 * `maxsize` `undefined`, `null` or negative: unbounded; `0`: a channel (`put` waits for a
 * getter, `full()` and `empty()` are both true, `qsize()` is 0); positive: bounded (a blocked
 * `put` enters when a `get` frees a slot).
 *
 * Concurrency: `put`/`get` are switch points when they wait (kill and `Timeout` land there, a
 * woken getter that is interrupted leaves its item for the next one); the `Nowait` forms never
 * switch.
 * Source: `eventlet.queue.LightQueue` (eventlet's `tests/queue_test.py`).
 * @typeParam T - the items' type
 * @example
 * ```ts
 * import { LightQueue, spawn } from 'verdant/eventlet';
 * const q = new LightQueue<string>(0); // a channel
 * spawn(() => q.put('hi'));
 * console.log(await q.get()); // hi
 * ```
 */
export class LightQueue<T = unknown> {
  /** @internal The verdant queue doing the work. */
  protected readonly q: SimpleQueue<T> | Channel<T>;
  readonly #maxsize: number | null;

  /**
   * @param maxsize - capacity: undefined/null/negative unbounded, 0 a channel
   * @throws TypeError for a non-number, RangeError for NaN or a fraction (`Cannot create a
   *   LightQueue: …`, or `a Queue`)
   */
  constructor(maxsize?: number | null) {
    this.#maxsize = capacity(maxsize, kindOf(this));
    this.q = this.#maxsize === 0 ? new Channel<T>() : this.makeQueue(this.#maxsize);
  }

  /** @internal */
  protected makeQueue(maxsize: number | null): SimpleQueue<T> {
    return new SimpleQueue<T>(maxsize);
  }

  /** The capacity: `null` when unbounded, `0` for a channel. Never switches. */
  get maxsize(): number | null {
    return this.#maxsize;
  }

  /**
   * Put `item`, waiting while the queue is full (a channel waits for a getter to take it).
   * A switch point when it waits.
   * @param item - what to put
   * @param options - `{timeout, signal}` or a timeout in ms
   * @throws QueueFull when `timeout` elapses; TypeError/RangeError for bad options (an unknown key too), the message
   *   naming `LightQueue.put` (or `Queue.put`) (all reject)
   * @example
   * ```ts
   * import { LightQueue } from 'verdant/eventlet';
   * const q = new LightQueue<number>(1);
   * await q.put(1);
   * ```
   */
  put(item: T, options?: WaitOptions | number | null): Promise<void> {
    return badOptions(this, 'put', options) ?? this.q.put(item, options);
  }

  /**
   * Put `item` without waiting; on a channel, hand it to a getter already waiting.
   * Never switches.
   * @throws QueueFull when the queue is full (a channel: no getter waits)
   * @example
   * ```ts
   * import { LightQueue } from 'verdant/eventlet';
   * new LightQueue<number>().putNowait(1);
   * ```
   */
  putNowait(item: T): void {
    this.q.putNowait(item);
  }

  /**
   * Take the oldest item, waiting while there is none (a channel waits for a putter).
   * A switch point when it waits.
   * @param options - `{timeout, signal}` or a timeout in ms
   * @throws QueueEmpty when `timeout` elapses; TypeError/RangeError for bad options (an unknown key too), the
   *   message naming `LightQueue.get` (or `Queue.get`) (all reject)
   * @example
   * ```ts
   * import { LightQueue } from 'verdant/eventlet';
   * const q = new LightQueue<number>();
   * await q.get({ timeout: 10 }).catch((e) => e.name); // 'QueueEmpty'
   * ```
   */
  get(options?: WaitOptions | number | null): Promise<T> {
    return badOptions<T>(this, 'get', options) ?? this.q.get(options);
  }

  /**
   * Take the oldest item without waiting; on a channel, from a putter already waiting.
   * Never switches.
   * @throws QueueEmpty when there is none
   * @example
   * ```ts
   * import { LightQueue } from 'verdant/eventlet';
   * const q = new LightQueue<number>();
   * q.putNowait(7);
   * q.getNowait(); // 7
   * ```
   */
  getNowait(): T {
    return this.q.getNowait();
  }

  /** Number of items queued (always 0 for a channel). Never switches. */
  qsize(): number {
    return this.q.qsize();
  }

  /** Whether no item is queued (always true for a channel). Never switches. */
  empty(): boolean {
    return this.q.empty();
  }

  /** Whether no slot is free (always true for a channel). Never switches. */
  full(): boolean {
    return this.q.full();
  }

  /** Number of green threads blocked in `get`. Never switches. Source: eventlet's `getting()`. */
  getting(): number {
    return this.q.stats().getters;
  }

  /** Number of green threads blocked in `put`. Never switches. Source: eventlet's `putting()`. */
  putting(): number {
    return this.q.stats().putters;
  }
}

/**
 * eventlet's `Queue`: a {@link LightQueue} with task tracking — `taskDone()` per item got,
 * `join()` waits until every item put has been marked done.
 *
 * Source: `eventlet.queue.Queue`.
 * @typeParam T - the items' type
 * @example
 * ```ts
 * import { Queue, spawn } from 'verdant/eventlet';
 * const q = new Queue<string>();
 * spawn(async () => {
 *   for (;;) {
 *     console.log('done', await q.get());
 *     q.taskDone();
 *   }
 * });
 * await q.put('a');
 * await q.join();
 * ```
 */
export class Queue<T = unknown> extends LightQueue<T> {
  #unfinished = 0;
  #idle: Event | null = null;

  /** @internal */
  protected override makeQueue(maxsize: number | null): SimpleQueue<T> {
    return new JoinableQueue<T>(maxsize);
  }

  /** Items put (for a channel: received) not yet marked done with `taskDone()`. Never switches. */
  get unfinishedTasks(): number {
    return this.q instanceof Channel
      ? this.#unfinished
      : (this.q as JoinableQueue<T>).unfinishedTasks;
  }

  override get(options?: WaitOptions | number | null): Promise<T> {
    const bad = badOptions<T>(this, 'get', options);
    if (bad !== null) return bad;
    if (!(this.q instanceof Channel)) return this.q.get(options);
    return guard(
      this.q.get(options).then((item) => {
        this.#received();
        return item;
      }),
    );
  }

  override getNowait(): T {
    const item = this.q.getNowait();
    if (this.q instanceof Channel) this.#received();
    return item;
  }

  #received(): void {
    if (this.#unfinished++ === 0) this.#idle?.clear();
  }

  /**
   * Mark one item got as processed; when none is left unfinished, `join()` callers wake (later,
   * from the hub). Never switches.
   * @throws RangeError when called more times than items were put
   * @example
   * ```ts
   * import { Queue } from 'verdant/eventlet';
   * const q = new Queue<number>();
   * q.putNowait(1);
   * q.getNowait();
   * q.taskDone();
   * ```
   */
  taskDone(): void {
    if (!(this.q instanceof Channel)) {
      (this.q as JoinableQueue<T>).taskDone();
      return;
    }
    if (this.#unfinished === 0) {
      throw new RangeError('Cannot mark a task done when none is unfinished: unfinishedTasks is 0');
    }
    if (--this.#unfinished === 0) this.#idle?.set();
  }

  /**
   * Wait until every item put has been marked done (at once when none is unfinished).
   * A switch point unless none is unfinished: kill and `Timeout` land there.
   * @param options - `{timeout, signal}` or a timeout in ms
   * @returns true once none is unfinished, false when `timeout` elapsed first
   * @example
   * ```ts
   * import { Queue } from 'verdant/eventlet';
   * await new Queue().join(); // true at once
   * ```
   */
  join(options?: WaitOptions | number | null): Promise<boolean> {
    // Checked here, so a bad option is named Queue.join, not the Event.wait below.
    const err = readWaitOptions(options, 'Queue.join');
    if (err !== NONE) return rejectWait(err);
    if (!(this.q instanceof Channel)) return (this.q as JoinableQueue<T>).join(options);
    if (this.#idle === null) {
      this.#idle = new Event();
      if (this.#unfinished === 0) this.#idle.set();
    }
    return this.#idle.wait(options);
  }
}

/**
 * `SimpleQueue`: the queue machinery every class but `Channel` shares (the joinable ones extend
 * it in queue.ts, priority.ts, lifo.ts).
 *
 * Design note — where an item is, and why nothing is lost.
 * - Direct hand-off: an item that arrives while a getter waits goes to the oldest getter at
 *   once (`wake(item)`), not into the store; so getters wait only while the store is empty, and
 *   `empty()` is exactly "`getNowait()` would throw". Waits already marked by a kill or Timeout
 *   are skipped (they will end anyway), which keeps the hand-off FIFO.
 * - A getter woken with an item and then killed or timed out before it resumes (the kill wins;
 *   gevent 22 would give it to the killed one) hands the item on in `abortWait`: to the next waiting getter, else back to the
 *   front of the store, behind items handed back before it. So a burst of interrupted getters
 *   leaves the items in put order — and `qsize()` may exceed `maxsize` by those items; a queue
 *   must hold them somewhere (tests: test/sync/queue/_conformance.ts "nothing lost", test/sync/queue/queue.test.ts
 *   "interrupted getters hand their items back in order").
 * - Slots: `get()` that frees a slot wakes the oldest blocked putter and *reserves* the slot for
 *   it (`reserved`). Its item enters only when it resumes (its owner's `commitWait`); a putter
 *   interrupted first inserts nothing and passes the slot to the next putter. `full()` counts
 *   reserved slots, so `full()` is exactly "`putNowait()` would throw", and a later `put` never
 *   overtakes a putter that was already let in (tests: test/sync/queue/_conformance.ts "a putter
 *   woken for a freed slot, then killed, inserts nothing and gives the slot to the next putter", test/sync/queue/property.test.ts).
 * - Shutdown: nothing enters after `shutdown()` — a reserved putter that resumes later fails with
 *   `QueueShutDown` — so `get` drains exactly what was queued when it shut down.
 *
 * @module
 */
import {
  NONE,
  noteCompletedAtOnce,
  readWaitOptions,
  rejectWait,
  returnFalse,
  settleShape,
  Waiter,
  WaitList,
  type WaitOptions,
  type WaitOwner,
  waitArgs,
} from '../../core/lowlevel.js';
import { QueueIterator } from './_iterator.js';
import { Deque, type ItemStore } from './_store.js';
import {
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  type QueueStats,
  readShutdownOptions,
  type ShutdownOptions,
} from './errors.js';

const RESOLVED: Promise<void> = Promise.resolve();
const OPEN = 0;
const SHUT = 1;
const SHUT_IMMEDIATE = 2;

function throwEmpty(): never {
  throw new QueueEmpty('No item arrived before the timeout');
}
function throwFull(): never {
  throw new QueueFull('No slot freed before the timeout');
}

/** Validate a `maxsize`; returns the capacity (Infinity when unbounded). */
function readMaxsize(maxsize: unknown, action: string): number {
  if (maxsize === undefined || maxsize === null) return Number.POSITIVE_INFINITY;
  if (typeof maxsize !== 'number') {
    throw new TypeError(
      `Cannot ${action} with a maxsize that is not a number: maxsize is ${typeof maxsize}`,
    );
  }
  if (Number.isNaN(maxsize))
    throw new RangeError(`Cannot ${action} with a NaN maxsize: maxsize is NaN`);
  if (maxsize <= 0 || maxsize === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  if (!Number.isInteger(maxsize)) {
    throw new RangeError(`Cannot ${action} with a fractional maxsize: maxsize is ${maxsize}`);
  }
  return maxsize;
}

/**
 * A cooperative FIFO queue without task tracking: greenlets `put` items in and `get` them out,
 * in order, blocking while it is empty (get) or full (put).
 *
 * Concurrency: `put`/`get`/`peek` switch only when they must wait — a `put` with a free slot
 * or a `get` with an item completes without letting another greenlet run. A kill, a `Timeout`,
 * the `timeout` option or an aborted `signal` lands at a wait; when it lands after the wait was
 * woken but before it resumed, it still wins and what woke it passes on: the item to the next
 * getter, the freed slot to the next putter (nothing is lost). `putNowait`, `getNowait`,
 * `peekNowait` and `shutdown` never switch; the waiters they wake run later, from the hub, in
 * FIFO order. Blocked getters are served oldest first, and so are blocked putters.
 *
 * `maxsize` undefined, null or ≤ 0 means unbounded (0 is not a channel: see `Channel`).
 *
 * Source: gevent ≥ 25.4's `gevent.queue.SimpleQueue` (gevent's `test__queue.py`).
 *
 * @typeParam T - the items' type
 * @param maxsize - the capacity; undefined, null or ≤ 0 for unbounded
 * @throws TypeError for a non-number `maxsize`, RangeError for NaN or a fraction
 * @example
 * ```ts
 * import { spawn } from 'verdant';
 * import { SimpleQueue } from 'verdant/queue';
 * const q = new SimpleQueue<number>(2);
 * spawn(async () => { for (let i = 0; i < 5; i++) await q.put(i); q.shutdown(); });
 * for await (const n of q) console.log(n); // 0 1 2 3 4
 * ```
 */
export class SimpleQueue<T = unknown> implements AsyncIterable<T> {
  #store: ItemStore<T> = new Deque<T>();
  #max: number;
  /** Waiting getters; non-empty only while the store is empty. */
  #getters = new WaitList(this);
  /** Waiting putters (data: the item); non-empty only while the queue is full. */
  #putters = new WaitList(this);
  #peekers = new WaitList(this);
  /** Putters woken for a freed slot that have not resumed yet. */
  #reserved = 0;
  #state = OPEN;
  #unfinished = 0;
  #joiners: WaitList | null = null;

  #getOwner = {
    target: this,
    abortWait: (w: Waiter, held: boolean): void => {
      if (held) this.#handBack(w.value as T);
      else this.#getters.remove(w);
    },
  };

  #putOwner: WaitOwner & { target: object } = {
    target: this,
    abortWait: (w: Waiter, held: boolean): void => {
      if (held) {
        this.#reserved--;
        this.#admit();
      } else {
        this.#putters.remove(w);
      }
    },
    commitWait: (w: Waiter): void => {
      if (this.#state !== OPEN) throw new QueueShutDown();
      this.#enter(w.data as T);
      this.#reserved--;
      // Handed straight to a waiting getter, the item left its slot free at once.
      if (this.#putters.size > 0) this.#admit();
    },
  };

  constructor(maxsize?: number | null) {
    this.#max = readMaxsize(maxsize, `create a ${new.target.name}`);
  }

  // The task counter lives here, in `#private` fields, so that every put counts without a
  // virtual call; the joinable subclasses (queue.ts, priority.ts, lifo.ts) reach it through
  // these protected methods.

  /** Count one task done. @internal */
  protected _taskDone(): void {
    this.#taskDone();
  }

  /** Wait until every task is done. @internal */
  protected _join(options: unknown): Promise<boolean> {
    return this.#join(options);
  }

  /** Tasks put and not marked done. @internal */
  protected _unfinished(): number {
    return this.#unfinished;
  }

  /** Callers waiting in `join()`. @internal */
  protected _joinerCount(): number {
    return this.#joiners === null ? 0 : this.#joiners.size;
  }

  /** Replace the (empty) item store: a heap, a stack. @internal */
  protected _setStore(store: ItemStore<T>): void {
    this.#store = store;
  }

  /**
   * The capacity, or `null` when unbounded. Assignable (same rules as the constructor's
   * argument); a larger size lets blocked putters in, oldest first. Never switches.
   */
  get maxsize(): number | null {
    return this.#max === Number.POSITIVE_INFINITY ? null : this.#max;
  }
  /** Resize (same rules as the constructor's argument); never switches. */
  set maxsize(value: number | null) {
    this.#max = readMaxsize(value, `resize a ${this.constructor.name}`);
    this.#admit();
  }

  /** Number of items in the queue. Never switches. */
  qsize(): number {
    return this.#store.size;
  }

  /** Whether the queue holds no item (then `getNowait()` throws). Never switches. */
  empty(): boolean {
    return this.#store.size === 0;
  }

  /**
   * Whether no slot is free (then `putNowait()` throws). A slot freed for a blocked putter that
   * has not resumed yet counts as taken. An unbounded queue is never full. Never switches.
   */
  full(): boolean {
    return this.#store.size + this.#reserved >= this.#max;
  }

  /**
   * Put `item` into the queue, waiting for a free slot while it is full.
   *
   * A switch point only when it waits: with a free slot it completes without letting another
   * greenlet run (a waiting getter gets the item later, from the hub). A blocked put's item
   * enters when the putter resumes; a put interrupted before that (kill, `Timeout`, timeout,
   * signal) inserts nothing.
   * @param item - what to put
   * @param options - `{timeout, signal}` or a timeout in ms
   * @throws QueueFull when `timeout` elapses; QueueShutDown after `shutdown()`; TypeError /
   *   RangeError for bad options (an unknown key too); `signal.reason` (all reject)
   * @example
   * ```ts
   * import { Queue } from 'verdant/queue';
   * const q = new Queue<string>(10);
   * await q.put('job', { timeout: 1000 }); // throws QueueFull if still full after 1 s
   * ```
   */
  put(item: T, options?: WaitOptions | number | null): Promise<void> {
    const err = readWaitOptions(options, 'put', this);
    if (err !== NONE) return rejectWait(err);
    if (this.#state !== OPEN) return Promise.reject(new QueueShutDown());
    if (this.#store.size + this.#reserved < this.#max) {
      try {
        this.#enter(item);
      } catch (e) {
        return Promise.reject(e);
      }
      noteCompletedAtOnce();
      return RESOLVED;
    }
    const w = new Waiter<void>(this.#putOwner, throwFull);
    w.data = item;
    this.#putters.push(w);
    return w.start(waitArgs.timeout, waitArgs.signal);
  }

  /**
   * Put `item` in if a slot is free, else throw. Never switches; a waiting getter gets the item
   * later, from the hub.
   * @throws QueueFull when full; QueueShutDown after `shutdown()`
   * @example
   * ```ts
   * import { QueueFull, SimpleQueue } from 'verdant/queue';
   * const q = new SimpleQueue<string>(1);
   * for (const msg of ['a', 'b']) {
   *   try { q.putNowait(msg); } catch (e) { if (!(e instanceof QueueFull)) throw e; } // 'b' dropped
   * }
   * ```
   */
  putNowait(item: T): void {
    if (this.#state !== OPEN) throw new QueueShutDown();
    if (this.#store.size + this.#reserved >= this.#max) {
      throw new QueueFull(`Queue is full: maxsize is ${this.#max}`);
    }
    this.#enter(item);
  }

  /**
   * Remove and return the next item, waiting while the queue is empty.
   *
   * A switch point only when it waits. Items come out in the class's order (FIFO here). A
   * getter woken with an item and interrupted before it resumes leaves the item to the next
   * getter. After `shutdown()` it drains what is left, then throws `QueueShutDown` at once.
   * @param options - `{timeout, signal}` or a timeout in ms
   * @returns the item
   * @throws QueueEmpty when `timeout` elapses; QueueShutDown once shut down and drained;
   *   TypeError / RangeError for bad options (an unknown key too); `signal.reason` (all reject)
   * @example
   * ```ts
   * import { sleep, spawn } from 'verdant';
   * import { Queue } from 'verdant/queue';
   * const q = new Queue<string>();
   * spawn(async () => { await sleep(10); await q.put('job'); });
   * const job = await q.get({ timeout: 5000 }); // 'job'
   * ```
   */
  get(options?: WaitOptions | number | null): Promise<T> {
    const err = readWaitOptions(options, 'get', this);
    if (err !== NONE) return rejectWait(err);
    if (this.#store.size > 0) {
      let item: T;
      try {
        item = this.#store.take();
      } catch (e) {
        return Promise.reject(e);
      }
      if (this.#putters.size > 0) this.#admit();
      noteCompletedAtOnce();
      return Promise.resolve(item);
    }
    if (this.#state !== OPEN) return Promise.reject(new QueueShutDown());
    const w = new Waiter<T>(this.#getOwner, throwEmpty);
    this.#getters.push(w);
    return w.start(waitArgs.timeout, waitArgs.signal);
  }

  /**
   * Remove and return the next item if there is one, else throw. Never switches.
   * @throws QueueEmpty when empty; QueueShutDown when shut down and drained
   * @example
   * ```ts
   * import { SimpleQueue } from 'verdant/queue';
   * const q = new SimpleQueue<number>();
   * q.putNowait(1);
   * q.putNowait(2);
   * const batch: number[] = [];
   * while (!q.empty()) batch.push(q.getNowait());
   * console.log(batch); // [1, 2]
   * ```
   */
  getNowait(): T {
    if (this.#store.size > 0) {
      const item = this.#store.take();
      if (this.#putters.size > 0) this.#admit();
      return item;
    }
    if (this.#state !== OPEN) throw new QueueShutDown();
    throw new QueueEmpty();
  }

  /**
   * Return the next item without removing it, waiting while the queue is empty.
   *
   * A switch point only when it waits; a waiting peek resolves with the next item that arrives
   * (a waiting getter may take that item before the peeker runs). It consumes nothing, so an
   * interrupted peek loses nothing.
   * @param options - `{timeout, signal}` or a timeout in ms
   * @throws QueueEmpty when `timeout` elapses; QueueShutDown once shut down and drained;
   *   TypeError / RangeError for bad options (an unknown key too); `signal.reason` (all reject)
   * @example
   * ```ts
   * import { spawn } from 'verdant';
   * import { Queue } from 'verdant/queue';
   * const q = new Queue<string>();
   * spawn(() => q.put('job'));
   * const next = await q.peek(); // 'job', still queued
   * console.log(next, q.qsize()); // job 1
   * ```
   */
  peek(options?: WaitOptions | number | null): Promise<T> {
    const err = readWaitOptions(options, 'peek', this);
    if (err !== NONE) return rejectWait(err);
    if (this.#store.size > 0) return Promise.resolve(this.#store.peek());
    if (this.#state !== OPEN) return Promise.reject(new QueueShutDown());
    const w = new Waiter<T>(this.#peekers, throwEmpty);
    this.#peekers.push(w);
    return w.start(waitArgs.timeout, waitArgs.signal);
  }

  /**
   * Return the next item without removing it, or throw when empty. Never switches.
   * @throws QueueEmpty when empty; QueueShutDown when shut down and drained
   * @example
   * ```ts
   * import { Queue } from 'verdant/queue';
   * const q = new Queue<string>();
   * q.putNowait('job');
   * if (!q.empty()) console.log('next up:', q.peekNowait());
   * ```
   */
  peekNowait(): T {
    if (this.#store.size > 0) return this.#store.peek();
    if (this.#state !== OPEN) throw new QueueShutDown();
    throw new QueueEmpty();
  }

  /**
   * Shut the queue down: from now on `put`/`putNowait` throw `QueueShutDown`; `get` drains what
   * is queued, then throws it. Greenlets blocked in `put`, and in `get`/`peek` on the empty
   * queue, get `QueueShutDown` (later, from the hub). With `immediate`, the queued items are
   * dropped and each counts as done, so `join()` returns. Never switches; calling it again is
   * allowed (`immediate` then still drops).
   * @param options - `{immediate}`
   * @throws TypeError for bad options (an unknown key too)
   * @example
   * ```ts
   * import { spawn } from 'verdant';
   * import { Queue } from 'verdant/queue';
   * const q = new Queue<number>();
   * const consumer = spawn(async () => { for await (const n of q) console.log(n); });
   * q.putNowait(1);
   * q.putNowait(2);
   * q.shutdown(); // consumers finish the backlog, then their loops end
   * await consumer.join();
   * ```
   */
  shutdown(options?: ShutdownOptions): void {
    const immediate = readShutdownOptions(options, 'shutdown', this);
    if (immediate) {
      // Clear first: a PriorityQueue's compare calling shutdown() makes clear() throw, and then
      // nothing changed.
      const dropped = this.#store.clear();
      this.#state = SHUT_IMMEDIATE;
      if (dropped > 0) this.#done(dropped);
    } else if (this.#state === OPEN) {
      this.#state = SHUT;
    }
    failAll(this.#getters);
    failAll(this.#putters);
    failAll(this.#peekers);
  }

  /**
   * `<SimpleQueue maxsize=3 qsize=2 getters[1]>`: the class name, then the capacity when bounded
   * and each count that is not zero (gevent's `str(q)` shows the same, with the items).
   */
  toString(): string {
    const s = this.stats();
    return `<${this.constructor.name}${s.maxsize === null ? '' : ` maxsize=${s.maxsize}`}${
      s.size > 0 ? ` qsize=${s.size}` : ''
    }${s.getters > 0 ? ` getters[${s.getters}]` : ''}${s.putters > 0 ? ` putters[${s.putters}]` : ''}${
      s.shutdown ? ' shutdown' : ''
    }>`;
  }

  /** A read-only snapshot of the queue's state. Never switches. */
  stats(): QueueStats {
    return {
      size: this.#store.size,
      maxsize: this.maxsize,
      getters: this.#getters.size,
      putters: this.#putters.size,
      peekers: this.#peekers.size,
      reserved: this.#reserved,
      shutdown: this.#state !== OPEN,
    };
  }

  /**
   * `for await (const item of q)`: `get()` items until the queue is shut down and drained
   * (gevent's `StopIteration` sentinel item becomes `shutdown()`). Each step is a `get()`: a
   * switch point when it waits; a kill or `Timeout` there ends the loop by throwing.
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return new QueueIterator<T>(this);
  }

  /** An item enters the queue (a put completes): to the oldest live getter, else the store. */
  #enter(item: T): void {
    const g = this.#getters.shiftLive();
    if (g !== null) g.wake(item);
    else this.#store.push(item);
    this.#unfinished++;
    if (this.#peekers.size > 0) this.#peekers.wakeAll(item);
  }

  /** A woken getter did not take `item`: to the next live getter, else the store's front. */
  #handBack(item: T): void {
    if (this.#state === SHUT_IMMEDIATE) {
      this.#done(1);
      return;
    }
    const g = this.#getters.shiftLive();
    if (g !== null) {
      g.wake(item);
    } else {
      this.#store.unget(item);
      if (this.#peekers.size > 0) this.#peekers.wakeAll(item);
    }
  }

  /** Let blocked putters in while slots are free, reserving a slot for each. */
  #admit(): void {
    while (this.#putters.size > 0 && this.#store.size + this.#reserved < this.#max) {
      const p = this.#putters.shiftLive();
      if (p === null) return;
      this.#reserved++;
      p.wake(undefined);
    }
  }

  #done(n: number): void {
    this.#unfinished = Math.max(0, this.#unfinished - n);
    if (this.#unfinished === 0 && this.#joiners !== null) this.#joiners.wakeAll(true);
  }

  #taskDone(): void {
    if (this.#unfinished <= 0) {
      throw new RangeError(
        `Cannot mark a task done when none is unfinished: unfinishedTasks is ${this.#unfinished}`,
      );
    }
    this.#done(1);
  }

  #join(options: unknown): Promise<boolean> {
    const err = readWaitOptions(options, 'join', this);
    if (err !== NONE) return rejectWait(err);
    if (this.#unfinished === 0) return Promise.resolve(true);
    if (this.#joiners === null) this.#joiners = new WaitList(this);
    const w = new Waiter<boolean>(this.#joiners, returnFalse);
    this.#joiners.push(w);
    return w.start(waitArgs.timeout, waitArgs.signal);
  }
}

function failAll(list: WaitList): void {
  let w = list.shift();
  while (w !== null) {
    w.wakeError(new QueueShutDown());
    w = list.shift();
  }
}
settleShape(() => new SimpleQueue());

/**
 * The errors of `verdant/queue` and the options types the queue classes share.
 *
 * Design note: these are plain `Error`s (not `Cancellation`s): callers catch them. A `get`/`put`
 * whose `timeout` option elapses throws `QueueEmpty`/`QueueFull`, as gevent's do — not `Timeout`.
 * Tests: test/sync/queue/_conformance.ts ("nowait errors", "timeouts", "shutdown").
 *
 * @module
 */

import { callName, checkOptionKeys } from '../../core/lowlevel.js';

/**
 * Thrown by `getNowait()`/`peekNowait()` on an empty queue, and by `get()`/`peek()` when their
 * `timeout` option elapses before an item arrives.
 *
 * Never switches. Source: gevent's `gevent.queue.Empty` (the standard library's `queue.Empty`).
 *
 * @example
 * ```ts
 * import { Queue, QueueEmpty } from 'verdant/queue';
 * const q = new Queue<number>();
 * try {
 *   q.getNowait();
 * } catch (e) {
 *   if (!(e instanceof QueueEmpty)) throw e;
 * }
 * ```
 */
export class QueueEmpty extends Error {
  constructor(message = 'Queue is empty', options?: ErrorOptions) {
    super(message, options);
    this.name = 'QueueEmpty';
  }
}

/**
 * Thrown by `putNowait()` on a full queue (a `Channel` with no getter waiting), and by `put()`
 * when its `timeout` option elapses before a slot frees.
 *
 * Never switches. Source: gevent's `gevent.queue.Full` (the standard library's `queue.Full`).
 *
 * @example
 * ```ts
 * import { Queue, QueueFull } from 'verdant/queue';
 * const q = new Queue<string>(1);
 * let dropped = 0;
 * for (const job of ['a', 'b']) {
 *   try {
 *     await q.put(job, { timeout: 10 });
 *   } catch (e) {
 *     if (!(e instanceof QueueFull)) throw e;
 *     dropped++;
 *   }
 * }
 * console.log(dropped); // 1
 * ```
 */
export class QueueFull extends Error {
  constructor(message = 'Queue is full', options?: ErrorOptions) {
    super(message, options);
    this.name = 'QueueFull';
  }
}

/**
 * Thrown by every `put`/`putNowait` after `shutdown()`, by `get`/`getNowait`/`peek` once a
 * shut-down queue is drained (at once after `shutdown({immediate: true})`), and into every
 * greenlet that was blocked in `put`, or in `get`/`peek` on an empty queue, when it shut down.
 *
 * Never switches. Source: gevent's `gevent.queue.ShutDown` (Python 3.13's `queue.ShutDown`).
 *
 * @example
 * ```ts
 * import { spawn } from 'verdant';
 * import { Queue, QueueShutDown } from 'verdant/queue';
 * const q = new Queue<string>();
 * const handle = async (job: string) => console.log('handled', job);
 * const worker = spawn(async () => {
 *   for (;;) {
 *     let job: string;
 *     try {
 *       job = await q.get();
 *     } catch (e) {
 *       if (e instanceof QueueShutDown) break;
 *       throw e;
 *     }
 *     await handle(job);
 *   }
 * });
 * q.putNowait('a');
 * q.shutdown();
 * await worker.join();
 * ```
 */
export class QueueShutDown extends Error {
  constructor(message = 'Queue is shut down', options?: ErrorOptions) {
    super(message, options);
    this.name = 'QueueShutDown';
  }
}

/** Options of `shutdown()`. */
export interface ShutdownOptions {
  /**
   * Also drop the items still queued, counting each as done (`taskDone`) so `join()` returns;
   * `get` then throws `QueueShutDown` at once instead of draining. Default false.
   */
  immediate?: boolean;
}

/** Options of the `PriorityQueue` constructor. */
export interface PriorityQueueOptions<T> {
  /**
   * Orders the items: negative when `a` comes out before `b`, positive when after, 0 when they
   * tie (ties come out in the order they were put). Default: `a < b` first.
   */
  compare?: ((a: T, b: T) => number) | null;
}

/** A read-only snapshot of a queue's state (`stats()`). */
export interface QueueStats {
  /** Items in the queue (`qsize()`). */
  size: number;
  /** The capacity, or `null` when unbounded. */
  maxsize: number | null;
  /** Greenlets blocked in `get`. */
  getters: number;
  /** Greenlets blocked in `put`. */
  putters: number;
  /** Greenlets blocked in `peek`. */
  peekers: number;
  /** Putters woken for a freed slot whose item enters when they resume. */
  reserved: number;
  /** Whether `shutdown()` was called. */
  shutdown: boolean;
}

/** A read-only snapshot of a joinable queue's state (`Queue.stats()`). */
export interface JoinableQueueStats extends QueueStats {
  /** Items put and not yet marked done (`unfinishedTasks`). */
  unfinishedTasks: number;
  /** Greenlets blocked in `join`. */
  joiners: number;
}

/** A read-only snapshot of a channel's state (`Channel.stats()`). */
export interface ChannelStats {
  /** Greenlets blocked in `get`. */
  getters: number;
  /** Greenlets blocked in `put` whose item no getter has taken yet. */
  putters: number;
  /** Greenlets blocked in `peek`. */
  peekers: number;
  /** Whether `shutdown()` was called. */
  shutdown: boolean;
}

/** The keys of {@link ShutdownOptions}. */
const SHUTDOWN_KEYS: readonly string[] = ['immediate'];

/** Read `shutdown()`'s options; returns whether `immediate` was asked for. @internal */
export function readShutdownOptions(options: unknown, where: string, owner?: object): boolean {
  if (options === undefined || options === null) return false;
  if (typeof options !== 'object') {
    throw new TypeError(
      `Cannot call ${callName(where, owner)} with options that are not an object: options is ${typeof options}`,
    );
  }
  const unknown = checkOptionKeys(options, SHUTDOWN_KEYS, callName(where, owner));
  if (unknown !== null) throw unknown;
  const immediate = (options as ShutdownOptions).immediate;
  if (immediate !== undefined && immediate !== null && typeof immediate !== 'boolean') {
    throw new TypeError(
      `Cannot call ${callName(where, owner)} with a non-boolean immediate option: immediate is ${typeof immediate}`,
    );
  }
  return immediate === true;
}

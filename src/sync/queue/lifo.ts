/**
 * `LifoQueue`: a joinable queue that returns the most recently put item first — a
 * {@link Queue} whose item store is a stack.
 *
 * @module
 */

import { settleShape } from '../../core/lowlevel.js';
import { Stack } from './_store.js';
import { Queue } from './queue.js';

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
    this._setStore(new Stack<T>());
  }
}
settleShape(() => new LifoQueue());

/**
 * `PriorityQueue`: a joinable queue whose items come out lowest first. It is a {@link Queue}
 * whose item store is a heap (`_store.ts`, whose note says how a throwing `compare` and an item
 * handed back by an interrupted getter are handled).
 *
 * @module
 */

import { checkOptionKeys, settleShape } from '../../core/lowlevel.js';
import { defaultCompare, Heap } from './_store.js';
import type { PriorityQueueOptions } from './errors.js';
import { Queue } from './queue.js';

/** The keys of {@link PriorityQueueOptions}. */
const PRIORITY_KEYS: readonly string[] = ['compare'];

/**
 * A joinable {@link Queue} that returns the lowest item first: ordered with `<` — two arrays
 * element by element, as Python's tuples, so gevent's `(priority, item)` entries work as
 * `[priority, item]` — or by the `compare` option (negative: `a` first). Ties come out in the
 * order they were put. Two values of different kinds (a string, a number, `undefined`/`null`,
 * an array, an object) or two symbols, compared by the default order, make the `put`/`get`
 * that compared them throw a TypeError with the queue unchanged, as Python's `<` does between
 * them (gevent's `put((1, 'a'))` beside a `(1, 2)`, `put({})` beside an int); a `put` is always
 * compared with a stored item, so a queue never holds a number and a string at once. Two
 * arrays are compared only where the heap compares them, as Python's tuples in `heapq`: a
 * `[1, 'a']` may sit beside a `[1, 2]` until a `get` compares them and throws. An item a woken getter was interrupted with goes back to the front (it is the next
 * one got).
 *
 * Concurrency: as {@link Queue}. A `compare` that throws makes the `put`/`get` that called it
 * throw, with the queue unchanged; a `compare` must not change its queue: a put, get or
 * `shutdown({immediate: true})` made from inside it throws an Error and changes nothing (as
 * Python's heapq raises RuntimeError).
 *
 * Source: gevent's `gevent.queue.PriorityQueue` (heap order, lowest first).
 *
 * @typeParam T - the items' type
 * @param maxsize - the capacity; undefined, null or ≤ 0 for unbounded
 * @param options - `{compare}`
 * @throws TypeError for a non-number `maxsize` or a `compare` that is not a function (and from
 *   `put`/`get`, for items the default order cannot compare, above);
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
      const unknown = checkOptionKeys(options, PRIORITY_KEYS, 'Cannot create a PriorityQueue');
      if (unknown !== null) throw unknown;
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
    this._setStore(new Heap<T>(compare as (a: T, b: T) => number));
  }
}
settleShape(() => new PriorityQueue());

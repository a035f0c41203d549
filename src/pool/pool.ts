/**
 * `Pool`: a `Group` with a bounded number of members (the design note is in index.ts).
 *
 * @module
 */
import { settleShape } from '../core/lowlevel.js';
import { Group } from './group.js';

function readSize(size: unknown): number {
  if (size === undefined || size === null) return Number.POSITIVE_INFINITY;
  if (typeof size !== 'number') {
    throw new TypeError(
      `Cannot create a Pool with a size that is not a number, null or undefined: size is ${typeof size}`,
    );
  }
  if (size === Number.POSITIVE_INFINITY) return size;
  if (!Number.isInteger(size) || size < 0) {
    throw new RangeError(
      `Cannot create a Pool of this size: size must be a non-negative integer or null, got ${size}`,
    );
  }
  return size;
}

/**
 * A {@link Group} of at most `size` members: `spawn` waits for a free slot (the back-pressure),
 * `add`/`start` throw {@link PoolFull} instead. A slot frees when the hub removes a dead member
 * (right after its death) or on `discard`. `new Pool()` is unbounded; `new Pool(0)` is always
 * full (only useful with `waitAvailable({timeout})`).
 *
 * Source: `gevent.pool.Pool` (`test__pool.py`).
 * @param size - the capacity (`maxSize`); `null`/`undefined` = unbounded
 * @throws RangeError for a size that is not a non-negative integer (negative, fractional, NaN);
 *   TypeError for a non-number
 * @example
 * ```ts
 * import { sleep } from 'verdant';
 * import { Pool } from 'verdant/pool';
 * const fetchPage = async (url: string) => { await sleep(10); return `<html>${url}</html>`; };
 * const urls = Array.from({ length: 25 }, (_, i) => `/page/${i}`);
 * const pool = new Pool(10);
 * for (const url of urls) await pool.spawn(fetchPage, url); // at most 10 at a time
 * await pool.join();
 * ```
 */
export class Pool extends Group {
  /** The capacity: at most this many members; `null` when unbounded. */
  readonly maxSize: number | null;

  constructor(size?: number | null) {
    const capacity = readSize(size);
    super();
    this.maxSize = capacity === Number.POSITIVE_INFINITY ? null : capacity;
    this._setCapacity(capacity);
  }
}
settleShape(() => new Pool(1));

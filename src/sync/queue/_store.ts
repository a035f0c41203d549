/**
 * Item stores behind the queue classes: a ring-buffer deque (FIFO), a stack (LIFO) and a
 * binary heap (priority). All operations are O(1) or O(log n); none allocates per item once the
 * buffer has grown.
 *
 * Design note — `unget` and a throwing `compare`.
 * - `unget(item)` takes back an item a woken getter was handed but never resumed with (it was
 *   killed or timed out first). It goes back by the store's order: a FIFO takes handed-back
 *   items before every other item, in the order they were handed back (a woken getter hands
 *   back when it is interrupted, so a burst of getters interrupted in the order they were woken
 *   leaves their items at the front in the order they were put); a stack puts it on top; a heap re-inserts it by priority, ahead
 *   of the items of the same priority (it was put before them). Tests:
 *   test/sync/queue/queue.test.ts "interrupted getters hand their items back in order", "an item
 *   handed back by an interrupted getter goes back by priority".
 * - A user `compare` may throw. Every heap operation finds its path with comparisons first and
 *   moves items only afterwards, so a throw leaves the heap unchanged: the `put` or `get` that
 *   called it fails and nothing is lost or duplicated. `unget` never throws: when `compare`
 *   throws for a handed-back item, that item waits in a small FIFO in front of the heap.
 * - A `compare` that changes the queue (a put, get or shutdown from inside it) would move items
 *   while the heap walks them: that change throws an Error (as Python's heapq raises
 *   RuntimeError), the walk goes on unchanged. An item handed back meanwhile (the compare killed
 *   a woken getter) goes to the FIFO in front. Test: test/sync/queue/queue.test.ts "a compare
 *   that changes the queue …".
 *
 * @module
 */

/** What a queue class stores its items in. @internal */
export interface ItemStore<T> {
  /** Number of items stored. */
  readonly size: number;
  /** Store an item a `put` brought. May throw (a user `compare`); then nothing changed. */
  push(item: T): void;
  /** Remove and return the next item (size > 0). May throw; then nothing changed. */
  take(): T;
  /** Return the next item without removing it (size > 0). */
  peek(): T;
  /** Take back an item that a woken getter did not consume: it is taken before the others. Never throws. */
  unget(item: T): void;
  /** Drop every item; returns how many were dropped. */
  clear(): number;
}

const MIN_CAPACITY = 16;
const SHRINK_ABOVE = 1024;

/** A growable ring buffer: O(1) push, take and unget. @internal */
export class Deque<T> implements ItemStore<T> {
  #buf: (T | undefined)[] = new Array(MIN_CAPACITY);
  #mask = MIN_CAPACITY - 1;
  #head = 0;
  #size = 0;
  /** How many items at the front were handed back and not taken since. */
  #front = 0;

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    if (this.#size > this.#mask) this.#resize((this.#mask + 1) * 2);
    this.#buf[(this.#head + this.#size) & this.#mask] = item;
    this.#size++;
  }

  take(): T {
    const i = this.#head;
    const item = this.#buf[i] as T;
    this.#buf[i] = undefined;
    this.#head = (i + 1) & this.#mask;
    this.#size--;
    if (this.#front > 0) this.#front--;
    // Give a burst's memory back once drained (growth is by doubling, so this stays O(1)
    // amortised); a small buffer is kept to avoid churn.
    if (this.#size === 0 && this.#mask >= SHRINK_ABOVE) this.clear();
    return item;
  }

  peek(): T {
    return this.#buf[this.#head] as T;
  }

  unget(item: T): void {
    if (this.#size > this.#mask) this.#resize((this.#mask + 1) * 2);
    const mask = this.#mask;
    const head = (this.#head - 1) & mask;
    const buf = this.#buf;
    // Behind the items handed back before it, in front of everything else.
    const k = this.#front;
    for (let j = 0; j < k; j++) buf[(head + j) & mask] = buf[(head + j + 1) & mask];
    buf[(head + k) & mask] = item;
    this.#head = head;
    this.#size++;
    this.#front++;
  }

  clear(): number {
    const n = this.#size;
    this.#buf = new Array(MIN_CAPACITY);
    this.#mask = MIN_CAPACITY - 1;
    this.#head = 0;
    this.#size = 0;
    this.#front = 0;
    return n;
  }

  #resize(cap: number): void {
    const buf = new Array<T | undefined>(cap);
    for (let k = 0; k < this.#size; k++) buf[k] = this.#buf[(this.#head + k) & this.#mask];
    this.#buf = buf;
    this.#head = 0;
    this.#mask = cap - 1;
  }
}

/** Last in, first out. `unget` puts the item back on top. @internal */
export class Stack<T> implements ItemStore<T> {
  #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  take(): T {
    return this.#items.pop() as T;
  }

  peek(): T {
    return this.#items[this.#items.length - 1] as T;
  }

  unget(item: T): void {
    this.#items.push(item);
  }

  clear(): number {
    const n = this.#items.length;
    this.#items = [];
    return n;
  }
}

/**
 * The default order of a `PriorityQueue`: `<`, as Python's `heapq`, except that two arrays
 * compare element by element (the first unequal pair decides, a prefix comes first), as
 * Python's tuples do: gevent's `(priority, item)` entries become `[priority, item]`, and `<` on
 * two arrays compares their strings, which put `[10, 'x']` before `[9, 'y']`.
 * Values of two kinds — a string, a number (bigint, boolean), `undefined`/`null`, an array,
 * an object (a function) — are a TypeError, and so are two symbols, as Python's `<` between
 * them is (an object beside a number or a string was accepted, so `{}` at the root let a number
 * and a string both in, and every `get` after threw): `<` answered false
 * both ways, so such a pair counted as equal and the heap's order stopped being transitive
 * (`[1, 'a']` beside `[1, 2]` and `[1, 5]` let `[1, 5]` out first). @internal
 */
export function defaultCompare(a: unknown, b: unknown): number {
  return order(a, b, -1);
}

/**
 * What a value is, for the pairs `order` refuses. Every value has one kind (an object is not a
 * wildcard), so "orders with" is transitive across kinds: each `put` compares the new item with
 * one stored item at least (its parent in the heap), so the scalars in a heap are all of one
 * kind and no later `get` meets a pair it cannot order. (Arrays are checked as Python's tuples
 * are, only where a comparison reaches: `[1, 'a']` and `[1, 2]` both get in when the heap never
 * compares them, as with Python's `heapq`, and the `get` that does throws.)
 */
function kindOf(x: unknown): string {
  switch (typeof x) {
    case 'number':
    case 'bigint':
    case 'boolean':
      return 'a number';
    case 'string':
      return 'a string';
    case 'undefined':
      return 'undefined';
    case 'symbol':
      return 'a symbol';
    case 'object':
      return x === null ? 'null' : Array.isArray(x) ? 'an array' : 'an object';
    default:
      return 'an object';
  }
}

/** `undefined` and `null` are both Python's None: equal to each other, as `None == None`. */
function isNone(kind: string): boolean {
  return kind === 'undefined' || kind === 'null';
}

/** `defaultCompare` of two values, `at` their index in the arrays being compared (or -1). */
function order(a: unknown, b: unknown, at: number): number {
  if (typeof a !== 'number' || typeof b !== 'number') {
    if (Array.isArray(a) && Array.isArray(b)) return compareArrays(a, b);
    const ka = kindOf(a);
    const kb = kindOf(b);
    if ((ka !== kb && !(isNone(ka) && isNone(kb))) || ka === 'a symbol') {
      throw new TypeError(
        `PriorityQueue: cannot order ${ka} and ${kb}${at < 0 ? '' : ` (at index ${at} of two arrays)`}: ` +
          "Python's < refuses them too; keep one type in each place, or pass a compare option",
      );
    }
  }
  const x = a as number;
  const y = b as number;
  return x < y ? -1 : y < x ? 1 : 0;
}

function compareArrays(a: readonly unknown[], b: readonly unknown[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = order(a[i], b[i], i);
    if (c !== 0) return c;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/**
 * A user `compare` changed the queue it is ordering. Python's heapq raises RuntimeError ('list
 * changed size during iteration'); here the heap moved items while the compare re-entered it,
 * losing some and duplicating others.
 */
function reentered(what: string): never {
  throw new Error(
    `Cannot change a PriorityQueue from its own compare: ${what} while it orders the items`,
  );
}

/** Scratch for the path a sift-down takes (a heap of 2^53 items is 53 deep). */
const path: number[] = [];

/**
 * A binary min-heap ordered by `compare`, ties broken by arrival order (stable); handed-back
 * items go back by priority, ahead of their ties. @internal
 */
export class Heap<T> implements ItemStore<T> {
  #items: T[] = [];
  #seqs: number[] = [];
  #seq = 0;
  /** Arrival numbers of handed-back items: below every put, in hand-back order. */
  #backSeq = -Number.MAX_SAFE_INTEGER;
  #compare: (a: T, b: T) => number;
  #front: Deque<T> | null = null;
  /** A compare is running: the heap's arrays are mid-walk and must not change under it. */
  #busy = false;

  constructor(compare: (a: T, b: T) => number) {
    this.#compare = compare;
  }

  get size(): number {
    return this.#items.length + (this.#front === null ? 0 : this.#front.size);
  }

  /** Whether the item at `i` comes out before `item` (arrival `seq`). */
  #before(i: number, item: T, seq: number): boolean {
    const c = this.#compare(this.#items[i] as T, item);
    if (typeof c !== 'number' || Number.isNaN(c)) {
      throw new TypeError(
        `Cannot order a PriorityQueue with a compare that returned a non-number: it returned ${String(c)}`,
      );
    }
    return c < 0 || (c === 0 && (this.#seqs[i] as number) < seq);
  }

  push(item: T): void {
    if (this.#busy) reentered('put');
    this.#busy = true;
    try {
      this.#insert(item, this.#seq);
    } finally {
      this.#busy = false;
    }
    this.#seq++;
  }

  #insert(item: T, seq: number): void {
    const items = this.#items;
    const seqs = this.#seqs;
    // Find the slot first: a throwing compare leaves the heap as it was.
    let i = items.length;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.#before(p, item, seq)) break;
      i = p;
    }
    let j = items.length;
    items.push(item);
    seqs.push(seq);
    while (j > i) {
      const p = (j - 1) >> 1;
      items[j] = items[p] as T;
      seqs[j] = seqs[p] as number;
      j = p;
    }
    items[i] = item;
    seqs[i] = seq;
  }

  take(): T {
    if (this.#busy) reentered('get');
    const front = this.#front;
    if (front !== null && front.size > 0) return front.take();
    this.#busy = true;
    try {
      return this.#takeTop();
    } finally {
      this.#busy = false;
    }
  }

  #takeTop(): T {
    const items = this.#items;
    const seqs = this.#seqs;
    const top = items[0] as T;
    const m = items.length - 1;
    if (m === 0) {
      items.pop();
      seqs.pop();
      return top;
    }
    const last = items[m] as T;
    const lastSeq = seqs[m] as number;
    // Walk down from the root with comparisons only, then move.
    let depth = 0;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= m) break;
      const r = l + 1;
      let c = l;
      if (r < m && this.#before(r, items[l] as T, seqs[l] as number)) c = r;
      if (!this.#before(c, last, lastSeq)) break;
      path[depth++] = c;
      i = c;
    }
    items.pop();
    seqs.pop();
    let hole = 0;
    for (let k = 0; k < depth; k++) {
      const c = path[k] as number;
      items[hole] = items[c] as T;
      seqs[hole] = seqs[c] as number;
      hole = c;
    }
    items[hole] = last;
    seqs[hole] = lastSeq;
    return top;
  }

  peek(): T {
    const front = this.#front;
    if (front !== null && front.size > 0) return front.peek();
    return this.#items[0] as T;
  }

  unget(item: T): void {
    if (!this.#busy) {
      this.#busy = true;
      try {
        this.#insert(item, this.#backSeq);
        this.#backSeq++;
        return;
      } catch {
        // A throwing compare cannot place it: keep it in front rather than lose it.
      } finally {
        this.#busy = false;
      }
    }
    // Also when a compare running now made a woken getter hand its item back (it killed it):
    // the front queue is not the heap being walked.
    if (this.#front === null) this.#front = new Deque<T>();
    this.#front.push(item);
  }

  clear(): number {
    if (this.#busy) reentered('shutdown');
    const n = this.size;
    this.#items = [];
    this.#seqs = [];
    this.#front = null;
    return n;
  }
}

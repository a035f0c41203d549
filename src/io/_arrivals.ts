/**
 * The arrival queue every socket machine waits on: a FIFO of {@link Waiter}s for something Node
 * delivers — bytes (`StreamIO`), a connection (`ListenerIO`), a datagram (`DatagramIO`), a
 * `'drain'` (a stream's writers). A machine *is* its readers' queue (it extends this class: one
 * object less per connection) and says in {@link Arrivals.handBack} where an interrupted
 * waiter's item goes. A machine also keeps its readiness watchers (`waitRead`, `select`): in a
 * field ({@link Watched}), or with a stream's rarely used state.
 *
 * Design note — the I/O count and nothing lost.
 * - Every parked wait counts as I/O in flight (`ioStarted`) until it is woken ({@link
 *   Arrivals.deliver}, {@link Arrivals.failAll}) or interrupted (`abortWait`): each path calls
 *   `ioEnded` exactly once, so `wait()` and the virtual clock see the hub busy exactly as long.
 * - A waiter is woken *holding* its item. When a kill, `Timeout`, the `timeout` option or a
 *   signal lands before it resumes, `abortWait(w, true)` passes the item to `handBack`, which puts
 *   it back at the head of the machine's buffer (or gives it to the next waiter).
 * - Waiters come from the free list (`obtainWaiter`): the queue drops a waiter as soon as it
 *   wakes or aborts it.
 * Tests: test/io/stream.conformance.ts ("a recv woken by bytes and killed before it resumes
 * loses nothing…"), test/io/listener.test.ts ("an accept woken by a connection and killed
 * before it resumes loses nothing"), test/io/udp.test.ts ("a kill lands at recvfrom; a recvfrom
 * woken and killed before it resumes loses no datagram").
 *
 * @module
 */
import { ioEnded, ioStarted, obtainWaiter, type Waiter, WaitList } from '../core/lowlevel.js';
import { throwSocketTimeout } from './_errors.js';

/** Call every readiness watcher in `ws` (a copy: a watcher may remove itself). @internal */
export function notifyAll(ws: Set<() => void> | null): void {
  if (ws === null || ws.size === 0) return;
  for (const cb of [...ws]) cb();
}

/** A FIFO of waits for items of type `T`, counted as I/O in flight. @internal */
export class Arrivals<T> extends WaitList {
  /**
   * Where the item an interrupted waiter held goes (back to the head of the buffer, or to the
   * next waiter). The default drops it (a `'drain'` carries nothing).
   */
  handBack(_item: T, _w: Waiter): void {}

  /**
   * Park the current greenlet until {@link Arrivals.deliver} (or {@link Arrivals.failAll});
   * `data` is kept in `w.data` (what the waiter asks for). The timeout rejects with
   * SocketTimeout.
   */
  park<R = T>(timeout: number | null, signal: AbortSignal | null, data?: unknown): Promise<R> {
    const w = obtainWaiter<R>(this, throwSocketTimeout);
    w.data = data;
    this.push(w);
    ioStarted(w.hub);
    return w.start(timeout, signal);
  }

  /** The oldest waiter no kill or timeout has marked, left in the queue, or null. */
  peekLive(): Waiter | null {
    let w = this.first;
    while (w?.cancelled) w = w.next;
    return w;
  }

  /**
   * Wake `w` (taken with {@link Arrivals.peekLive}) holding `item`, from a Node callback of the
   * loop: it resumes at once when the hub is free (`Waiter.wakeNow`).
   */
  wakeWith(w: Waiter, item: unknown): void {
    this.remove(w);
    ioEnded(w.hub);
    w.wakeNow(item);
  }

  /** Wake the oldest live waiter holding `item`; false when none waits. */
  deliver(item: T): boolean {
    const w = this.shiftLive();
    if (w === null) return false;
    ioEnded(w.hub);
    w.wake(item);
    return true;
  }

  /** Wake every waiter with `err` (a close, the socket's error). */
  failAll(err: Error | (() => Error)): void {
    for (let w = this.shift(); w !== null; w = this.shift()) {
      ioEnded(w.hub);
      w.wakeError(typeof err === 'function' ? err() : err);
    }
  }

  override abortWait(w: Waiter, held: boolean): void {
    if (!held) {
      this.remove(w);
      ioEnded(w.hub);
      return;
    }
    this.handBack(w.value as T, w);
  }
}

/**
 * An {@link Arrivals} that keeps its readiness watchers (`waitRead`, `select`) in a field: a
 * listener's and a UDP socket's machine. A stream keeps them with its other rarely used state.
 * @internal
 */
export class Watched<T> extends Arrivals<T> {
  /** Readiness watchers (waitRead, waitWrite, select): called on every change. */
  watchers: Set<() => void> | null = null;

  /** Tell the readiness watchers that something changed. */
  notify(): void {
    notifyAll(this.watchers);
  }
}

/**
 * A {@link Watched} queue with a buffer of items that came while nobody waited: a listener's
 * backlog of connections (`ListenerIO`), a UDP socket's queue of datagrams (`DatagramIO`).
 * - {@link Backlog.offer} gives a new item to the oldest live waiter, else buffers it (up to
 *   {@link Backlog.limit}; beyond that it is {@link Backlog.discard}ed, as a full kernel buffer
 *   drops it). After `close()` every item offered is discarded.
 * - An interrupted waiter's item goes back to the head of the buffer (`handBack`), behind those
 *   handed back before it (`#back`): waiters woken together and killed together leave their
 *   items in the order they came (each went to the front, reversing them; found by the breaker).
 * - {@link Backlog.fail}: an error Node reports while the socket goes on (a failed accept, a
 *   failed receive) goes to the oldest live waiter, else is kept for the next call (once, as
 *   Python's `accept`/`recvfrom` raises it once and the next call tries again).
 * @internal
 */
export class Backlog<T> extends Watched<T> {
  /** Items no waiter took yet, oldest first. */
  readonly items: T[] = [];
  /** How many items at the head of {@link Backlog.items} interrupted waiters handed back. */
  #back = 0;
  closed = false;
  /** An error no call was told of yet ({@link Backlog.fail}); see {@link Backlog.takeError}. */
  error: Error | null = null;
  /** Items kept unread before new ones are discarded. */
  readonly limit: number;

  constructor(limit = Number.POSITIVE_INFINITY) {
    super();
    this.limit = limit;
  }

  /** What happens to an item nobody takes (the buffer is full, or closed). Default: dropped. */
  discard(_item: T): void {}

  /** The oldest buffered item, taken; undefined when there is none. */
  take(): T | undefined {
    const item = this.items.shift();
    if (this.#back > 0) this.#back--;
    return item;
  }

  /** The error to report to this call (then forgotten), or null. */
  takeError(): Error | null {
    const e = this.error;
    this.error = null;
    return e;
  }

  /** An interrupted waiter's item goes back to the head of the buffer (or to the next waiter). */
  override handBack(item: T): void {
    this.offer(item, true);
  }

  /** A new item (or one an interrupted waiter handed back, `front`). */
  offer(item: T, front = false): void {
    if (this.closed) {
      this.discard(item);
      return;
    }
    if (this.deliver(item)) return;
    if (front) this.items.splice(this.#back++, 0, item);
    else if (this.items.length < this.limit) this.items.push(item);
    else {
      this.discard(item);
      return;
    }
    this.notify();
  }

  /** Node reported `err` and goes on: the oldest live waiter gets it, else the next call. */
  fail(err: Error): void {
    const w = this.shiftLive();
    if (w !== null) {
      ioEnded(w.hub);
      w.wakeError(err);
    } else if (this.error === null) this.error = err;
    this.notify();
  }

  /** Whether a call would complete at once (an item, an error, or closed). */
  get readable(): boolean {
    return this.items.length > 0 || this.closed || this.error !== null;
  }

  /**
   * Mark closed and empty the buffer, returning what it held; the caller fails the waiters
   * (with its own error) and notifies.
   */
  shut(): T[] {
    this.closed = true;
    this.#back = 0;
    return this.items.splice(0);
  }
}

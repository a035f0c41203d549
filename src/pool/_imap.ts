/**
 * The iterator behind `Group.imap` / `Group.imapUnordered` (internal: `verdant/pool` exports only
 * its type, {@link IMapIterator}).
 *
 * Design note — who does what, and why nothing is lost.
 * - A *feeder* greenlet (not a member of the group, as gevent's `IMap` greenlet) walks the input
 *   (sync or async) and starts one call per item through the group's `spawn`, so a `Pool`'s size
 *   bounds the calls running. With `maxsize` it first takes a *permit*: one per call, given back
 *   when the consumer takes that call's result, so calls running + results not yet consumed never
 *   exceed `maxsize` and a slow consumer holds back new calls, not only their results (gevent
 *   gives the permit back per `next()` call; verdant per result consumed). The permits are the
 *   permit engine's (`sync/_permits.ts`), shared with semaphores and pool slots (test:
 *   test/sync/permits.property.test.ts).
 * - Each call gets a (non-quiet) link: the iterator listens; a failure is thrown by `next()` at
 *   its position, and the iterator goes on. It is also reported (to `getHub().exceptionStream`,
 *   as a greenlet's) unless a `next()` is already waiting for that very result when the call
 *   dies — gevent's hub reports every failed call; without the report, an iteration abandoned
 *   unread lost its failures unseen (test: test/pool/imap.test.ts "an iteration abandoned unread
 *   reports its failed call once"). Likewise an error of the input.
 *   Ordered: calls sit in a FIFO in input order, the consumer takes the head once it is dead.
 *   Unordered: a call enters the FIFO when it dies (completion order).
 * - A `next()` that waits takes nothing when it is woken: it looks again when it resumes. So a
 *   `next()` woken and then killed (or timed out) before it resumes consumes nothing, and the wake
 *   is handed to the next waiting consumer (tests: test/pool/imap.test.ts "a next() woken then killed before it resumes leaves
 *   the result to the next consumer").
 * - A failure thrown by `next()` pauses the feeder: no new call starts until `next()` is called
 *   again, so a `for await` that the failure ended (it does not call `return()`) leaves only the
 *   calls already running (test: test/pool/imap.test.ts "a for await ended by a failure starts
 *   no new call").
 * - `return()` (a `break` out of `for await`) kills the feeder and every call still running,
 *   drops the results not consumed and waits for them to die: nothing it started outlives it.
 *
 * @module
 */

import { joinAll } from '../core/api.js';
import { GreenletExit } from '../core/errors.js';
import { Greenlet } from '../core/greenlet.js';
import { getHub } from '../core/hub.js';
import {
  checkOptionKeys,
  NONE,
  noteCompletedAtOnce,
  readWaitOptions,
  rejectWait,
  throwTimeout,
  Waiter,
  WaitList,
  type WaitOptions,
  type WaitOwner,
  waitArgs,
} from '../core/lowlevel.js';
import { Permits } from '../sync/_permits.js';

/** Options of `Group.imap` and `Group.imapUnordered`. */
export interface IMapOptions {
  /**
   * At most this many calls running or holding a result the consumer has not taken yet;
   * `null`, `undefined` or `0` = no bound (as gevent).
   */
  maxsize?: number | null;
}

/**
 * The async iterator `Group.imap` / `Group.imapUnordered` return: iterate it with `for await`.
 * `next()` waits (a switch point: kill and `Timeout` land there, consuming nothing) until the
 * next result is ready; a failed call throws its error at its position, and the iterator can go
 * on. `return()` (what `break` calls) kills what the iterator started and waits for it to die.
 */
export interface IMapIterator<T> extends AsyncIterableIterator<T, undefined, undefined> {
  /**
   * Wait for the next result.
   * @param options - `{timeout, signal}` or a timeout in ms (`for await` passes none); on
   *   timeout it throws a `Timeout` and consumes nothing
   */
  next(options?: WaitOptions | number | null): Promise<IteratorResult<T, undefined>>;
  /** Stop: kill the calls still running and the feeder, drop unconsumed results, wait for them. */
  return(): Promise<IteratorResult<T, undefined>>;
  /** The iterator itself, so `for await` can use it. */
  [Symbol.asyncIterator](): IMapIterator<T>;
}

/** What the iterator needs of its group to start calls. @internal */
export interface CallGroup {
  spawn(fn: (item: unknown) => unknown, item: unknown): Promise<Greenlet>;
  full(): boolean;
  waitAvailable(): Promise<number>;
}

/** An error of the input iterable, delivered at its position. */
class InputFailure {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}

type Entry = Greenlet | InputFailure;

const DONE: Promise<IteratorResult<never, undefined>> = Promise.resolve({
  done: true,
  value: undefined,
});

/**
 * Report a call's failure that no waiting `next()` takes: as a greenlet nobody waits on, it is
 * written to `getHub().exceptionStream` (and still thrown by `next()` at its position later).
 * gevent reports every failed call, read or not; verdant spares the ones a waiting `next()`
 * throws, and reports the ones of an iteration abandoned unread, which went unseen.
 */
function reportFailure(g: Greenlet): void {
  getHub().reportError(g.exception, String(g));
}

function feed(it: IMapIteratorImpl<unknown>, iterable: unknown): Promise<void> {
  return it._feed(iterable);
}

function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return (
    x !== null &&
    (typeof x === 'object' || typeof x === 'function') &&
    typeof (x as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  );
}

/** Whether `x` can be given to `imap`/`map`: a sync or an async iterable. @internal */
export function isAnyIterable(x: unknown): boolean {
  if (x === null || x === undefined) return false;
  if (typeof x === 'string') return true;
  return (
    (typeof x === 'object' || typeof x === 'function') &&
    (typeof (x as Iterable<unknown>)[Symbol.iterator] === 'function' || isAsyncIterable(x))
  );
}

/** The keys of {@link IMapOptions}. */
const IMAP_KEYS: readonly string[] = ['maxsize'];

/**
 * Check `maxsize`; returns the number of permits (Infinity when unbounded).
 * @internal
 */
export function readMaxsize(options: unknown, where: string): number {
  if (options === undefined || options === null) return Number.POSITIVE_INFINITY;
  if (typeof options !== 'object') {
    throw new TypeError(
      `Cannot call ${where} with options that are not an object: options is ${typeof options}`,
    );
  }
  const unknown = checkOptionKeys(options, IMAP_KEYS, where);
  if (unknown !== null) throw unknown;
  const m = (options as IMapOptions).maxsize;
  if (m === undefined || m === null || m === 0) return Number.POSITIVE_INFINITY;
  if (typeof m !== 'number') {
    throw new TypeError(
      `Cannot call ${where} with a maxsize that is not a number: maxsize is ${typeof m}`,
    );
  }
  if (!Number.isInteger(m) || m < 0) {
    throw new RangeError(
      `Cannot call ${where} with a maxsize that is not a non-negative integer: maxsize is ${m}`,
    );
  }
  return m;
}

/** A growable ring buffer: O(1) push, shift and peek. */
class Deque<T> {
  #buf: (T | undefined)[] = new Array(16);
  #mask = 15;
  #head = 0;
  length = 0;

  push(x: T): void {
    if (this.length > this.#mask) this.#grow();
    this.#buf[(this.#head + this.length) & this.#mask] = x;
    this.length++;
  }

  peek(): T | undefined {
    return this.length === 0 ? undefined : this.#buf[this.#head];
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const x = this.#buf[this.#head];
    this.#buf[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.length--;
    return x;
  }

  /** Remove everything; returns what was there, oldest first. */
  drain(): T[] {
    const out: T[] = [];
    for (let x = this.shift(); x !== undefined; x = this.shift()) out.push(x);
    return out;
  }

  #grow(): void {
    const cap = this.#mask + 1;
    const buf = new Array<T | undefined>(cap * 2);
    for (let k = 0; k < this.length; k++) buf[k] = this.#buf[(this.#head + k) & this.#mask];
    this.#buf = buf;
    this.#head = 0;
    this.#mask = cap * 2 - 1;
  }
}

/**
 * The implementation of {@link IMapIterator}.
 * @internal
 */
export class IMapIteratorImpl<T> implements IMapIterator<T> {
  readonly #group: CallGroup;
  readonly #fn: (item: unknown) => unknown;
  readonly #ordered: boolean;
  /** Ordered: every call not consumed yet, in input order. Unordered: dead calls, in death order. */
  readonly #fifo = new Deque<Entry>();
  /** Unordered only: calls started and not dead yet. */
  readonly #running = new Set<Greenlet>();
  readonly #consumers = new WaitList();
  readonly #feeder: Greenlet;
  #feeding = true;
  #closed = false;
  /** A failure was thrown by `next()`: the feeder starts no call until the next `next()`. */
  #paused = false;
  #resume: Waiter | null = null;
  /** `maxsize`: one permit per call running or holding an unconsumed result. */
  readonly #permits: Permits;

  readonly #consumerOwner: WaitOwner = {
    abortWait: (w: Waiter, held: boolean): void => {
      if (!held) this.#consumers.remove(w);
      else if (this.#hasNews()) this.#wakeOne();
    },
  };

  constructor(
    group: CallGroup,
    fn: (item: unknown) => unknown,
    iterable: unknown,
    ordered: boolean,
    permits: number,
  ) {
    this.#group = group;
    this.#fn = fn;
    this.#ordered = ordered;
    this.#permits = new Permits(permits);
    this.#feeder = Greenlet.spawn(feed, this as IMapIteratorImpl<unknown>, iterable);
  }

  [Symbol.asyncIterator](): IMapIterator<T> {
    return this;
  }

  /** The feeder's body. @internal */
  async _feed(iterable: unknown): Promise<void> {
    try {
      if (isAsyncIterable(iterable)) {
        for await (const item of iterable) {
          if (!(await this.#startCall(item))) break;
        }
      } else {
        for (const item of iterable as Iterable<unknown>) {
          if (!(await this.#startCall(item))) break;
        }
      }
    } catch (err) {
      // An error of the input (or the feeder killed by someone else): thrown at its position.
      if (!this.#closed) {
        // Reported too unless a next() is waiting for it (gevent's IMap greenlet fails, and the
        // hub prints it); a kill of the feeder (GreenletExit) is not a failure.
        if (
          !(err instanceof GreenletExit) &&
          !(this.#fifo.length === 0 && this.#consumers.size > 0)
        ) {
          getHub().reportError(err, String(this.#feeder));
        }
        this.#fifo.push(new InputFailure(err));
        this.#wakeOne();
      }
    } finally {
      this.#feeding = false;
      this.#consumers.wakeAll(true);
    }
  }

  /** Take a permit, start one call. Resolves false once the iterator is closed. */
  async #startCall(item: unknown): Promise<boolean> {
    // Wait for a free slot without taking it, so that a failure delivered meanwhile still
    // holds the call back; then spawn takes the slot without waiting.
    for (;;) {
      while (this.#paused && !this.#closed) {
        const w = new Waiter(null, null);
        this.#resume = w;
        await w.start(null, null);
      }
      if (this.#closed) return false;
      if (!this.#group.full()) break;
      await this.#group.waitAvailable();
    }
    if (!this.#permits.tryTake()) {
      await this.#permits.wait(true, null, null, null);
      if (this.#closed) return false;
    }
    const g = await this.#group.spawn(this.#fn, item);
    if (this.#closed) {
      void g.kill({ block: false });
      return false;
    }
    g.rawlink(this.#onResult);
    if (this.#ordered) this.#fifo.push(g);
    else this.#running.add(g);
    return true;
  }

  readonly #onResult = (g: Greenlet): void => {
    if (this.#closed) {
      // Killed by return(): a call that failed while dying (a finally that throws) is read by
      // nobody now; report it, as Group.kill does.
      if (!g.successful()) reportFailure(g);
      return;
    }
    if (this.#ordered) {
      const next = this.#fifo.peek() === g;
      if (!g.successful() && !(next && this.#consumers.size > 0)) reportFailure(g);
      if (next) this.#wakeOne();
      return;
    }
    if (!g.successful() && this.#consumers.size <= this.#fifo.length) reportFailure(g);
    this.#running.delete(g);
    this.#fifo.push(g);
    this.#wakeOne();
  };

  #unpause(): void {
    this.#paused = false;
    const w = this.#resume;
    if (w !== null) {
      this.#resume = null;
      w.wake(true);
    }
  }

  #wakeOne(): void {
    const w = this.#consumers.shift();
    if (w !== null) w.wake(true);
  }

  /** Whether a waiting consumer would find something (a result, or the end). */
  #hasNews(): boolean {
    const head = this.#fifo.peek();
    if (head !== undefined) return head instanceof InputFailure || head.dead;
    return this.#closed || (!this.#feeding && this.#running.size === 0);
  }

  /** Take the next result if one is ready: a settled promise, or null to wait. */
  #take(): Promise<IteratorResult<T, undefined>> | null {
    if (this.#closed) return DONE;
    const head = this.#fifo.peek();
    if (head === undefined) {
      return !this.#feeding && this.#running.size === 0 ? DONE : null;
    }
    let out: Promise<IteratorResult<T, undefined>>;
    if (head instanceof InputFailure) {
      out = Promise.reject(head.error);
    } else if (head.dead) {
      this.#permits.release();
      if (head.successful()) {
        noteCompletedAtOnce();
        out = Promise.resolve({ done: false, value: head.value as T });
      } else {
        out = Promise.reject(head.exception);
        // Pause unless another next() is already waiting (it goes on).
        if (this.#consumers.size === 0) this.#paused = true;
      }
    } else {
      return null;
    }
    this.#fifo.shift();
    // Another consumer may be waiting for what is ready behind it.
    if (this.#consumers.size > 0 && this.#hasNews()) this.#wakeOne();
    return out;
  }

  next(options?: WaitOptions | number | null): Promise<IteratorResult<T, undefined>> {
    const err = readWaitOptions(options, 'imap next');
    if (err !== NONE) return rejectWait(err);
    if (this.#paused) this.#unpause();
    const r = this.#take();
    if (r !== null) return r;
    return this.#waitNext(waitArgs.timeout, waitArgs.signal);
  }

  async #waitNext(
    timeout: number | null,
    signal: AbortSignal | null,
  ): Promise<IteratorResult<T, undefined>> {
    const deadline = timeout === null ? null : getHub().now() + timeout;
    for (;;) {
      const w = new Waiter<boolean>(this.#consumerOwner, throwTimeout);
      this.#consumers.push(w);
      await w.start(deadline === null ? null : Math.max(0, deadline - getHub().now()), signal);
      const r = this.#take();
      if (r !== null) return r;
    }
  }

  async return(): Promise<IteratorResult<T, undefined>> {
    if (this.#closed) return DONE;
    this.#closed = true;
    const victims: Greenlet[] = [this.#feeder];
    for (const e of this.#fifo.drain()) {
      if (!(e instanceof InputFailure) && !e.dead) victims.push(e);
    }
    for (const g of this.#running) victims.push(g);
    this.#running.clear();
    for (const g of victims) void g.kill({ block: false });
    this.#consumers.wakeAll(true);
    await joinAll(victims);
    return DONE;
  }
}

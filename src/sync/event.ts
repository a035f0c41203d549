/**
 * `Event` and `AsyncResult`: a flag and a one-shot value that greenlets wait for.
 *
 * Design note — who gets woken, and when.
 * - `set()` never switches. It shifts every pending wait off the event's {@link WaitList} and
 *   wakes it with `true`; the hub resumes them later, one at a time, in the order they waited.
 *   The decision is taken at `set()`: a waiter woken there returns `true` even if `clear()` runs
 *   before it resumes (gevent's `TestEvent_SetThenClear`; the webchat idiom `set(); clear()`
 *   wakes every current waiter). Tests: test/sync/event.test.ts "set() then clear() …".
 * - Nothing is lost: every waiter is woken, so a woken waiter that is killed before it resumes
 *   holds nothing the others need (test "nothing lost: a woken waiter killed before it resumes …").
 * - Links (`rawlink`) stay until `unlink`. Each `set()` queues one hub callback per link, in link
 *   order, so they run later from the hub, after the waiters woken by that `set()`. A link added
 *   while the event is set is queued at once for itself alone. A link removed before its turn
 *   does not run. This is what core's `wait()`/`iwait()` rely on (they unlink after the first
 *   call). Tests: "rawlink() …".
 * - Hot path (the switch benchmark is `x.set(); await y.wait(); y.clear()`): `wait()` makes one
 *   {@link Waiter} and no closure; `set()` only walks the wait list, and touches links only when
 *   there are some. A `wait()` on a set event returns an already-resolved promise: awaiting it
 *   lets no other greenlet run.
 *
 * @module
 */

import {
  NONE,
  noteCompletedAtOnce,
  obtainWaiter,
  readWaitOptions,
  rejectWait,
  returnFalse,
  returnUndefined,
  settleShape,
  throwTimeout,
  Waiter,
  WaitList,
  type WaitOptions,
  waitArgs,
} from '../core/lowlevel.js';
import { Timeout } from '../core/timeout.js';
import { checkCallback, checkNoArgs, Links } from './_links.js';

const RESOLVED_TRUE: Promise<boolean> = Promise.resolve(true);
const RESOLVED_UNDEFINED: Promise<undefined> = Promise.resolve(undefined);

/** A read-only snapshot of an {@link Event}. */
export interface EventStats {
  /** Whether the flag is set. */
  readonly set: boolean;
  /** Greenlets blocked in `wait()`. */
  readonly waiters: number;
  /** Callbacks registered with `rawlink`. */
  readonly links: number;
}

/**
 * A flag greenlets can wait for: `wait()` blocks until another greenlet calls `set()`.
 *
 * Concurrency: `set()`, `clear()`, `isSet()`, `rawlink()` and `unlink()` never switch. `set()`
 * wakes every waiter; they resume later, from the hub, in the order they waited, and each
 * returns `true` even if the event was cleared again before it ran. `wait()` is a switch point
 * unless the event is set; kill and `Timeout` land there.
 *
 * Source: `gevent.event.Event` (`test__event.py`).
 *
 * @example
 * ```ts
 * import { Event, sleep, spawn } from 'verdant';
 * const ready = new Event();
 * spawn(async () => { await sleep(10); ready.set(); });
 * console.log(await ready.wait()); // true
 * ```
 */
export class Event {
  #flag = false;
  readonly #waiters = new WaitList(this);
  #links: Links | null = null;

  /**
   * A clear event.
   * @throws TypeError when given an argument (gevent's `Event(True)` raises TypeError; verdant
   *   ignored it and made a clear event)
   */
  constructor(...args: []) {
    checkNoArgs(args.length, new.target.name);
  }

  /**
   * Set the flag and wake every greenlet waiting for it. Never switches: they resume later, in
   * the order they waited, and so do the `rawlink` callbacks (one call per link per `set()`).
   */
  set(): void {
    this.#flag = true;
    if (this.#waiters.size > 0) this.#waiters.wakeAll(true);
    if (this.#links !== null && this.#links.size > 0) this.#links.notify();
  }

  /** Reset the flag: later `wait()` calls block until the next `set()`. Never switches. */
  clear(): void {
    this.#flag = false;
  }

  /** Whether the flag is set. Never switches. */
  isSet(): boolean {
    return this.#flag;
  }

  /** Same as {@link Event.isSet} (the linkable protocol of `wait()`/`iwait()`). */
  ready(): boolean {
    return this.#flag;
  }

  /**
   * Wait until the flag is set.
   *
   * A switch point unless the flag is set already (then it resolves at once and lets no other
   * greenlet run). Kill and `Timeout` land here. A waiter woken by `set()` returns `true` even
   * if `clear()` ran before it resumed.
   * @param options - `{timeout, signal}` or a timeout in ms
   * @returns true once set; false when `timeout` elapsed first
   * @throws TypeError/RangeError for bad options (an unknown key too), `signal.reason` when aborted (rejects)
   * @example
   * ```ts
   * import { Event } from 'verdant';
   * const event = new Event();
   * if (!(await event.wait({ timeout: 10 }))) console.log('not set within 10 ms');
   * ```
   */
  wait(options?: WaitOptions | number | null): Promise<boolean> {
    const err = readWaitOptions(options, 'wait', this);
    if (err !== NONE) return rejectWait(err);
    if (this.#flag) {
      noteCompletedAtOnce();
      return RESOLVED_TRUE;
    }
    const w = obtainWaiter<boolean>(this.#waiters, returnFalse);
    this.#waiters.push(w);
    return w.start(waitArgs.timeout, waitArgs.signal);
  }

  /**
   * Call `cb(this)` from the hub at every `set()`, in link order, until {@link Event.unlink}
   * removes it. Linked while the event is set, it is called once soon (also from the hub).
   * Never switches; `cb` must not wait. A `cb` that throws is reported by the hub.
   * @throws TypeError when `cb` is not a function
   */
  rawlink(cb: (event: this) => unknown): void {
    checkCallback(cb, 'rawlink', this);
    if (this.#links === null) this.#links = new Links(this, false);
    this.#links.add(cb as (t: never) => unknown, this.#flag);
  }

  /** Remove every link of `cb` (nothing if it is not linked). Never switches. */
  unlink(cb: (event: this) => unknown): void {
    this.#links?.remove(cb);
  }

  /** A read-only snapshot: the flag, the waiters and the links. Never switches. */
  stats(): EventStats {
    return {
      set: this.#flag,
      waiters: this.#waiters.size,
      links: this.#links === null ? 0 : this.#links.size,
    };
  }

  /** `<Event set>` or `<Event clear>`. */
  toString(): string {
    return `<${this.constructor.name} ${this.#flag ? 'set' : 'clear'}>`;
  }
}

const ST_UNSET = 0;
const ST_VALUE = 1;
const ST_EXCEPTION = 2;

/** `Waiter.data` of an `AsyncResult.get()` wait (the others are `wait()`s). */
const KIND_GET = 1;

/** A read-only snapshot of an {@link AsyncResult}. */
export interface AsyncResultStats {
  /** Whether a value or an exception is set. */
  readonly ready: boolean;
  /** Whether a value is set (not an exception). */
  readonly successful: boolean;
  /** Greenlets blocked in `get()` or `wait()`. */
  readonly waiters: number;
  /** Callbacks registered with `rawlink`. */
  readonly links: number;
}

/**
 * A value or an exception that arrives later: greenlets block in `get()` until another one
 * calls `set(value)` or `setException(err)`.
 *
 * Concurrency: `set()`, `setException()`, `getNowait()`, `rawlink()` and `unlink()` never
 * switch; the waiters they wake resume later, from the hub, in the order they waited. `get()`
 * and `wait()` are switch points unless the result is ready; kill and `Timeout` land there.
 * Setting again overwrites (as gevent): the last `set()` or `setException()` wins, and a waiter
 * resumes with what was set when it was woken.
 *
 * Source: `gevent.event.AsyncResult` (`test__event.py`).
 *
 * @typeParam T - the value's type
 * @example
 * ```ts
 * import { AsyncResult, sleep, spawn } from 'verdant';
 * const result = new AsyncResult<number>();
 * spawn(async () => { await sleep(10); result.set(42); });
 * console.log(await result.get()); // 42
 * ```
 */
export class AsyncResult<T = unknown> {
  #state = ST_UNSET;
  #value: T | undefined = undefined;
  #exception: unknown = undefined;
  readonly #waiters = new WaitList(this);
  #links: Links | null = null;

  /**
   * An unset result.
   * @throws TypeError when given an argument (gevent's `AsyncResult(5)` raises TypeError)
   */
  constructor(...args: []) {
    checkNoArgs(args.length, new.target.name);
  }

  /**
   * Store `value` and wake every waiter (`get()` resolves to it, `wait()` too). Overwrites an
   * earlier value or exception. Never switches.
   */
  set(value: T): void {
    this.#state = ST_VALUE;
    this.#value = value;
    this.#exception = undefined;
    if (this.#waiters.size > 0) this.#waiters.wakeAll(value);
    if (this.#links !== null && this.#links.size > 0) this.#links.notify();
  }

  /**
   * Store `err` and wake every waiter: `get()` throws it, `wait()` resolves `undefined`.
   * Overwrites an earlier value or exception. Never switches.
   * @param err - what `get()` throws: an `Error`, or any other value JavaScript can throw except
   *   `undefined` and `null`, which would make a failure whose `exception` reads as none
   * @throws TypeError when `err` is missing, `undefined` or `null` (gevent's `set_exception()`
   *   without an argument raises TypeError); the result is left as it was
   */
  setException(err: unknown): void {
    if (err === undefined || err === null) {
      throw new TypeError(
        `Cannot call AsyncResult.setException without an exception: err is ${err === null ? 'null' : 'undefined'}`,
      );
    }
    this.#state = ST_EXCEPTION;
    this.#value = undefined;
    this.#exception = err;
    const waiters = this.#waiters;
    for (let w = waiters.shift(); w !== null; w = waiters.shift()) {
      if (w.data === KIND_GET) w.wakeError(err);
      else w.wake(undefined);
    }
    if (this.#links !== null && this.#links.size > 0) this.#links.notify();
  }

  /** Whether a value or an exception is set. Never switches. */
  ready(): boolean {
    return this.#state !== ST_UNSET;
  }

  /** Whether a value (not an exception) is set. Never switches. */
  successful(): boolean {
    return this.#state === ST_VALUE;
  }

  /** The value, or `undefined` while unset or holding an exception. */
  get value(): T | undefined {
    return this.#value;
  }

  /** The exception, or `undefined` while unset or holding a value. */
  get exception(): unknown {
    return this.#exception;
  }

  /**
   * Wait until the result is ready and return its value, or throw its exception.
   *
   * A switch point unless it is ready (then it settles at once and lets no other greenlet
   * run). Kill and `Timeout` land here.
   * @param options - `{timeout, signal}` or a timeout in ms
   * @returns the value
   * @throws the stored exception; `Timeout` when `timeout` elapses first (gevent's
   *   `get(timeout)`); TypeError/RangeError for bad options (an unknown key too); `signal.reason` (rejects)
   * @example
   * ```ts
   * import { AsyncResult, Timeout } from 'verdant';
   * const result = new AsyncResult<number>();
   * try {
   *   await result.get({ timeout: 10 });
   * } catch (e) {
   *   if (!(e instanceof Timeout)) throw e;
   *   console.log('no result within 10 ms');
   * }
   * ```
   */
  get(options?: WaitOptions | number | null): Promise<T> {
    const err = readWaitOptions(options, 'get', this);
    if (err !== NONE) return rejectWait(err);
    if (this.#state !== ST_UNSET) {
      noteCompletedAtOnce();
      return this.#state === ST_VALUE
        ? Promise.resolve(this.#value as T)
        : Promise.reject(this.#exception);
    }
    const w = new Waiter<T>(this.#waiters, throwTimeout);
    w.data = KIND_GET;
    this.#waiters.push(w);
    return w.start(waitArgs.timeout, waitArgs.signal);
  }

  /**
   * The value now, without waiting. Never switches.
   * @returns the value
   * @throws the stored exception; `Timeout` when the result is not ready (gevent's `get_nowait`)
   */
  getNowait(): T {
    if (this.#state === ST_VALUE) return this.#value as T;
    if (this.#state === ST_EXCEPTION) throw this.#exception;
    throw new Timeout();
  }

  /**
   * Wait until the result is ready, without throwing its exception.
   *
   * A switch point unless it is ready. Kill and `Timeout` land here.
   * @param options - `{timeout, signal}` or a timeout in ms
   * @returns the value; `undefined` when the result holds an exception or `timeout` elapsed
   * @throws TypeError/RangeError for bad options (an unknown key too); `signal.reason` (rejects)
   */
  wait(options?: WaitOptions | number | null): Promise<T | undefined> {
    const err = readWaitOptions(options, 'wait', this);
    if (err !== NONE) return rejectWait(err);
    if (this.#state !== ST_UNSET) {
      noteCompletedAtOnce();
      return this.#state === ST_VALUE ? Promise.resolve(this.#value) : RESOLVED_UNDEFINED;
    }
    const w = new Waiter<T | undefined>(this.#waiters, returnUndefined);
    this.#waiters.push(w);
    return w.start(waitArgs.timeout, waitArgs.signal);
  }

  /**
   * Call `cb(this)` from the hub at every `set()`/`setException()`, in link order, until
   * {@link AsyncResult.unlink} removes it. Linked while ready, it is called once soon (from the
   * hub). Never switches; `cb` must not wait. A `cb` that throws is reported by the hub.
   * @throws TypeError when `cb` is not a function
   */
  rawlink(cb: (result: this) => unknown): void {
    checkCallback(cb, 'rawlink', this);
    if (this.#links === null) this.#links = new Links(this, false);
    this.#links.add(cb as (t: never) => unknown, this.#state !== ST_UNSET);
  }

  /** Remove every link of `cb` (nothing if it is not linked). Never switches. */
  unlink(cb: (result: this) => unknown): void {
    this.#links?.remove(cb);
  }

  /** A read-only snapshot: readiness, waiters and links. Never switches. */
  stats(): AsyncResultStats {
    return {
      ready: this.#state !== ST_UNSET,
      successful: this.#state === ST_VALUE,
      waiters: this.#waiters.size,
      links: this.#links === null ? 0 : this.#links.size,
    };
  }

  /** `<AsyncResult unset>`, `<AsyncResult value>` or `<AsyncResult exception>`. */
  toString(): string {
    const s = this.#state === ST_UNSET ? 'unset' : this.#state === ST_VALUE ? 'value' : 'exception';
    return `<${this.constructor.name} ${s}>`;
  }
}
settleShape(() => new Event()); // see settleShape: a layout fixed at load, not by the first six
settleShape(() => new AsyncResult());

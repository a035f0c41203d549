/**
 * `Timeout`: an exception that throws itself into the greenlet that started it once its time
 * is up — a deadline around any block of code, not only around one call.
 *
 * Design note: the timer does not reject a promise; it *delivers* the Timeout to its fiber
 * (see _fiber.ts): every verdant wait the fiber has pending throws it, through the hub's FIFO,
 * or its next wait does if it is running or in a foreign await. `cancel()` before it marked a
 * wait withdraws it, also after it fired (during a foreign await); a wait it marked rejects
 * with it whatever `cancel()` says after, so a `finally` that cancels it leaves no `Promise.all`
 * sibling registered. Behind a pending kill it waits its turn (one interrupt per wait). Nested
 * timeouts: each is its own exception, so `e === t` tells which fired. Tests:
 * test/core/timeout.test.ts, test/core/interrupts.test.ts.
 *
 * @module
 */
import { type Fiber, type FiberTimeout, NONE } from './_fiber.js';
import { checkOptionKeys, checkOptionsObject, settleShape, typeName } from './_util.js';
import { currentFiber } from './context.js';
import { Cancellation, guardCancellation, instantiate, isErrorClass } from './errors.js';
import { getHub, type Hub, TimerEntry } from './hub.js';

/** An `Error` subclass (its constructor). */
export type ErrorClass = new (...args: never[]) => Error;

/** The keys of {@link TimeoutOptions}. */
const TIMEOUT_KEYS: readonly string[] = ['exception'];

/** Options of {@link Timeout}. */
export interface TimeoutOptions {
  /**
   * What to throw instead of the Timeout itself: an `Error` instance (thrown as is), an `Error`
   * class (instantiated with no arguments when it fires) or a string (the Timeout's message).
   */
  exception?: Error | ErrorClass | string | null;
}

/** Throw a TypeError/RangeError for a duration that is not a non-negative number of ms. */
function checkDuration(ms: unknown, where: string): void {
  if (typeof ms !== 'number') {
    throw new TypeError(`${where}: ms must be a number of milliseconds, got ${typeName(ms)}`);
  }
  if (Number.isNaN(ms) || ms < 0) {
    throw new RangeError(`${where}: ms must be a non-negative number, got ${ms}`);
  }
}

function fireTimeout(t: unknown): void {
  (t as Timeout)._fire();
}

/**
 * A deadline for the greenlet that starts it. Once `ms` milliseconds have elapsed on the hub
 * clock, the Timeout (or its `exception`) is thrown at that greenlet's current verdant wait, or
 * at its next one.
 *
 * Concurrency: constructing, `start()` and `cancel()` never switch. Code that never reaches a
 * verdant wait (a CPU loop, a foreign await) is not interrupted until it does; the Timeout's
 * `signal` aborts at once so a foreign API given it can stop early. Started outside any
 * greenlet, it is thrown at every wait the main program has pending (or its next one).
 *
 * `Timeout` extends {@link Cancellation}: code that catches broadly must rethrow it.
 * Durations are milliseconds (gevent uses seconds). `new Timeout(null)` never fires. A Timeout
 * carries no stack trace (its `stack` is just its name and message): one taken where it was
 * created would not show where it landed, and it cost a fifth of a `withTimeout` call.
 *
 * Source: `gevent.Timeout` (`start_new`, `start`, `cancel`, `close`, `pending`, `seconds`),
 * gevent's `test__timeout.py`. The context manager becomes `using t = Timeout.startNew(ms)`.
 *
 * @throws TypeError when `ms` is not a number (or null/undefined), RangeError when negative or NaN;
 *   TypeError when the options are not an object (an Error, a class or a message there — gevent's
 *   positional `Timeout(seconds, exception)` — must be given as `{exception}`), and for an
 *   unknown option key.
 * @example
 * ```ts
 * import { sleep, Timeout } from 'verdant';
 * const t = Timeout.startNew(100);
 * try {
 *   await sleep(1000);
 * } catch (e) {
 *   if (e !== t) throw e; // some other timeout: not ours
 * } finally {
 *   t.cancel();
 * }
 * ```
 */
export class Timeout extends Cancellation {
  /** The duration in milliseconds, or `null` for a timeout that never fires. */
  readonly ms: number | null;
  #exception: Error | ErrorClass | null;
  #fiber: Fiber | null = null;
  #timer: TimerEntry | null = null;
  #thrown: unknown = NONE;
  #hub: Hub | null = null;
  #abort: AbortController | undefined = undefined;
  /** @internal Links in its fiber's list of armed Timeouts. */
  _tprev: FiberTimeout | null = null;
  /** @internal */
  _tnext: FiberTimeout | null = null;

  /**
   * @param ms - milliseconds until it fires; `null`/`undefined` never fires
   * @param options - `exception`: what to throw instead of the Timeout itself
   */
  constructor(ms?: number | null, options?: TimeoutOptions) {
    if (ms !== undefined && ms !== null) checkDuration(ms, 'Timeout');
    if (options !== undefined && options !== null) {
      if (typeof options !== 'object' || options instanceof Error) {
        const bad = checkOptionsObject(options, 'Timeout');
        if (bad !== null) throw bad;
      }
      const unknown = checkOptionKeys(options, TIMEOUT_KEYS, 'Timeout');
      if (unknown !== null) throw unknown;
    }
    const exc = options?.exception;
    if (
      exc !== undefined &&
      exc !== null &&
      typeof exc !== 'string' &&
      !isErrorClass(exc) &&
      !(exc instanceof Error)
    ) {
      throw new TypeError(
        `Timeout: exception must be an Error, an Error class or a string, got ${typeName(exc)}`,
      );
    }
    // No stack trace: it would show where the Timeout was made, not where it landed, and
    // capturing one cost a fifth of a withTimeout call.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(typeof exc === 'string' ? exc : ms === undefined || ms === null ? 'Timeout' : `${ms} ms`);
    Error.stackTraceLimit = limit;
    this.name = 'Timeout';
    this.ms = ms ?? null;
    this.#exception = typeof exc === 'string' || exc === undefined ? null : exc;
  }

  /**
   * Create a Timeout and start it: `Timeout.startNew(ms, opts)` is `new Timeout(ms, opts).start()`.
   * Never switches.
   * @throws TypeError/RangeError for a bad `ms`; TypeError for options that are not an object
   *   or hold an unknown key.
   */
  static startNew(ms?: number | null, options?: TimeoutOptions): Timeout {
    return new Timeout(ms, options).start();
  }

  /**
   * Arm the timer for the current greenlet (main outside any). Never switches.
   * @returns this
   * @throws Error when the timeout is already pending.
   */
  start(): this {
    if (this.pending)
      throw new Error(`Cannot start a Timeout that is already pending: ${this.message}`);
    this.#fiber = currentFiber();
    this.#thrown = NONE;
    if (this.ms === null || this.ms === Number.POSITIVE_INFINITY) return this; // never fires
    if (this.#timer === null) this.#timer = new TimerEntry(fireTimeout, this);
    this.#hub = this.#fiber._homeHub() ?? getHub();
    this.#hub.addTimer(this.#timer, this.ms);
    this.#fiber._addTimeout(this);
    return this;
  }

  /** Whether the timer is armed and has not fired. */
  get pending(): boolean {
    return this.#timer !== null && this.#timer.heapIndex >= 0;
  }

  /**
   * An `AbortSignal` aborted (with the thrown exception as `reason`) when the timeout fires:
   * give it to foreign APIs (`fetch`) so they stop at once.
   */
  get signal(): AbortSignal {
    if (this.#abort === undefined) {
      this.#abort = new AbortController();
      if (this.#thrown !== NONE) this.#abort.abort(this.#thrown);
    }
    return this.#abort.signal;
  }

  /** @internal Timer expiry. */
  _fire(): void {
    const exc = this.#exception;
    const thrown: unknown =
      exc === null ? this : typeof exc === 'function' ? instantiate(exc as new () => Error) : exc;
    this.#thrown = thrown;
    this.#fiber?._removeTimeout(this);
    this.#abort?.abort(thrown);
    this.#fiber?._deliver(thrown);
  }

  /**
   * Disarm the timer. If it already fired but its exception has not reached a wait yet (the
   * greenlet was running or in a foreign await), the exception is withdrawn; a wait it already
   * marked still rejects with it. Never switches; idempotent.
   */
  cancel(): void {
    if (this.#timer !== null) (this.#hub ?? getHub()).removeTimer(this.#timer);
    this.#fiber?._removeTimeout(this);
    if (this.#thrown !== NONE && this.#fiber !== null) this.#fiber._withdraw(this.#thrown);
    // A cancelled Timeout kept for reuse must not keep the last greenlet (and its hub) alive.
    this.#fiber = null;
    this.#hub = null;
  }

  /** Same as {@link Timeout.cancel} (gevent's `close`). */
  close(): void {
    this.cancel();
  }

  /** `using t = Timeout.startNew(ms)` cancels it at the end of the block. */
  [Symbol.dispose](): void {
    this.cancel();
  }
}

settleShape(() => new Timeout(1));

/**
 * An `onTimeout` for waits that throw a plain `Timeout` when their `timeout` elapses: a Timeout
 * of that many ms (its message says the duration, as gevent's). @internal
 */
export function throwTimeout(w?: { readonly _timeoutMs: number | null }): never {
  throw new Timeout(w?._timeoutMs ?? null);
}

/** The keys of {@link WithTimeoutOptions}. */
const WITH_TIMEOUT_KEYS: readonly string[] = ['timeoutValue'];

/** Options of {@link withTimeout} when a value replaces the Timeout. */
export interface WithTimeoutOptions<V> {
  /** Returned instead of throwing when the timeout fires. */
  timeoutValue: V;
}

/**
 * Run `fn(...args)` in the current greenlet under a {@link Timeout} of `ms` milliseconds.
 *
 * Concurrency: switches wherever `fn` does. When the time is up the Timeout is thrown at `fn`'s
 * wait; `withTimeout` rethrows it, or returns `timeoutValue` when given one. A kill passes
 * through unchanged. The timeout is cancelled when `fn` settles.
 *
 * Source: `gevent.with_timeout(seconds, function, *args, timeout_value=...)`.
 *
 * @returns `fn`'s result, or `timeoutValue`
 * @throws the Timeout (without `timeoutValue`), whatever `fn` throws; TypeError/RangeError for bad
 *   arguments (TypeError for an Error or an Error class after `ms`: there is no `exception`
 *   option here, use `Timeout.startNew(ms, {exception})`); TypeError for an unknown option key.
 * @example
 * ```ts
 * import { sleep, withTimeout } from 'verdant';
 * const v = await withTimeout(50, { timeoutValue: 'slow' }, () => sleep(100).then(() => 'fast'));
 * console.log(v); // 'slow'
 * ```
 */
export function withTimeout<R, A extends unknown[]>(
  ms: number,
  fn: (...args: A) => R | PromiseLike<R>,
  ...args: A
): Promise<R>;
export function withTimeout<R, V, A extends unknown[]>(
  ms: number,
  options: WithTimeoutOptions<V>,
  fn: (...args: A) => R | PromiseLike<R>,
  ...args: A
): Promise<R | V>;
export function withTimeout(ms: number, ...rest: unknown[]): Promise<unknown> {
  return guardCancellation(withTimeoutImpl(ms, rest));
}

/**
 * The deadline of one `withTimeout` call: its own timer entry and fiber-list node, with no
 * `Timeout` made unless it fires (an Error costs more than the rest of the call). What it throws
 * when it fires is a `Timeout` of `ms`, as `new Timeout(ms)` would be.
 */
class Deadline implements FiberTimeout {
  deadline = 0;
  seq = 0;
  heapIndex = -1;
  _tprev: FiberTimeout | null = null;
  _tnext: FiberTimeout | null = null;
  readonly ms: number;
  readonly fiber: Fiber;
  readonly hub: Hub;
  thrown: unknown = NONE;

  constructor(ms: number) {
    this.ms = ms;
    const fiber = currentFiber();
    this.fiber = fiber;
    this.hub = fiber._homeHub() ?? getHub();
    if (ms === Number.POSITIVE_INFINITY) return;
    this.hub.addTimer(this, ms);
    fiber._addTimeout(this);
  }

  fire(): void {
    const t = new Timeout(this.ms);
    this.thrown = t;
    this.fiber._removeTimeout(this);
    this.fiber._deliver(t);
  }

  cancel(): void {
    if (this.heapIndex >= 0) this.hub.removeTimer(this);
    this.fiber._removeTimeout(this);
    if (this.thrown !== NONE) this.fiber._withdraw(this.thrown);
  }
}

async function withTimeoutImpl(ms: number, rest: unknown[]): Promise<unknown> {
  let opts: WithTimeoutOptions<unknown> | null = null;
  const first = rest[0];
  if (first instanceof Error || isErrorClass(first)) {
    // Timeout(seconds, exception) ported to withTimeout: read as options without timeoutValue
    // (a plain Timeout thrown instead), or an Error class called as fn.
    throw new TypeError(
      `withTimeout: the argument after ms is ${first instanceof Error ? 'an Error' : 'an Error class'}: it has no exception option; use Timeout.startNew(ms, {exception}) or {timeoutValue}`,
    );
  }
  if (typeof first !== 'function') {
    opts = rest.shift() as WithTimeoutOptions<unknown>;
    if (typeof opts !== 'object' || opts === null) {
      throw new TypeError(
        `withTimeout: the argument after ms must be a function or an options object, got ${typeName(opts)}`,
      );
    }
    const unknown = checkOptionKeys(opts, WITH_TIMEOUT_KEYS, 'withTimeout');
    if (unknown !== null) throw unknown;
  }
  const fn = rest.shift();
  if (typeof fn !== 'function') {
    throw new TypeError(`withTimeout: fn must be a function, got ${typeName(fn)}`);
  }
  checkDuration(ms, 'withTimeout');
  const t = new Deadline(ms);
  try {
    return await (fn as (...a: unknown[]) => unknown)(...rest);
  } catch (e) {
    if (e === t.thrown && opts !== null && 'timeoutValue' in opts) return opts.timeoutValue;
    throw e;
  } finally {
    t.cancel();
  }
}

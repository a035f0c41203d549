/**
 * eventlet's `Event`: a one-shot message — `send` it once, every `wait` gets it.
 *
 * Design note — built on core's wait protocol (`core/lowlevel.ts`) like verdant's own `Event`.
 * `send()` never switches: it wakes every pending wait with the value (or the error) through the
 * hub's ready queue, never a timer, so one `sleep(0)` lets them run. Every waiter is woken, so a
 * woken waiter that is killed before it resumes holds nothing another needs (nothing lost). A
 * waiter woken by a send keeps that send's value even if `reset()` runs before it resumes.
 * Tests: test/compat/eventlet/event.test.ts.
 *
 * @module
 */
import {
  isErrorClass,
  NONE,
  readWaitOptions,
  rejectWait,
  Waiter,
  WaitList,
  type WaitOptions,
  waitArgs,
} from '../../core/lowlevel.js';
import type { ErrorClass } from '../../index.js';

const UNSENT = 0;
const VALUE = 1;
const ERROR = 2;

function returnUndefined(): undefined {
  return undefined;
}

/**
 * eventlet's `Event`: greenlets `wait()` for one `send(value)`; a second `send` needs a `reset()`
 * first (unlike verdant's `AsyncResult`, which overwrites).
 *
 * Source: `eventlet.event.Event` (eventlet's `tests/event_test.py`).
 * @typeParam T - the value sent
 * @example
 * ```ts
 * import { Event, spawnN } from 'verdant/eventlet';
 * const evt = new Event<number>();
 * spawnN((b: number) => evt.send(b + 1), 3);
 * console.log(await evt.wait()); // 4
 * ```
 */
export class Event<T = unknown> {
  #state = UNSENT;
  #value: unknown = undefined;
  readonly #waiters = new WaitList(this);

  /**
   * Send `value` (default `undefined`) to every waiter, now and later, until {@link Event.reset}.
   * Never switches: the waiters resume later, from the hub, in the order they waited.
   *
   * Source: eventlet's `Event.send`.
   * @param value - what `wait()` returns
   * @throws Error when the event was already sent and not reset
   * @example
   * ```ts
   * import { Event } from 'verdant/eventlet';
   * const evt = new Event<string>();
   * evt.send('a');
   * evt.ready(); // true
   * ```
   */
  send(value?: T): void {
    this.#check('send');
    this.#state = VALUE;
    this.#value = value;
    let w = this.#waiters.shift();
    while (w !== null) {
      w.wake(value);
      w = this.#waiters.shift();
    }
  }

  /**
   * Send an error: every waiter, now and later until {@link Event.reset}, throws this same
   * instance. Never switches.
   *
   * Any other value is taken too, as eventlet's `send_exception` takes it (it checks nothing
   * when called); the waiters then reject with that value itself. In eventlet (0.33) they fail
   * with Python's `TypeError: exceptions must be classes, or instances`, as only exceptions can
   * be raised; a waiter parked before the send is not even woken (the hub reports the
   * TypeError).
   *
   * Source: eventlet's `Event.send_exception`.
   * @param err - the error (an `Error` class is instantiated once); any other value but
   *   `undefined` and `null` is what the waiters reject with
   * @throws Error when the event was already sent and not reset; TypeError when `err` is
   *   `undefined` or `null` (eventlet's `send_exception()` without arguments fails its waiters
   *   with `GreenletExit`, `send_exception(None)` with a TypeError; here the call fails and the
   *   event stays unsent)
   * @example
   * ```ts
   * import { Event } from 'verdant/eventlet';
   * const evt = new Event();
   * evt.sendException(new RangeError('no'));
   * await evt.wait().catch((e) => console.log(e.message)); // no
   * ```
   */
  sendException(err: unknown): void {
    this.#check('sendException');
    if (err === undefined || err === null) {
      throw new TypeError(
        `Cannot call Event.sendException without an exception: err is ${err === null ? 'null' : 'undefined'}`,
      );
    }
    const e = isErrorClass(err) ? new (err as ErrorClass)() : err;
    this.#state = ERROR;
    this.#value = e;
    let w = this.#waiters.shift();
    while (w !== null) {
      w.wakeError(e);
      w = this.#waiters.shift();
    }
  }

  #check(where: string): void {
    if (this.#state !== UNSENT) {
      throw new Error(`Cannot ${where}() an event that was already sent: call reset() first`);
    }
  }

  /**
   * Wait for the event: its value, at once if it was sent; or throw the error sent by
   * {@link Event.sendException}; or `undefined` when `timeout` elapses first.
   *
   * A switch point unless the event was sent: kill and `Timeout` land here.
   * Source: eventlet's `Event.wait(timeout)` (seconds there, milliseconds here).
   * @param options - `{timeout, signal}` or a timeout in ms
   * @returns the value sent, or `undefined` on timeout
   * @throws the error sent; `signal.reason` when the signal aborts (rejects)
   * @example
   * ```ts
   * import { Event } from 'verdant/eventlet';
   * const evt = new Event<string>();
   * await evt.wait({ timeout: 10 }); // undefined: nothing was sent
   * ```
   */
  wait(options?: WaitOptions | number | null): Promise<T | undefined> {
    const err = readWaitOptions(options, 'Event.wait');
    if (err !== NONE) return rejectWait(err);
    if (this.#state === VALUE) return Promise.resolve(this.#value as T);
    if (this.#state === ERROR) return Promise.reject(this.#value);
    const w = new Waiter<T | undefined>(this.#waiters, returnUndefined);
    this.#waiters.push(w);
    return w.start(waitArgs.timeout, waitArgs.signal);
  }

  /** Whether the event was sent (a `wait()` would return at once). Never switches. */
  ready(): boolean {
    return this.#state !== UNSENT;
  }

  /**
   * Forget the value so the event can be sent again; later `wait()` calls block until then.
   * Never switches.
   *
   * Source: eventlet's `Event.reset`.
   * @throws Error when the event was never sent
   * @example
   * ```ts
   * import { Event } from 'verdant/eventlet';
   * const evt = new Event<number>();
   * evt.send(1);
   * evt.reset();
   * evt.send(2);
   * ```
   */
  reset(): void {
    if (this.#state === UNSENT) {
      throw new Error('Cannot reset() an event that was never sent');
    }
    this.#state = UNSENT;
    this.#value = undefined;
  }
}

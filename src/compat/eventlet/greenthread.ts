/**
 * eventlet's `GreenThread` and its module functions (`spawn`, `spawnN`, `spawnAfter`) as thin
 * adapters over verdant's `Greenlet`: one hub, no second scheduler.
 *
 * Design note — `wait()` is not `get()`. eventlet raises `GreenletExit` from `wait()` once a
 * thread was killed; verdant's `get()` returns it as the value (gevent's rule). A `GreenThread`
 * therefore wraps a `Greenlet` and turns a `GreenletExit` result into a throw, the same
 * instance every call. A thread a `GreenPool` ran inline (its own thread spawning into a full
 * pool) has no greenlet of its own: it is born finished. Tests:
 * test/compat/eventlet/greenthread.test.ts.
 *
 * @module
 */
import {
  checkMs,
  isErrorClass,
  KILL_KEYS,
  NONE,
  readWaitOptions,
  rejectWait,
} from '../../core/lowlevel.js';
import {
  type Greenlet,
  GreenletExit,
  type KillOptions,
  spawn as spawnGreenlet,
  spawnLater,
  type WaitOptions,
} from '../../index.js';
import { guard } from './_guard.js';

type LinkFn<T> = (gt: GreenThread<T>, ...curried: never[]) => unknown;

let finished: <T>(value: T) => GreenThread<T>;
let settle: <T>(gt: GreenThread<T>) => T;

/** `f`, renamed `name` (kept as is when `name` is empty). */
function named<F extends (...args: never[]) => unknown>(f: F, name: string): F {
  if (name !== '') Object.defineProperty(f, 'name', { value: name });
  return f;
}

function typeOf(x: unknown): string {
  return x === null ? 'null' : typeof x;
}

/** TypeError naming `where` (the function the user called) unless `fn` is a function. */
function checkFn(fn: unknown, where: string): void {
  if (typeof fn !== 'function') {
    throw new TypeError(`${where}: fn must be a function, got ${typeOf(fn)}`);
  }
}

/**
 * The reason a kill of a thread must reject with (bad options, a pre-aborted signal), or
 * `NONE`: the checks `Greenlet.kill` makes, named `GreenThread.kill` (and made for a thread
 * that ran inline, which has no greenlet).
 */
function checkKill(options: unknown): unknown {
  if (options === undefined) return NONE;
  if (typeof options !== 'object' || options === null || options instanceof Error) {
    const got =
      typeof options === 'string'
        ? 'a string'
        : options instanceof Error
          ? 'an Error'
          : typeOf(options);
    return new TypeError(
      `GreenThread.kill: options must be an object, got ${got}: pass the exception as {exception: …}`,
    );
  }
  const { exception } = options as KillOptions;
  if (exception !== undefined && !(exception instanceof Error) && !isErrorClass(exception)) {
    return new TypeError(
      `GreenThread.kill: exception must be an Error instance or an Error class, got ${typeOf(exception)}`,
    );
  }
  return readWaitOptions(options, 'GreenThread.kill', undefined, KILL_KEYS);
}

/**
 * eventlet's green thread: a function running in a verdant `Greenlet`, with eventlet's API.
 * Made by {@link spawn}, {@link spawnAfter} and `GreenPool.spawn`; `new GreenThread(g)` wraps a
 * verdant greenlet you already have.
 *
 * Source: `eventlet.greenthread.GreenThread`.
 * @typeParam T - what the function returns
 * @example
 * ```ts
 * import { spawn } from 'verdant/eventlet';
 * const gt = spawn((a: number, b: number) => a + b, 1, 2);
 * console.log(await gt.wait()); // 3
 * ```
 */
export class GreenThread<T = unknown> {
  /** The verdant greenlet running the function; `null` for a thread a pool ran inline. */
  readonly greenlet: Greenlet<T> | null;
  #value: T | undefined = undefined;
  #links: Map<LinkFn<T>, Array<(g: Greenlet<T>) => unknown>> | undefined = undefined;

  static {
    finished = <V>(value: V): GreenThread<V> => {
      const gt = new GreenThread<V>(null);
      gt.#value = value;
      return gt;
    };
    settle = <V>(gt: GreenThread<V>): V => {
      const g = gt.greenlet;
      if (g === null) return gt.#value as V;
      if (!g.successful()) throw g.exception;
      const v = g.value as V;
      if (v instanceof GreenletExit) throw v;
      return v;
    };
  }

  /**
   * Wrap a verdant greenlet (normally you get a `GreenThread` from {@link spawn}). Never switches.
   * @param greenlet - the greenlet to wrap
   */
  constructor(greenlet: Greenlet<T> | null) {
    this.greenlet = greenlet;
  }

  /**
   * Wait for the function to end and return its value, or throw its error (the same instance
   * every call). A thread that was killed throws the `GreenletExit` (eventlet's rule; verdant's
   * `Greenlet.get()` returns it instead), also one killed before it started.
   *
   * A switch point unless the thread is dead: a kill or `Timeout` of the caller lands here and
   * leaves the thread running.
   * Source: eventlet's `GreenThread.wait`.
   * @param options - `{timeout, signal}` or a timeout in ms (verdant's; eventlet has none)
   * @returns the function's value
   * @throws the function's error, the `GreenletExit` of a killed thread, a `Timeout` when
   *   `timeout` elapses, `signal.reason` when the signal aborts, TypeError/RangeError for bad
   *   options — also for a thread a pool ran inline (rejects; a rejection by cancellation is
   *   marked handled, so a forgotten `wait()` never ends the process)
   * @example
   * ```ts
   * import { spawn } from 'verdant/eventlet';
   * const gt = spawn(() => 'done');
   * await gt.wait(); // 'done'
   * ```
   */
  wait(options?: WaitOptions | number | null): Promise<T> {
    return guard(this.#wait(options));
  }

  async #wait(options: WaitOptions | number | null | undefined): Promise<T> {
    // Checked here, as get() would, so the error names GreenThread.wait (a thread that ran
    // inline has no greenlet to check them).
    const err = readWaitOptions(options, 'GreenThread.wait');
    if (err !== NONE) throw err;
    // get() rethrows a failure and returns a GreenletExit; settle() throws that too.
    if (this.greenlet !== null) await this.greenlet.get(options);
    return settle(this);
  }

  /**
   * Kill the thread: `GreenletExit` (or `options.exception`) is thrown at its current wait, and
   * by default the call waits until it is dead. A thread killed before it started never runs.
   * Killing a dead thread does nothing.
   *
   * A switch point with `block: true` (the default). Never rejects because of the target.
   * Source: eventlet's `GreenThread.kill`; the options are verdant's `Greenlet.kill`.
   * @param options - `{exception, block, timeout, signal}`
   * @throws TypeError/RangeError for bad options (an unknown key too), checked also for a thread a pool ran inline
   *   (rejects)
   * @example
   * ```ts
   * import { sleep, spawn } from 'verdant/eventlet';
   * const gt = spawn(() => sleep(60_000));
   * await gt.kill();
   * gt.dead; // true
   * ```
   */
  kill(options?: KillOptions): Promise<void> {
    // Checked here, as Greenlet.kill would, so the error names GreenThread.kill.
    const err = checkKill(options);
    if (err !== NONE) return rejectWait(err);
    if (this.greenlet === null) return Promise.resolve();
    return this.greenlet.kill(options);
  }

  /** Whether the function has ended (returned, thrown, or been killed). Never switches. */
  get dead(): boolean {
    return this.greenlet === null || this.greenlet.dead;
  }

  /**
   * Call `fn(thread, ...curried)` once the thread has ended, also when linked after it ended. As
   * verdant's links, `fn` runs later from the hub in a greenlet of its own (so it may wait), in
   * link order. Never switches.
   *
   * Source: eventlet's `GreenThread.link(func, *curried_args)`.
   * @param fn - called with the thread and `curried`
   * @param curried - extra arguments for `fn`
   * @throws TypeError when `fn` is not a function
   * @example
   * ```ts
   * import { spawn } from 'verdant/eventlet';
   * const gt = spawn(() => 42);
   * gt.link(async (t, label: string) => console.log(label, await t.wait()), 'result:');
   * ```
   */
  link<C extends unknown[]>(
    fn: (gt: GreenThread<T>, ...curried: C) => unknown,
    ...curried: C
  ): void {
    checkFn(fn, 'GreenThread.link');
    const key = fn as unknown as LinkFn<T>;
    // Named after fn, so a failure report says which link failed (not "cb").
    const call = named((): unknown => fn(this, ...curried), fn.name);
    if (this.greenlet === null) {
      spawnGreenlet(call);
      return;
    }
    const cb = named((): unknown => {
      // Ran: no longer removable by unlink().
      const left = this.#links?.get(key);
      const i = left === undefined ? -1 : left.indexOf(cb);
      if (i >= 0) {
        left?.splice(i, 1);
        if (left?.length === 0) this.#links?.delete(key);
      }
      return call();
    }, fn.name);
    this.#links ??= new Map();
    const list = this.#links.get(key);
    if (list === undefined) this.#links.set(key, [cb]);
    else list.push(cb);
    this.greenlet.link(cb);
  }

  /**
   * Remove every link of `fn` that has not run yet (whatever its curried arguments; eventlet
   * removes the one link with the same arguments). Never switches.
   * Source: eventlet's `GreenThread.unlink`.
   * @param fn - a function given to {@link GreenThread.link}
   * @returns true when a link was removed, false when none of `fn` was left to remove (eventlet
   *   returns the same)
   * @throws TypeError when `fn` is not a function, as {@link GreenThread.link} (eventlet returns
   *   False: no link can be a non-function, so the call is a mistake)
   * @example
   * ```ts
   * import { spawn } from 'verdant/eventlet';
   * const log = () => console.log('ended');
   * const gt = spawn(() => 1);
   * gt.link(log);
   * gt.unlink(log);
   * ```
   */
  unlink(fn: (gt: GreenThread<T>, ...curried: never[]) => unknown): boolean {
    checkFn(fn, 'GreenThread.unlink');
    const key = fn as unknown as LinkFn<T>;
    const list = this.#links?.get(key);
    if (list === undefined || this.greenlet === null) return false;
    for (const cb of list) this.greenlet.unlink(cb);
    this.#links?.delete(key);
    return true;
  }

  /** `<GreenThread <Greenlet …>>`, or `<GreenThread (ran inline)>`. */
  toString(): string {
    return `<GreenThread ${this.greenlet === null ? '(ran inline)' : String(this.greenlet)}>`;
  }
}

/** @internal A thread that ran inline and returned `value`. */
export function finishedThread<T>(value: T): GreenThread<T> {
  return finished(value);
}

/**
 * @internal The result of a dead thread, synchronously: its value, or a throw of its error or of
 * its `GreenletExit`.
 */
export function threadResult<T>(gt: GreenThread<T>): T {
  return settle(gt);
}

/**
 * Start `fn(...args)` in a new green thread and return it at once; `fn` starts when the caller
 * next waits. Never switches.
 *
 * Source: `eventlet.spawn`.
 * @param fn - a plain or async function
 * @param args - its arguments
 * @returns the started {@link GreenThread}
 * @throws TypeError when `fn` is not a function (`eventlet.spawn: fn must be a function …`)
 * @example
 * ```ts
 * import { spawn } from 'verdant/eventlet';
 * const gt = spawn(async (url: string) => (await fetch(url)).status, 'http://127.0.0.1:8080/');
 * ```
 */
export function spawn<R, A extends unknown[]>(
  fn: (...args: A) => R | PromiseLike<R>,
  ...args: A
): GreenThread<Awaited<R>> {
  checkFn(fn, 'eventlet.spawn');
  return new GreenThread(spawnGreenlet(fn, ...args));
}

/**
 * Start `fn(...args)` in a new green thread and return nothing (eventlet's cheap `spawn_n`). A
 * failure is reported by the hub, as any greenlet's nobody waits for. Never switches.
 *
 * Source: `eventlet.spawn_n`.
 * @param fn - a plain or async function
 * @param args - its arguments
 * @throws TypeError when `fn` is not a function (`eventlet.spawnN: …`)
 * @example
 * ```ts
 * import { sleep, spawnN } from 'verdant/eventlet';
 * spawnN((n: number) => console.log('got', n), 1);
 * await sleep(0); // got 1
 * ```
 */
export function spawnN<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): void {
  checkFn(fn, 'eventlet.spawnN');
  spawnGreenlet(fn, ...args);
}

/**
 * Like {@link spawn}, but the thread starts `ms` milliseconds from now (hub clock). A thread
 * killed before then never runs (its `wait()` throws the `GreenletExit`). Never switches.
 *
 * Source: `eventlet.spawn_after` (seconds there, milliseconds here).
 * @param ms - delay in milliseconds
 * @param fn - a plain or async function
 * @param args - its arguments
 * @throws TypeError when `fn` is not a function; TypeError/RangeError for a bad `ms` (the
 *   messages start `eventlet.spawnAfter:`)
 * @example
 * ```ts
 * import { spawnAfter } from 'verdant/eventlet';
 * const gt = spawnAfter(100, () => 'later');
 * await gt.wait(); // 'later', 100 ms on
 * ```
 */
export function spawnAfter<R, A extends unknown[]>(
  ms: number,
  fn: (...args: A) => R | PromiseLike<R>,
  ...args: A
): GreenThread<Awaited<R>> {
  const err = checkMs(ms, 'eventlet.spawnAfter');
  if (err !== NONE) throw err;
  checkFn(fn, 'eventlet.spawnAfter');
  return new GreenThread(spawnLater(ms, fn, ...args));
}

/**
 * Small helpers shared across verdant (reached from outside core through `lowlevel.ts`): the
 * constant `onTimeout` callbacks of waits, the promise-like test, the check of an `exception`
 * option (kill, killAll, Pool.kill) and `settleShape` (a class's layout fixed at load; pinned by
 * test/core/layout.test.ts).
 *
 * @module
 */
import { isErrorClass } from './errors.js';

/**
 * Make a class's first instances at load, so V8 sizes its objects from them. V8 fixes a class's
 * object size at its seventh construction (in-object slack tracking); a full garbage collection
 * that falls when exactly six have been made leaves every later instance with the unused slack
 * (16–56 B more each here; a Waiter became a dictionary of about 1 kB). Eight throwaway
 * instances made while the module loads close that window; bench/layout-probe.mjs shows it.
 * Only for constructors without side effects. @internal
 */
export function settleShape(make: () => unknown): void {
  for (let i = 0; i < 8; i++) make();
}

/** How an error message names what it got: `null`, `array` or the `typeof`. @internal */
export function typeName(x: unknown): string {
  return x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x;
}

/**
 * Check that every own key of an options object is one the call knows: an unknown key is a
 * mistake (a typo such as `{timout: 5}` was ignored, and the call waited forever or listened
 * elsewhere). Returns the TypeError to throw or reject with, naming the key and the options —
 * `<where>: unknown option "timout"; the options are timeout, signal` — or null. One check for
 * every call that takes an options object of fixed keys (`listen`, `createConnection`, the
 * servers, WebSocket `connect`, `runCluster`, and every wait through `readWaitOptions`).
 * @internal
 */
export function checkOptionKeys(
  opts: object,
  known: readonly string[],
  where: string,
): TypeError | null {
  // for-in, not Object.keys: no array made per call (waits check every options object).
  for (const key in opts) {
    if (!known.includes(key) && Object.hasOwn(opts, key)) {
      return new TypeError(
        `${where}: unknown option ${JSON.stringify(key)}; the options are ${known.join(', ')}`,
      );
    }
  }
  return null;
}

/**
 * The keys of a kill's options (`Greenlet.kill`, `killAll`, a group's `kill`, eventlet's
 * `GreenThread.kill`): what `readWaitOptions` accepts there. @internal
 */
export const KILL_KEYS: readonly string[] = ['exception', 'block', 'timeout', 'signal'];

/** An `onTimeout` for waits that resolve `false` when their `timeout` elapses. @internal */
export function returnFalse(): boolean {
  return false;
}

/** An `onTimeout` for waits that resolve `undefined` when their `timeout` elapses. @internal */
export function returnUndefined(): undefined {
  return undefined;
}

/** Whether `x` is a promise or any thenable (an object or function with a `then` method). @internal */
export function isPromiseLike(x: unknown): x is PromiseLike<unknown> {
  return (
    (typeof x === 'object' || typeof x === 'function') &&
    x !== null &&
    typeof (x as PromiseLike<unknown>).then === 'function'
  );
}

/**
 * Check an `exception` option of a kill: `undefined`, an Error instance or an Error class.
 * Returns the `TypeError` to throw or reject with, or null.
 * @internal
 */
export function checkKillException(exc: unknown, where: string): TypeError | null {
  if (exc === undefined || exc instanceof Error || isErrorClass(exc)) return null;
  return new TypeError(
    `${where}: exception must be an Error instance or an Error class, got ${typeName(exc)}`,
  );
}

/**
 * Check the options argument of a kill or a `Timeout`: `undefined`, `null` or an object that is
 * not an Error. An Error instance or class, a string or a number there (gevent's positional
 * `kill(exception)`, `Timeout(seconds, exception)`) was read as an options object without an
 * `exception` and silently ignored, so the call threw or killed with the default instead.
 * Returns the `TypeError` to throw or reject with, or null.
 * @internal
 */
export function checkOptionsObject(options: unknown, where: string): TypeError | null {
  if (options === undefined || options === null) return null;
  if (options instanceof Error || isErrorClass(options) || typeof options === 'string') {
    const what =
      typeof options === 'string'
        ? 'a string'
        : options instanceof Error
          ? 'an Error'
          : 'an Error class';
    return new TypeError(
      `${where}: options must be an object, got ${what}: pass the exception as {exception: …}`,
    );
  }
  if (typeof options !== 'object') {
    return new TypeError(`${where}: options must be an object, got ${typeName(options)}`);
  }
  return null;
}

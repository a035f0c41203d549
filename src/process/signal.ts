/**
 * `signalHandler(sig, fn, ...args)`: run `fn` in a new greenlet each time the process receives
 * `sig`.
 *
 * Design note. Each handler is its own `process.on(sig)` listener, so several handlers of one
 * signal all run (in install order) and `cancel()` removes only its own; once none is left,
 * Node's default action for the signal (SIGTERM: exit) is back. Node's signal watchers do not
 * keep the loop alive, which is gevent's `ref=False`. The greenlet is started from Node's
 * signal callback, outside any greenlet: it is never main nor the installer, and a failure is
 * reported by the hub like any unjoined greenlet's. Tests: test/process/signal.test.ts.
 *
 * @module
 */
import { constants } from 'node:os';
import { format } from 'node:util';
import { Greenlet } from '../core/greenlet.js';

/** What {@link signalHandler} returns. */
export interface SignalHandle {
  /** The signal handled. */
  readonly signal: NodeJS.Signals;
  /** Whether `cancel()` was called. */
  readonly cancelled: boolean;
  /** Remove this handler (others of the same signal stay). Idempotent; never waits. */
  cancel(): void;
}

const UNCATCHABLE = new Set(['SIGKILL', 'SIGSTOP']);

/**
 * Run `fn(...args)` in a new `Greenlet` each time the process receives `sig`. Never waits;
 * the handler does not keep the program alive. A handler that throws is reported by the hub.
 * @param sig - a Node signal name, e.g. `'SIGTERM'`
 * @param fn - what to run (plain or async)
 * @param args - its arguments
 * @returns a handle whose `cancel()` removes this handler
 * @throws TypeError for an unknown or uncatchable signal or a non-function `fn`
 * @example
 * ```ts
 * import { Event, signalHandler } from 'verdant';
 * const resized = new Event();
 * const h = signalHandler('SIGWINCH', () => resized.set());
 * process.kill(process.pid, 'SIGWINCH');
 * console.log(await resized.wait(1000)); // true
 * h.cancel();
 * ```
 *
 * Source: `gevent.signal_handler` (gevent installs it with `ref=False` too).
 */
export function signalHandler<A extends unknown[]>(
  sig: NodeJS.Signals,
  fn: (...args: A) => unknown,
  ...args: A
): SignalHandle {
  if (typeof sig !== 'string' || !(sig in constants.signals)) {
    throw new TypeError(`Cannot handle an unknown signal: got ${format('%o', sig)}`);
  }
  if (UNCATCHABLE.has(sig)) {
    throw new TypeError(`Cannot handle ${sig}: the process cannot catch it`);
  }
  if (typeof fn !== 'function') {
    throw new TypeError(`signalHandler needs a function to run: got ${format('%o', fn)}`);
  }
  const listener = (): void => {
    new Greenlet(fn, ...args).start();
  };
  process.on(sig, listener);
  let cancelled = false;
  return {
    signal: sig,
    get cancelled() {
      return cancelled;
    },
    cancel() {
      if (cancelled) return;
      cancelled = true;
      process.removeListener(sig, listener);
    },
  };
}

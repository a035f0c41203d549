/**
 * One Node callback as a verdant wait, built on the door (core/lowlevel.ts): connect, listen,
 * bind, a datagram's send, a DNS lookup. The operation counts as I/O in flight until its
 * callback runs or the wait is interrupted.
 *
 * Design note — what an interrupted call leaves behind. A kill, `Timeout`, `timeout` or
 * `signal` that lands before the callback calls `cancel(undefined)` (close the half-made
 * handle); one that lands after the callback woke the wait but before it resumed calls
 * `cancel(value)` with the value it would have returned (the connected socket), so nothing
 * stays open that no one owns. A DNS lookup cannot be aborted: its late callback is dropped.
 * Tests: test/io/listener.test.ts "a kill during createConnection leaves no half-open connection",
 * test/io/dns.test.ts "a kill lands at a lookup (the late answer is dropped)".
 *
 * @module
 */
import {
  ioEnded,
  ioStarted,
  NONE,
  readWaitOptions,
  rejectWait,
  Waiter,
  type WaitOwner,
  waitArgs,
} from '../core/lowlevel.js';
import { throwSocketTimeout } from './_errors.js';

/** `done(err)` or `done(null, value)`; later calls are ignored. */
export type Done<T> = (err: Error | null, value?: T) => void;

class CallWait<T> implements WaitOwner {
  finished = false;
  cancel: ((held: T | undefined) => void) | null = null;
  readonly w: Waiter<T>;

  constructor(onTimeout: (() => never) | null) {
    this.w = new Waiter<T>(this, onTimeout ?? throwSocketTimeout);
  }

  readonly done: Done<T> = (err, value) => {
    if (this.finished) return;
    this.finished = true;
    ioEnded(this.w.hub);
    if (err !== null) this.w.wakeError(err);
    else this.w.wake(value);
  };

  abortWait(_w: Waiter, held: boolean): void {
    if (!held) {
      this.finished = true;
      ioEnded(this.w.hub);
      this.cancel?.(undefined);
    } else {
      this.cancel?.(this.w.value as T);
    }
  }
}

/**
 * Start `begin(done)` and wait for `done`. `begin` may return a `cancel(held)` function called
 * when the wait is interrupted (see the design note). Rejects with what `done` got, with a
 * SocketTimeout when the `timeout` option (or `defaultTimeout`) elapses, or with the
 * interruption. An options object may hold only the keys `known` (see `readWaitOptions`).
 */
export function callbackWait<T>(
  where: string,
  opts: unknown,
  begin: (done: Done<T>) => ((held: T | undefined) => void) | undefined,
  defaultTimeout: number | null = null,
  known?: readonly string[] | null,
): Promise<T> {
  const err = readWaitOptions(opts, where, undefined, known);
  if (err !== NONE) return rejectWait(err);
  const timeout = waitArgs.timeout ?? defaultTimeout;
  const signal = waitArgs.signal;
  const cw = new CallWait<T>(null);
  ioStarted(cw.w.hub);
  try {
    cw.cancel = begin(cw.done) ?? null;
  } catch (e) {
    cw.finished = true;
    ioEnded(cw.w.hub);
    return Promise.reject(e);
  }
  return cw.w.start(timeout, signal);
}

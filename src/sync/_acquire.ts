/**
 * What the semaphores and locks share around their permit engine: the `acquire()` options, the
 * `Disposable` that `hold()` resolves to, and `run()`'s acquire–call–release.
 *
 * @module
 */

import {
  callName,
  guardCancellation,
  NONE,
  noteCompletedAtOnce,
  readWaitOptions,
  rejectWait,
  returnFalse,
  settleShape,
  type WaitOptions,
  waitArgs,
} from '../core/lowlevel.js';
import type { Permits } from './_permits.js';

/** Options of `acquire()`. */
export interface AcquireOptions extends WaitOptions {
  /** `false`: take a permit only if one is free now, never wait (default `true`). */
  blocking?: boolean;
}

/** @internal */
export const RESOLVED_TRUE: Promise<boolean> = Promise.resolve(true);
/** @internal */
export const RESOLVED_FALSE: Promise<boolean> = Promise.resolve(false);

/**
 * Reads `blocking` from acquire options: true, false, or an error to reject with.
 * @internal
 */
export function readBlocking(options: unknown, where: string, owner?: object): boolean | TypeError {
  if (options === null || typeof options !== 'object') return true;
  const b = (options as AcquireOptions).blocking;
  if (b === undefined) return true;
  if (typeof b !== 'boolean') {
    return new TypeError(
      `Cannot call ${callName(where, owner)} with a non-boolean blocking option: blocking is ${typeof b}`,
    );
  }
  return b;
}

/** The keys of {@link AcquireOptions}. @internal */
export const ACQUIRE_KEYS: readonly string[] = ['blocking', 'timeout', 'signal'];

/**
 * `acquire(options)` of a lock built on {@link Permits}: reject bad options; take a permit at
 * once when `tryTake(self)` can (no other greenlet runs meanwhile); else, unless `blocking` is
 * false, wait in FIFO order. Semaphores and `RLock` differ only in `tryTake` (an RLock's owner
 * reenters). Errors name the call `<owner's class>.acquire` (`Lock.acquire` for a Lock).
 * @internal
 */
export function acquireWith<S>(
  core: Permits,
  options: unknown,
  owner: object,
  self: S,
  tryTake: (self: S) => boolean,
): Promise<boolean> {
  const blocking = readBlocking(options, 'acquire', owner);
  if (typeof blocking !== 'boolean') return Promise.reject(blocking);
  const err = readWaitOptions(options, 'acquire', owner, ACQUIRE_KEYS);
  if (err !== NONE) return rejectWait(err);
  if (tryTake(self)) {
    noteCompletedAtOnce();
    return RESOLVED_TRUE;
  }
  if (!blocking) return RESOLVED_FALSE;
  return core.wait<boolean>(true, returnFalse, waitArgs.timeout, waitArgs.signal);
}

/**
 * What `hold()` resolves to: releases once when disposed.
 * @internal
 */
export class Held implements Disposable {
  #target: { release(): void } | null;
  constructor(target: { release(): void }) {
    this.#target = target;
  }
  [Symbol.dispose](): void {
    const t = this.#target;
    if (t === null) return;
    this.#target = null;
    t.release();
  }
}

/**
 * Wait for `held`, call `fn`, release also when it throws.
 * @internal
 */
export function runHeld<R>(
  held: Promise<Disposable>,
  fn: () => R | PromiseLike<R>,
): Promise<Awaited<R>> {
  // Guarded: an `async` function's promise carries a kill's rejection of the acquire on without
  // the wait's handled mark (a forgotten `lock.run()` in a killed greenlet).
  return guardCancellation(runHeldAsync(held, fn));
}

async function runHeldAsync<R>(
  held: Promise<Disposable>,
  fn: () => R | PromiseLike<R>,
): Promise<Awaited<R>> {
  const h = await held;
  try {
    return await fn();
  } finally {
    h[Symbol.dispose]();
  }
}

/**
 * Reject `run()` with a TypeError when `fn` is not a function; null when it is.
 * @internal
 */
export function checkRunFn(fn: unknown, where: string, owner?: object): TypeError | null {
  if (typeof fn === 'function') return null;
  return new TypeError(
    `Cannot call ${callName(where, owner)} with fn that is not a function: fn is ${fn === null ? 'null' : typeof fn}`,
  );
}
settleShape(() => new Held({ release() {} }));

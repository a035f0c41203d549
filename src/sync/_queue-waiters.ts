/**
 * The two Waiter variants the queues need beyond core's `Waiter`, and a helper to skip waits
 * that are already doomed.
 *
 * Design note — acting at the moment a wait *resumes*. Core's `Waiter` tells its owner when a
 * wait is interrupted (`abortWait`), but not when it resumes normally; the queues need both:
 * - a blocked `put` whose slot was freed inserts its item when the putter resumes, not when it
 *   is woken, so a putter killed in between inserts nothing and gives its slot back;
 * - a `Channel` transfer is committed when the *getter* resumes with the item; only then is
 *   the putter woken, so a getter killed in between hands the item back to the putter's side.
 * {@link CommitWaiter} calls `owner.commit(w)` right before the hub resolves the wait — in the
 * same hub step, so nothing runs in between and it costs no extra promise job. A `commit` that
 * throws turns the resumption into a rejection with that error (the owner's `abortWait` is then
 * told, with `held` true).
 *
 * A channel putter whose item a getter has taken has *completed* its put: the transfer cannot
 * be undone. If a kill or a `Timeout` reaches that putter before it resumes,
 * {@link HandoffWaiter} resolves the put anyway and re-delivers the exception to the greenlet,
 * which gets it at its next wait (as for a call that completed without waiting). The `timeout`
 * option and an aborted call `signal` are simply too late then. That keeps the channel's rule
 * "an item of a put that threw was never received" (test/sync/queue.property.test.ts,
 * test/sync/queue.test.ts "a putter killed after its item was taken").
 *
 * These override `Waiter._resume` and read `_cancel`: core internals, kept to this file.
 *
 * @module
 */
import { isWithdrawn, NONE } from '../core/_fiber.js';
import { Cancellation } from '../core/errors.js';
import { TIMED_OUT, Waiter, type WaitList, type WaitOwner } from '../core/waiter.js';

/** Whether a kill, Timeout, timeout option or aborted signal has marked `w`: it will end, whatever wakes it. @internal */
export function isCancelled(w: Waiter): boolean {
  const c = w._cancel;
  return c !== NONE && !isWithdrawn(c);
}

/**
 * `w.start(timeout, signal)`, plus a guard: when the greenlet already has another wait marked
 * by a kill or a `Timeout` (a `Cancellation` — e.g. a kill that was pending when it entered
 * `Promise.all` of two waits, which core delivers to the first wait only), mark this one too,
 * so it never stays registered, to be handed an item nobody will receive. @internal
 */
export function startWait<T>(
  w: Waiter<T>,
  timeout: number | null,
  signal: AbortSignal | null,
): Promise<T> {
  const p = w.start(timeout, signal);
  if (w.fiber._wait !== w && !isCancelled(w)) inheritCancel(w);
  return p;
}

function inheritCancel(w: Waiter): void {
  const f = w.fiber;
  const first = f._wait;
  if (
    first !== null &&
    first !== w &&
    isCancelled(first) &&
    first._cancel instanceof Cancellation
  ) {
    w._cancelWith(first._cancel);
    return;
  }
  if (f._more === null) return;
  for (const o of f._more) {
    if (o !== w && isCancelled(o) && o._cancel instanceof Cancellation) {
      w._cancelWith(o._cancel);
      return;
    }
  }
}

/** Remove and return the oldest wait of `list` that is not already marked to end, or null. @internal */
export function takeLive(list: WaitList): Waiter | null {
  let w = list.first;
  while (w !== null && isCancelled(w)) w = w.next;
  if (w !== null) list.remove(w);
  return w;
}

/** An owner told when one of its {@link CommitWaiter}s resumes normally. @internal */
export interface CommitOwner extends WaitOwner {
  /** The wait `w`, woken, is about to resume normally. Throw to make it reject instead. */
  commit(w: Waiter): void;
}

/** A wait whose owner acts in the hub step that resumes it (see the module note). @internal */
export class CommitWaiter<T = unknown> extends Waiter<T> {
  override _resume(): void {
    if (this.held && !isCancelled(this)) {
      try {
        (this.owner as CommitOwner).commit(this);
      } catch (err) {
        this._cancelWith(err);
      }
    }
    super._resume();
  }
}

/** Not in any list of its channel. */
export const NOWHERE = 0;
/** In the channel's list of waiting putters. */
export const IN_PUTTERS = 1;
/** In the channel's list of putters whose getter was interrupted. */
export const IN_RETURNED = 2;

/**
 * A channel putter: once `committed` (a getter took its item), it resolves even if a kill or a
 * Timeout reached it meanwhile, and re-delivers that exception to its greenlet. @internal
 */
export class HandoffWaiter<T = unknown> extends Waiter<T> {
  /** A getter has taken the item: the put has happened. */
  committed = false;
  /** Which list of the channel holds it (NOWHERE while a getter holds its item). */
  where = NOWHERE;
  /** The `signal` option of the call, whose abort is not re-delivered. */
  callSignal: AbortSignal | null = null;

  override _resume(): void {
    const exc = this._cancel;
    if (!this.committed || exc === NONE || !this.held) {
      super._resume();
      return;
    }
    this._cancel = NONE;
    super._resume();
    if (isWithdrawn(exc) || exc === TIMED_OUT) return;
    const sig = this.callSignal;
    if (sig?.aborted && exc === sig.reason && !(exc instanceof Cancellation)) return;
    this.fiber._deliver(exc);
  }
}

/**
 * The one door out of core: the wait protocol that every blocking primitive outside `core/` is
 * built on — events, locks, queues, pools, and next sockets, servers, subprocesses and the thread
 * pool. trio's `trio.lowlevel` is the model. Users of verdant never need it; authors of a new
 * primitive need nothing else (with core's public classes: `Greenlet`, `Timeout`, `getHub` …).
 *
 * Design note — how a primitive waits.
 * 1. **Park.** Read the caller's options first, so a bad value or a pre-aborted signal rejects
 *    even a call that need not wait: `const err = readWaitOptions(opts, 'Thing.get')`; if it is
 *    not {@link NONE}, return `rejectWait(err)` (a pre-aborted signal's reason is marked handled,
 *    as every rejection by cancellation is). Then, if the call can complete at once, do
 *    it and return a resolved promise (that is not a wait: no other greenlet runs). Otherwise make
 *    a {@link Waiter} for the current greenlet — `new Waiter(owner, onTimeout)`, or
 *    {@link obtainWaiter} when the owner drops it once it wakes it — put it in the primitive's own
 *    {@link WaitList} and return `w.start(waitArgs.timeout, waitArgs.signal)`. `start` registers
 *    the wait on its greenlet, arms the timeout and the signal, and gives the turn to the next
 *    greenlet. Keep what the wait offers (a putter's item) in `w.data`.
 * 2. **Wake.** When the thing waited for happens, take the oldest waiter that can still use it
 *    (`list.shiftLive()` skips waits a kill or Timeout has already marked) and call
 *    `w.wake(value)` (or `w.wakeError(err)`). Waking never switches: the hub resumes the waiter
 *    later, through its FIFO, one greenlet at a time. A woken waiter *holds* what woke it.
 * 3. **Hand on what an interrupted wait held.** A kill, a `Timeout`, the `timeout` option or an
 *    aborted signal marks the wait; the hub checks the mark just before resuming it, and a mark
 *    wins over a wake. It then calls `owner.abortWait(w, held)`: with `held` false, remove `w`
 *    from your list; with `held` true, `w.value` is what woke it and must go to the next waiter
 *    (the item back to the queue, the permit to the next acquirer, the bytes back to the buffer).
 *    That is verdant's "nothing is lost". A woken wait is handed back the moment it is marked
 *    (inside `kill()`, a `Timeout`'s firing, the signal's abort), not from the hub: `abortWait`
 *    must not wait and may run in any greenlet's code. A greenlet that dies with waits still
 *    pending has them withdrawn the same way (their promises never settle).
 * 4. **Commit at resume (optional).** `owner.commitWait(w)` runs in the hub step that resumes a
 *    woken wait normally: do there what must happen only if the waiter really gets it (a blocked
 *    put's item enters the queue). Throw to make the wait reject instead. Set `w.completed` once
 *    the operation cannot be undone (a channel's item was taken): an interrupt arriving after
 *    that resolves the wait and is delivered at the greenlet's next wait.
 * 5. **Time out.** `onTimeout(w)` is called when the `timeout` option elapses: return a value to
 *    resolve with (`false`, `undefined`) or throw (`QueueEmpty`, `SocketTimeout`). `null` means
 *    the timer itself wakes the wait (`sleep`).
 * 6. **Foreign I/O.** A wait whose wake-up comes from Node (a socket's `'data'`, a child's
 *    `'exit'`) counts as I/O in flight: call {@link ioStarted} when it starts and
 *    {@link ioEnded} when its source is done, so `wait()` does not call the hub idle and a
 *    virtual clock does not jump past it. For a one-off foreign promise use `until()`.
 *
 * 7. **Callbacks from the hub.** Run `rawlink`-style callbacks with {@link runRaw}: they run as
 *    the hub's RawGreenlet, where a verdant wait rejects with an `Error` saying so (gevent's
 *    `BlockingSwitchOutError`) instead of registering as some other greenlet's wait.
 * 8. **Rejections by cancellation** (a kill's exception, a `Timeout`, `LoopExit`, a signal's
 *    reason) are marked handled by `Waiter` itself; a call that fails before waiting returns
 *    `rejectWait(err)`, which does the same for a pre-aborted signal ({@link isCancellation}).
 *    A method built from waits in an `async` function makes a promise of its own, which the
 *    waiter's mark does not reach: return `guardCancellation(impl())` from the public method so
 *    a forgotten or raced call that is killed or timed out never surfaces as an unhandled
 *    rejection (test/process/subprocess.test.ts "no unhandled rejection …").
 *
 * Tests that pin this protocol: test/core/lowlevel.test.ts (a small primitive built from this
 * door alone: cancel point, nothing lost, commit at resume, completed waits, options),
 * test/sync/queue/property.test.ts, test/sync/lock.property.test.ts and
 * test/sync/permits.property.test.ts (conservation under
 * random kills and timeouts).
 *
 * @module
 */
export { type Fiber, NONE } from './_fiber.js';
export {
  checkKillException,
  checkOptionKeys,
  checkOptionsObject,
  isPromiseLike,
  KILL_KEYS,
  returnFalse,
  returnUndefined,
} from './_util.js';
export { currentFiber, localsKey } from './context.js';
export { guardCancellation, isCancellation, isErrorClass, rejectWait } from './errors.js';
export { kQuietLink } from './greenlet.js';
export { getHub, Hub, setHub } from './hub.js';
export { runRaw } from './rawgreenlet.js';
export { throwTimeout } from './timeout.js';
export { untilWait } from './until.js';
export {
  callName,
  checkMs,
  noteCompletedAtOnce,
  obtainWaiter,
  readWaitOptions,
  WAIT_KEYS,
  Waiter,
  WaitList,
  type WaitOptions,
  type WaitOwner,
  waitArgs,
} from './waiter.js';
export { joinKilled } from './waitmany.js';

import type { Hub } from './hub.js';

/**
 * One more verdant I/O operation is in flight on `hub` (a socket read, a child process): the hub
 * is not idle while it lasts, and a virtual clock does not jump past it. Pair with
 * {@link ioEnded}. Never switches.
 * @internal
 */
export function ioStarted(hub: Hub): void {
  hub.ioCount++;
}

/**
 * The I/O operation counted by {@link ioStarted} is over. Never switches.
 * @internal
 */
export function ioEnded(hub: Hub): void {
  if (hub.ioCount > 0) hub.ioCount--;
  if (hub.ioCount === 0) hub.recheckIdle();
}

/**
 * Count every hand-off of the turn on `hub` in `cell[0]` (a shared `Int32Array`, so a watchdog
 * thread can read it), or stop counting with `null`. Never switches.
 * @internal
 */
export function countTurns(hub: Hub, cell: Int32Array | null): void {
  hub.turnCounter = cell;
}

export { getMain } from './rawgreenlet.js';

import type { Fiber } from './_fiber.js';
import type { Greenlet, LinkEntry } from './greenlet.js';
import type { Waiter } from './waiter.js';

/**
 * The live greenlets of `hub` (started and not dead), in start order: what run-info tools draw.
 * Never switches.
 * @internal
 */
export function liveGreenlets(hub: Hub): Greenlet[] {
  return [...hub.live()] as unknown as Greenlet[];
}

/**
 * The first wait `fiber` has pending (its `owner` is the primitive waited on; `null` for a
 * sleep), or `null` when it waits on nothing. Never switches.
 * @internal
 */
export function pendingWait(fiber: Fiber): Waiter | null {
  return fiber._wait;
}

/**
 * The wait `fiber` registered last (its newest pending wait), or `null` when it waits on
 * nothing. A composite wait (a socket file's `readline`, which parks on the socket one or more
 * times) notes the wait each step parked: once that wait is done and the step has not resumed,
 * `race()` withdrew it (or its greenlet died), and the composite call never resumes either.
 * Never switches.
 * @internal
 */
export function lastWait(fiber: Fiber): Waiter | null {
  const more = fiber._more;
  if (more !== null && more.length > 0) return more[more.length - 1] as Waiter;
  return fiber._wait;
}

/**
 * The wait `fiber` parked since `before` (what {@link lastWait} gave before the call), or null
 * when the call parked none (it completed at once). Never switches.
 * @internal
 */
export function parkedSince(fiber: Fiber, before: Waiter | null): Waiter | null {
  const w = lastWait(fiber);
  return w !== before ? w : null;
}

export { settleShape } from './_util.js';
/**
 * Add a prebuilt link entry to a greenlet (`g[kAddLink](entry)`): one entry shared by every
 * greenlet it serves (a server's "close the client socket when the handler ends"), so no
 * per-greenlet object. `{cb, kind: 'any', quiet: true, spawn: false, direct: false}` behaves as
 * `g[kQuietLink](cb)`. @internal
 */
export { kAddLink, type LinkEntry } from './greenlet.js';

/**
 * A quiet link entry for `cb`, to be made once and added to many greenlets with
 * `g[kAddLink](entry)`: `cb` runs from the hub once a greenlet has ended, however it ended, and
 * does not count as someone listening (a failure is still reported). Never switches. @internal
 */
export function quietLinkEntry(cb: (g: Greenlet) => void): LinkEntry {
  return { cb: cb as LinkEntry['cb'], kind: 'any', quiet: true, spawn: false, direct: false };
}

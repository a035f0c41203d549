/**
 * The waiting side of every wait: a greenlet, a raw greenlet or the main program.
 *
 * Design note — how a kill or a timeout reaches a wait.
 * - A fiber lists the waits it has pending (usually one; several under `Promise.all`) and the
 *   interrupts requested and not yet delivered, in request order (`_pendingExc`, then
 *   `_moreExc`). Only the first is *armed*: {@link Fiber._deliver} marks every pending wait with
 *   it and queues them on the hub's FIFO, so the delivery is ordered like any wake-up; a wait
 *   started while it is armed is marked too. If the fiber has no wait pending (it runs, or sits
 *   in a foreign await) the interrupt lands at its next wait.
 * - A kill and a `Timeout` pending together are two interrupts: once the first is thrown at a
 *   wait ({@link Fiber._delivered}) the next one is armed, so a greenlet that catches the first
 *   meets the second at its next wait. Waits already marked keep their mark (first mark wins),
 *   so every wait pending when an interrupt was armed rejects with that one.
 * - A `Timeout` cancelled before it marked any wait is withdrawn from the list; once it marked
 *   a wait it stays delivered there (a `finally` that cancels it must not leave a `Promise.all`
 *   sibling registered with nobody listening).
 * Tests: test/core/interrupts.test.ts, test/core/kill.test.ts, test/core/timeout.test.ts.
 *
 * @module
 */
import { settleShape } from './_util.js';
import { markCancellation } from './errors.js';
import type { Hub } from './hub.js';
import type { Waiter } from './waiter.js';

/** "No exception": distinct from `undefined`, which is a legal thing to throw. @internal */
export const NONE: unique symbol = Symbol('none');

/**
 * The fiber `rawlink` callbacks run as (the hub's RawGreenlet), which must not wait; null until
 * first needed. @internal
 */
export let rawCallbackFiber: Fiber | null = null;

/** @internal */
export function setRawCallbackFiber(f: Fiber): void {
  rawCallbackFiber = f;
}

/** A Timeout as its fiber lists it. @internal */
export interface FiberTimeout {
  _tprev: FiberTimeout | null;
  _tnext: FiberTimeout | null;
  cancel(): void;
}

/**
 * The part of a fiber's bookkeeping most fibers never use: made at its first interrupt, its
 * first `Timeout` or its second wait pending at once, then kept (an idle greenlet is one field
 * smaller per member).
 * @internal
 */
export class FiberMore {
  /** Further pending waits (several at once under `Promise.all`). */
  waits: Waiter[] | null = null;
  /** The armed interrupt: thrown at every pending wait and at the next one, or NONE. */
  exc: unknown = NONE;
  /** Interrupts requested after the armed one, in request order. */
  excs: unknown[] | null = null;
  /** The armed Timeouts started by the fiber (intrusive list). */
  timeouts: FiberTimeout | null = null;
}

settleShape(() => new FiberMore());

function moreOf(f: Fiber): FiberMore {
  if (f._fx === null) f._fx = new FiberMore();
  return f._fx;
}

/**
 * Base of `Greenlet` and `RawGreenlet`: the bookkeeping of the waits a fiber has pending.
 * @internal
 */
export abstract class Fiber {
  /** @internal The first pending wait. */
  _wait: Waiter | null = null;
  /** @internal Further waits, the interrupts and the Timeouts, made on first use. */
  _fx: FiberMore | null = null;

  /** @internal The armed Timeouts started by this fiber (intrusive list), or null. */
  get _timeouts(): FiberTimeout | null {
    const x = this._fx;
    return x === null ? null : x.timeouts;
  }

  /** @internal Further pending waits (several at once under `Promise.all`), or null. */
  get _more(): Waiter[] | null {
    const x = this._fx;
    return x === null ? null : x.waits;
  }

  /** @internal The armed interrupt: thrown at every pending wait and at the next one, or NONE. */
  get _pendingExc(): unknown {
    const x = this._fx;
    return x === null ? NONE : x.exc;
  }

  /**
   * @internal The hub this fiber lives on (a greenlet: the one it was started on), or null for
   * "the current hub". Waits and Timeouts go to it, so a real greenlet that wakes while a
   * `runVirtual` call is active stays on real time.
   */
  _homeHub(): Hub | null {
    return null;
  }

  /** @internal */
  _addWait(w: Waiter): void {
    if (this._wait === null) {
      this._wait = w;
      return;
    }
    const x = moreOf(this);
    if (x.waits === null) x.waits = [w];
    else x.waits.push(w);
  }

  /** @internal */
  _removeWait(w: Waiter): void {
    const x = this._fx;
    const more = x === null ? null : x.waits;
    if (this._wait === w) {
      this._wait = more === null ? null : (more.shift() ?? null);
      if (more !== null && more.length === 0) (x as FiberMore).waits = null;
    } else if (more !== null) {
      const i = more.indexOf(w);
      if (i >= 0) more.splice(i, 1);
      if (more.length === 0) (x as FiberMore).waits = null;
    }
  }

  /** @internal Whether the fiber has a verdant wait pending. */
  get _waiting(): boolean {
    return this._wait !== null;
  }

  /**
   * Request the interrupt `exc`: armed at once when no other is pending (every pending wait is
   * marked with it, and any wait started before it is thrown), else queued behind the others.
   * Requesting one already pending does nothing.
   * @internal
   */
  _deliver(exc: unknown): void {
    markCancellation(exc);
    const x = moreOf(this);
    if (x.exc === NONE) {
      x.exc = exc;
      markWaits(this, exc);
    } else if (x.exc !== exc && x.excs?.includes(exc) !== true) {
      if (x.excs === null) x.excs = [exc];
      else x.excs.push(exc);
    }
  }

  /** A wait of this fiber rejected with `exc`: if it is the armed interrupt, arm the next. @internal */
  _delivered(exc: unknown): void {
    if (this._pendingExc === exc) armNext(this);
  }

  /**
   * Withdraw `exc` if it is still requested (a Timeout cancelled in time). Waits it already
   * marked keep it: there it counts as delivered.
   * @internal
   */
  _withdraw(exc: unknown): void {
    const x = this._fx;
    if (x === null) return;
    if (x.exc === exc) {
      armNext(this);
      return;
    }
    const more = x.excs;
    if (more === null) return;
    const i = more.indexOf(exc);
    if (i >= 0) more.splice(i, 1);
    if (more.length === 0) x.excs = null;
  }

  /**
   * The fiber died with waits still pending (a `Promise.race` loser, a floating call): withdraw
   * them from their primitives — a woken one hands back what it held — and leave their promises
   * pending, so they neither eat an item nor count as someone listening, and reject nothing.
   * @internal
   */
  _abandonWaits(): void {
    while (this._wait !== null) this._wait._abandon();
    const x = this._fx;
    if (x !== null) {
      x.exc = NONE;
      x.excs = null;
    }
  }

  /**
   * The fiber died: abandon its waits and cancel the Timeouts it started (they can never be
   * delivered, and their timers would keep the process alive).
   * @internal
   */
  _cleanupAtDeath(): void {
    if (this._wait !== null) this._abandonWaits();
    while (this._timeouts !== null) this._timeouts.cancel();
  }

  /** @internal */
  _addTimeout(t: FiberTimeout): void {
    const x = moreOf(this);
    t._tprev = null;
    t._tnext = x.timeouts;
    if (x.timeouts !== null) x.timeouts._tprev = t;
    x.timeouts = t;
  }

  /** @internal */
  _removeTimeout(t: FiberTimeout): void {
    const x = this._fx;
    if (x === null || (t._tprev === null && x.timeouts !== t)) return;
    if (t._tprev === null) x.timeouts = t._tnext;
    else t._tprev._tnext = t._tnext;
    if (t._tnext !== null) t._tnext._tprev = t._tprev;
    t._tprev = null;
    t._tnext = null;
  }

  /** @internal Whether `exc` is waiting to be delivered to this fiber. */
  _isPending(exc: unknown): boolean {
    const x = this._fx;
    if (x !== null && (x.exc === exc || x.excs?.includes(exc) === true)) return true;
    if (this._wait === null) return false;
    if (this._wait._cancel === exc) return true;
    const more = this._more;
    if (more !== null) for (const w of more) if (w._cancel === exc) return true;
    return false;
  }
}

// Module functions, not private methods: a class with private methods gives each instance a
// brand field (8 bytes in every greenlet).

function markWaits(f: Fiber, exc: unknown): void {
  if (f._wait === null) return;
  f._wait._cancelWith(exc);
  const more = f._more;
  if (more !== null) for (const w of more.slice()) w._cancelWith(exc);
}

function armNext(f: Fiber): void {
  const x = f._fx as FiberMore;
  const more = x.excs;
  if (more === null) {
    x.exc = NONE;
    return;
  }
  const next = more.shift();
  if (more.length === 0) x.excs = null;
  x.exc = next;
  markWaits(f, next);
}

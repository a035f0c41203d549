/**
 * The waiting side of every wait: a greenlet, a raw greenlet or the main program.
 *
 * Design note — how a kill or a timeout reaches a wait. A fiber lists the waits it has pending
 * (usually one; several under `Promise.all`). {@link Fiber._deliver} marks each of them with the
 * exception and queues it on the hub's FIFO, so the delivery is ordered like any wake-up; if
 * the fiber has no wait pending (it runs, or sits in a foreign await) the exception is kept
 * in `_pendingExc` and lands at the next wait. A `Timeout` cancelled before its exception was
 * delivered is *withdrawn*: the marks it left are ignored when the hub reaches them.
 *
 * @module
 */
import type { Hub } from './hub.js';
import type { Waiter } from './waiter.js';

/** "No exception": distinct from `undefined`, which is a legal thing to throw. @internal */
export const NONE: unique symbol = Symbol('none');

const withdrawn = new WeakSet<object>();

/** Whether `exc` was withdrawn (a Timeout cancelled before delivery). @internal */
export function isWithdrawn(exc: unknown): boolean {
  return typeof exc === 'object' && exc !== null && withdrawn.has(exc);
}

/** Mark `exc` live again (a Timeout that fires anew). @internal */
export function unwithdraw(exc: object): void {
  withdrawn.delete(exc);
}

/** A Timeout as its fiber lists it. @internal */
export interface FiberTimeout {
  _tprev: FiberTimeout | null;
  _tnext: FiberTimeout | null;
  cancel(): void;
}

/**
 * Base of `Greenlet` and `RawGreenlet`: the bookkeeping of the waits a fiber has pending.
 * @internal
 */
export abstract class Fiber {
  /** @internal The first pending wait. */
  _wait: Waiter | null = null;
  /** @internal Further pending waits (several at once under `Promise.all`). */
  _more: Waiter[] | null = null;
  /** @internal An exception to throw at the next wait. */
  _pendingExc: unknown = NONE;
  /** @internal The armed Timeouts started by this fiber (intrusive list). */
  _timeouts: FiberTimeout | null = null;

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
    if (this._wait === null) this._wait = w;
    else if (this._more === null) this._more = [w];
    else this._more.push(w);
  }

  /** @internal */
  _removeWait(w: Waiter): void {
    if (this._wait === w) {
      const more = this._more;
      this._wait = more === null ? null : (more.shift() ?? null);
      if (more !== null && more.length === 0) this._more = null;
    } else if (this._more !== null) {
      const i = this._more.indexOf(w);
      if (i >= 0) this._more.splice(i, 1);
      if (this._more.length === 0) this._more = null;
    }
  }

  /** @internal Whether the fiber has a verdant wait pending. */
  get _waiting(): boolean {
    return this._wait !== null;
  }

  /**
   * Throw `exc` at every wait pending, through the hub's FIFO, and at any wait started before
   * it is delivered (or at the next wait). A wait already carrying an exception keeps it (two
   * kills deliver one exception).
   * @internal
   */
  _deliver(exc: unknown): void {
    // Pending until the hub throws it at one of the fiber's waits: a wait started before then
    // (another branch of a Promise.all, or after a Promise.race settled) throws it too.
    if (this._pendingExc === NONE || isWithdrawn(this._pendingExc)) this._pendingExc = exc;
    if (this._wait === null) return;
    this._wait._cancelWith(exc);
    if (this._more !== null) for (const w of this._more.slice()) w._cancelWith(exc);
  }

  /**
   * Withdraw `exc` if it was not delivered yet (a Timeout cancelled in time).
   * @internal
   */
  _withdraw(exc: object): void {
    withdrawn.add(exc);
    if (this._pendingExc === exc) this._pendingExc = NONE;
  }

  /**
   * The fiber died with waits still pending (a `Promise.race` loser, a floating call): withdraw
   * them from their primitives — a woken one hands back what it held — and leave their promises
   * pending, so they neither eat an item nor count as someone listening, and reject nothing.
   * @internal
   */
  _abandonWaits(): void {
    while (this._wait !== null) this._wait._abandon();
    this._pendingExc = NONE;
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
    t._tprev = null;
    t._tnext = this._timeouts;
    if (this._timeouts !== null) this._timeouts._tprev = t;
    this._timeouts = t;
  }

  /** @internal */
  _removeTimeout(t: FiberTimeout): void {
    if (t._tprev === null && this._timeouts !== t) return;
    if (t._tprev === null) this._timeouts = t._tnext;
    else t._tprev._tnext = t._tnext;
    if (t._tnext !== null) t._tnext._tprev = t._tprev;
    t._tprev = null;
    t._tnext = null;
  }

  /** @internal Whether `exc` is waiting to be delivered to this fiber. */
  _isPending(exc: unknown): boolean {
    if (this._pendingExc === exc) return true;
    if (this._wait === null) return false;
    if (this._wait._cancel === exc) return true;
    return this._more?.some((w) => w._cancel === exc) === true;
  }
}

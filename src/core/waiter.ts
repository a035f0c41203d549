/**
 * The Waiter: the one suspension primitive every blocking operation of verdant goes through.
 *
 * Design note — woken, resumed, and why nothing is lost.
 * - A wait is *pending* while it sits in its owner's list (a queue's getters, an event's
 *   waiters). The owner *wakes* it with {@link Waiter.wake}: it records what the wait gets (the
 *   item, the permit, `true`) and queues the resumption on the hub's FIFO. The hub *resumes* it
 *   later by settling its promise — one waiter at a time, each behind the previous one's
 *   continuation (the one-greenlet turn, see hub.ts).
 * - A kill, a `Timeout`, the `timeout` option or an aborted `signal` marks the wait with an
 *   exception and queues it on the same FIFO. Just before resuming, the hub checks the mark:
 *   a mark wins over a wake. The owner's {@link WaitOwner.abortWait} is told whether the wait
 *   *held* what woke it, and hands it on (the item goes back to the queue's head or to the next
 *   getter, the permit to the next acquirer). That is "nothing is lost": a woken-then-killed
 *   waiter never eats what woke it (tests: test/sync/*.test.ts "nothing lost", the property test).
 * - When: a wait still in its owner's list is withdrawn when the hub reaches it. A wait already
 *   woken is handed back at the moment it is marked — in `kill()`, in the `Timeout`'s firing —
 *   since it can then only reject (unless {@link Waiter.completed}, whose wait resolves): what
 *   it held is free at once, so a greenlet still running that takes next gets it before the
 *   items queued behind it, as in gevent, where the getter would never have taken it. The wait
 *   becomes "woken with an error" and rejects when the hub reaches it, as before: same exception,
 *   same place, same order (tests: test/core/waiter.test.ts "hands it back at once",
 *   test/sync/lock.test.ts "gives it back at once",
 *   test/io/stream.conformance.ts "hands them back at once").
 *   Woken waits of one owner interrupted one by one hand back in the order they are
 *   interrupted: owners put a burst of handed-back items back in that order.
 * - No closure is made per wait: the hub queues `resume(waiter)`. Memory per pending wait (an
 *   idle connection is one): a wait keeps its promise and only that promise's resolve function
 *   (a rejection resolves it with a {@link Rejection} thenable, one microtask job later, inside
 *   the fiber's turn); the timer entry, the signal listener and the exception a wait is marked
 *   with live in a {@link WaitExtras} made only for a wait with a `timeout` or a `signal`, or
 *   once it is marked (a pooled waiter keeps its own). Tests:
 *   test/core/interrupts.test.ts, test/core/unhandled.test.ts, test/core/layout.test.ts.
 *
 * @module
 */
import { type Fiber, NONE, rawCallbackFiber } from './_fiber.js';
import { checkOptionKeys, settleShape as settleLayout, typeName } from './_util.js';
import { currentFiber } from './context.js';
import { Cancellation, isCancellation, markCancellation, markHandled } from './errors.js';
import { getHub, Hub, setResumeCallback, type Timed } from './hub.js';

/** Waiting in the owner's list. */
const PENDING = 0;
/** Woken with a value to resolve with. */
const WOKEN = 1;
/** Woken with an error to reject with. */
const WOKEN_ERROR = 2;
/** Settled. */
const DONE = 3;
const STATE = 3;
/** Bit: queued on the hub's FIFO. */
const QUEUED = 4;
/** Bit: {@link Waiter.completed}. */
const COMPLETED = 8;
/** Bit: made by {@link obtainWaiter}, back to the free list once resumed. */
const POOLED = 16;
/** Bit: marked with an exception (kept in the {@link WaitExtras}); it stays after settling. */
const CANCELLED = 32;

/**
 * While non-zero, starting a wait does not give the hub's turn away (race() calls its entrants
 * under it, so one that completed at once settles before any other wait resumes). @internal
 */
let holdTurn = 0;

/** Keep (`+1`) or stop keeping (`-1`) the turn across wait starts; see {@link holdTurn}. @internal */
export function holdTheTurn(delta: 1 | -1): void {
  holdTurn += delta;
}

/**
 * How many calls that can wait completed without waiting: took something (an item, a permit,
 * data) or found it ready (a set Event, a dead greenlet). race() reads it around each call, and
 * once one completed at once it makes no later call, which could take something that would be
 * lost with its losing promise (Go's select proceeds with one ready case). @internal
 */
let completedAtOnce = 0;

/** A call that can wait completed without waiting: see {@link completedAtOnce}. @internal */
export function noteCompletedAtOnce(): void {
  completedAtOnce++;
}

/** The count of {@link noteCompletedAtOnce} calls so far. @internal */
export function completedAtOnceCount(): number {
  return completedAtOnce;
}

/** Marks a wait whose `timeout` option elapsed. @internal */
export const TIMED_OUT: unique symbol = Symbol('timed out');

/**
 * The primitive a wait belongs to. When a wait is interrupted (kill, Timeout, timeout option,
 * signal) `abortWait(w, held)` is called once: `held` is true when the wait had been woken and so
 * holds what woke it, which the owner must hand on — called the moment the wait is marked, from
 * whatever code marked it; false when it was still in the owner's list, from which the owner
 * removes it — called from the hub, before the wait rejects.
 * @internal
 */
export interface WaitOwner {
  abortWait(w: Waiter, held: boolean): void;
  /**
   * Optional: the woken wait `w` is about to resume normally, in the hub step that resolves it
   * (nothing runs in between). Act now what must happen only if the waiter really gets it (a
   * blocked put inserts its item, a channel commits its transfer). Throw to make the wait reject
   * with that error instead; `abortWait(w, true)` is then called.
   */
  commitWait?(w: Waiter): void;
}

let tmpResolve: (v: unknown) => void;
function executor(res: (v: unknown) => void): void {
  tmpResolve = res;
}

/**
 * Rejects the promise it resolves: a wait keeps only its promise's resolve function (the reject
 * function would be one more closure kept per pending wait). A wait that rejects settles one
 * microtask job later than a direct reject would; the turn (hub.ts) keeps the order.
 */
class Rejection {
  readonly reason: unknown;
  constructor(reason: unknown) {
    this.reason = reason;
  }
  then(_resolve: unknown, reject: (e: unknown) => void): void {
    reject(this.reason);
  }
}

/** What a wait calls when its `timeout` option elapses (see {@link Waiter}'s constructor). */
type OnTimeout = (w: Waiter<never>) => unknown;

/**
 * The timer entry, signal listener and interrupt mark of a wait: made only for a wait started
 * with a `timeout` or a `signal`, or once it is marked (and kept by a pooled waiter for its next
 * wait), so a plain pending wait is smaller (an idle connection is one greenlet in one wait).
 * @internal
 */
export class WaitExtras implements Timed {
  deadline = 0;
  /** The `timeout` the timer was armed with, in ms (for the Timeout it throws). */
  ms = 0;
  seq = 0;
  heapIndex = -1;
  readonly waiter: Waiter;
  onTimeout: OnTimeout | null;
  signal: AbortSignal | null = null;
  listener: (() => void) | null = null;
  /** The exception the wait is marked with (with CANCELLED), or NONE. */
  cancel: unknown = NONE;
  constructor(waiter: Waiter, onTimeout: OnTimeout | null) {
    this.waiter = waiter;
    this.onTimeout = onTimeout;
  }
  fire(): void {
    this.waiter.fire();
  }
}
settleLayout(() => new WaitExtras(null as unknown as Waiter, null));
settleLayout(() => new Rejection(null));

/**
 * One pending wait of one fiber.
 *
 * Lifecycle: `new Waiter(owner)` → owner puts it in its {@link WaitList} → `start(timeout,
 * signal)` returns the promise → the owner calls `wake(value)` (or the hub marks it with an
 * exception) → the hub resumes it.
 * @internal
 */
export class Waiter<T = unknown> {
  /** Who waits. */
  fiber: Fiber;
  /** The primitive waited on; told when the wait is interrupted. */
  owner: WaitOwner | null;
  /** The hub it waits on: its fiber's. */
  hub: Hub;
  /** Free slot for the owner (the item a putter offers, a count …). */
  data: unknown = undefined;
  /** @internal State (PENDING/WOKEN/WOKEN_ERROR/DONE) and the QUEUED, COMPLETED, POOLED, CANCELLED bits. */
  _state = PENDING;
  /** @internal */ _value: unknown = undefined;
  /** Owner's list links. */
  prev: Waiter | null = null;
  next: Waiter | null = null;
  /**
   * @internal The `onTimeout` given to the constructor, or, once the wait armed a timer or a
   * signal, the {@link WaitExtras} that holds it.
   */
  _t: OnTimeout | WaitExtras | null;
  #promise: Promise<unknown> | undefined = undefined;
  #resolve: ((v: unknown) => void) | undefined = undefined;

  constructor(
    owner: WaitOwner | null,
    onTimeout: ((w: Waiter<never>) => unknown) | null = null,
    fiber: Fiber = currentFiber(),
  ) {
    this.owner = owner;
    this._t = onTimeout;
    this.fiber = fiber;
    this.hub = fiber._homeHub() ?? getHub();
  }

  /**
   * Called when the `timeout` option elapses: its result resolves the wait, its throw rejects
   * it. `null`: the timer wakes the wait (sleep).
   */
  get onTimeout(): OnTimeout | null {
    const t = this._t;
    return t === null || typeof t === 'function' ? t : t.onTimeout;
  }

  /** @internal The `timeout` (ms) of the wait's timer: read when it has elapsed. */
  get _timeoutMs(): number | null {
    const t = this._t;
    return t !== null && typeof t === 'object' ? t.ms : null;
  }

  /** @internal Whether the wait's `timeout` timer is armed. */
  get _timerArmed(): boolean {
    const t = this._t;
    return t !== null && typeof t === 'object' && t.heapIndex >= 0;
  }

  /** @internal The exception to throw instead of resuming, or NONE. */
  get _cancel(): unknown {
    return (this._state & CANCELLED) === 0 ? NONE : (this._t as WaitExtras).cancel;
  }

  /** Whether the wait is still in its owner's list (not woken, not settled). */
  get isPending(): boolean {
    return (this._state & STATE) === PENDING;
  }

  /** Whether the wait has been settled. */
  get isDone(): boolean {
    return (this._state & STATE) === DONE;
  }

  /**
   * Set by the owner once the operation this wait stands for has happened and cannot be undone
   * (a getter took a channel putter's item). A kill or `Timeout` that reaches the wait after that
   * no longer ends it: the wait resolves and the exception is delivered at the fiber's next wait,
   * as for a call that completed without waiting. The wait's own `timeout` option and its call's
   * `signal` are simply too late then.
   */
  get completed(): boolean {
    return (this._state & COMPLETED) !== 0;
  }
  set completed(value: boolean) {
    if (value) this._state |= COMPLETED;
    else this._state &= ~COMPLETED;
  }

  /**
   * Suspend: register the wait on its fiber, arm `timeout` (ms; null/undefined = forever) and
   * `signal`, let the hub run others, and return the promise the hub settles.
   */
  start(timeout?: number | null, signal?: AbortSignal | null): Promise<T> {
    const p = new Promise<T>(executor as never);
    this.#promise = p;
    this.#resolve = tmpResolve;
    const fiber = this.fiber;
    if (fiber._wait === null) fiber._wait = this;
    else fiber._addWait(this);
    const hub = this.hub;
    // The armed interrupt stays pending until thrown: every wait started before then throws it too.
    const fx = fiber._fx;
    if (fx !== null && fx.exc !== NONE) this._cancelWith(fx.exc);
    else if (fiber === rawCallbackFiber) this._cancelWith(rawWaitError());
    if (timeout !== undefined && timeout !== null && (this._state & STATE) === PENDING) {
      const t = Waiter.#extras(this);
      t.ms = timeout;
      hub.addTimer(t, timeout);
    }
    if (signal !== undefined && signal !== null) Waiter.#listen(this, signal);
    if (hub.holder === fiber && holdTurn === 0) hub.release();
    return p;
  }

  // Not inline in start(): a closure there would make every call allocate a context for the
  // variables it captures, signal or not.
  static #listen(self: Waiter, signal: AbortSignal): void {
    const listener = (): void => {
      markCancellation(signal.reason);
      self._cancelWith(signal.reason);
    };
    const t = Waiter.#extras(self);
    t.signal = signal;
    t.listener = listener;
    signal.addEventListener('abort', listener, { once: true });
  }

  static #extras(self: Waiter): WaitExtras {
    const t = self._t;
    if (t !== null && typeof t === 'object') return t;
    const timer = new WaitExtras(self, t);
    self._t = timer;
    return timer;
  }

  /**
   * Whether a kill, `Timeout`, the `timeout` option or an aborted `signal` has marked the wait:
   * it will end with that, whatever wakes it. An owner skips such waits when it hands something
   * out ({@link WaitList.shiftLive}).
   */
  get cancelled(): boolean {
    return (this._state & CANCELLED) !== 0;
  }

  /**
   * Wake the wait with `value` (queued on the hub's FIFO). Returns false if it was not pending
   * (already woken or settled). Never switches.
   */
  wake(value?: unknown): boolean {
    if ((this._state & STATE) !== PENDING) return false;
    this._state |= WOKEN;
    this._value = value;
    Waiter.#enqueue(this);
    return true;
  }

  /**
   * {@link Waiter.wake} from a Node callback of the loop, where no greenlet's code runs (a
   * socket's `'data'` event): when the hub has nothing ready and nobody holds the turn, the
   * wait resumes at once ({@link Hub.runNow}) instead of through a drain job; otherwise as
   * `wake`. Only where no user code can run between this wake and the continuation: a kill or
   * `Timeout` that comes later lands at the greenlet's next wait, as after any resumed wait.
   * A fiber holding several waits goes through the queue (nothing lost: see the body).
   * Never switches.
   */
  wakeNow(value?: unknown): boolean {
    if ((this._state & (STATE | QUEUED)) !== PENDING) return this.wake(value);
    this._state |= WOKEN;
    this._value = value;
    // A fiber with several waits (`Promise.all` of two receives) resumes through the queue:
    // the next event of this callback may wake its other wait, and a kill requested then must
    // find both held, to hand both back.
    const fx = this.fiber._fx;
    if ((fx === null || fx.waits === null) && this.hub.runNow(resume, this)) return true;
    Waiter.#enqueue(this);
    return true;
  }

  /** Wake the wait so that it rejects with `err`. Returns false if it was not pending. */
  wakeError(err: unknown): boolean {
    if ((this._state & STATE) !== PENDING) return false;
    this._state |= WOKEN_ERROR;
    this._value = err;
    Waiter.#enqueue(this);
    return true;
  }

  /** Whether the wait was woken with a value it has not resumed with yet. */
  get held(): boolean {
    return (this._state & STATE) === WOKEN;
  }

  /** The value it was woken with. */
  get value(): unknown {
    return this._value;
  }

  static #enqueue(self: Waiter): void {
    if ((self._state & QUEUED) !== 0) return;
    self._state |= QUEUED;
    self.hub.schedule(resume, self);
  }

  /**
   * Mark the wait to throw `exc` when the hub reaches it (first mark wins). A woken wait that
   * holds what woke it hands it back now, not when it resumes: a mark wins over a wake, so it
   * can only reject, and what it held must be available at once to whoever asks next (the item
   * to the next `get`, ahead of the items queued behind it). @internal
   */
  _cancelWith(exc: unknown): void {
    const state = this._state;
    if ((state & STATE) === DONE) return;
    if ((state & CANCELLED) !== 0) return;
    Waiter.#extras(this).cancel = exc;
    this._state = state | CANCELLED;
    Waiter.#enqueue(this);
    if ((state & (STATE | COMPLETED)) === WOKEN && this.owner !== null) Waiter.#handBack(this);
  }

  /**
   * A woken, marked wait gives back what it held ({@link WaitOwner.abortWait} with `held`), and
   * becomes a wait woken with an error: its resumption rejects with the mark as before, and
   * neither it nor an abandonment hands anything back a second time.
   */
  static #handBack(self: Waiter): void {
    try {
      (self.owner as WaitOwner).abortWait(self, true);
    } catch (err) {
      self.hub.reportError(err, 'abortWait');
    }
    if ((self._state & STATE) === WOKEN) {
      self._state = (self._state & ~STATE) | WOKEN_ERROR;
      self._value = undefined;
    }
  }

  /** Timer expiry: the `timeout` option elapsed, or a sleep ended. @internal */
  fire(): void {
    if (this.onTimeout === null) this.wake(undefined);
    else this._cancelWith(TIMED_OUT);
  }

  /** Resume (called from the hub); gives the fiber the turn when it settles the wait. @internal */
  _resume(): void {
    // The common resumption: woken with a value, not marked, the owner has nothing to commit.
    if ((this._state & (STATE | CANCELLED)) === WOKEN) {
      const owner = this.owner;
      if (owner === null || owner.commitWait === undefined) {
        const resolve = this.#resolve as (v: unknown) => void;
        Waiter.#settle(this);
        resolve(this._value);
        this.hub.holder = this.fiber;
        if ((this._state & POOLED) !== 0) recycle(this);
        return;
      }
    }
    const state = this._state & STATE;
    this._state &= ~QUEUED;
    if (state === DONE) return;
    let exc = this._cancel;
    if (state === WOKEN) {
      if (exc === NONE) {
        const owner = this.owner;
        if (owner !== null && owner.commitWait !== undefined) {
          try {
            owner.commitWait(this);
          } catch (err) {
            Waiter.#extras(this).cancel = exc = err;
            this._state |= CANCELLED;
          }
        }
      } else if (this.completed) {
        Waiter.#resumeCompleted(this, exc);
        return;
      }
    }
    if (exc === NONE && state === PENDING) return; // nothing to do: go on waiting
    const resolve = this.#resolve as (v: unknown) => void;
    const promise = this.#promise as Promise<unknown>;
    if (exc === NONE) {
      Waiter.#settle(this);
      if (state === WOKEN) resolve(this._value);
      else rejectMarked(promise, resolve, this._value);
      this.hub.holder = this.fiber;
      if ((this._state & POOLED) !== 0) recycle(this);
      return;
    } else {
      if (this.owner !== null && state !== WOKEN_ERROR) {
        try {
          this.owner.abortWait(this, state === WOKEN);
        } catch (err) {
          this.hub.reportError(err, 'abortWait');
        }
      }
      Waiter.#settle(this);
      if (exc === TIMED_OUT) {
        try {
          resolve((this.onTimeout as OnTimeout)(this as unknown as Waiter<never>));
        } catch (err) {
          rejectMarked(promise, resolve, err);
        }
      } else {
        this.fiber._delivered(exc);
        rejectMarked(promise, resolve, exc);
      }
    }
    if (this.fiber !== rawCallbackFiber) this.hub.holder = this.fiber;
  }

  /** A {@link Waiter.completed} wait reached by an interrupt: resolve, then re-deliver it. */
  static #resumeCompleted(self: Waiter, exc: unknown): void {
    const t = self._t;
    const callSignal = t === null || typeof t === 'function' ? null : t.signal;
    const resolve = self.#resolve as (v: unknown) => void;
    self._state &= ~CANCELLED;
    Waiter.#settle(self);
    resolve(self._value);
    self.hub.holder = self.fiber;
    if (exc === TIMED_OUT) return;
    if (callSignal !== null && exc === callSignal.reason && !(exc instanceof Cancellation)) return;
    // An interrupt still requested stays so and lands at the next wait; another is requested anew.
    self.fiber._deliver(exc);
  }

  /**
   * Keep this waiter out of the free list when it resumes: someone holds it past its settling
   * (`race()` withdraws the waits it noted when it ends, maybe long after one of them settled;
   * a pooled waiter would by then be another wait's, of any greenlet, and withdrawing it would
   * leave that greenlet waiting forever). @internal
   */
  _keep(): void {
    this._state &= ~POOLED;
  }

  /** Withdraw the wait without settling its promise (its fiber died). @internal */
  _abandon(): void {
    const state = this._state & STATE;
    if (state === DONE) return;
    if (this.owner !== null && state !== WOKEN_ERROR) {
      try {
        this.owner.abortWait(this, state === WOKEN);
      } catch (err) {
        this.hub.reportError(err, 'abortWait');
      }
    }
    Waiter.#settle(this);
  }

  static #settle(self: Waiter): void {
    self._state = DONE | (self._state & (POOLED | CANCELLED));
    const fiber = self.fiber;
    const fx = fiber._fx;
    if (fiber._wait === self && (fx === null || fx.waits === null)) fiber._wait = null;
    else fiber._removeWait(self);
    const t = self._t;
    if (t !== null && typeof t === 'object') {
      if (t.heapIndex >= 0) self.hub.removeTimer(t);
      if (t.signal !== null) {
        t.signal.removeEventListener('abort', t.listener as () => void);
        t.signal = null;
        t.listener = null;
      }
    }
    self.#promise = undefined;
    self.#resolve = undefined;
  }
}

/**
 * Free list of settled waiters (see {@link obtainWaiter}). A hand-off through an Event
 * allocates no Waiter: under a garbage collector that just ran, that object was a third of
 * the allocation of a switch.
 */
const freeList: Waiter[] = [];

/**
 * V8 fixes a class's object layout at its seventh construction (in-object slack tracking), from
 * the shapes of the instances made before that are still alive. If a garbage collection had
 * dropped them all by then, every later Waiter came out as a dictionary of about 1 kB (an idle
 * greenlet then held 1617 B instead of 950 B, after exactly six `joinAll` calls). So the first
 * Waiters are made here, together, while the module loads; they start the free list.
 */
function settleShape(): void {
  for (let i = 0; i < 8; i++) {
    const w = new Waiter(null, null, idleFiber);
    w._state |= POOLED;
    recycle(w);
  }
}

/**
 * The fiber the load-time waiters name. A waiter in the free list keeps the fiber and hub it last
 * served (at most 256 of them, each reused by the next wait): resetting them here made every
 * Event hand-off measurably slower (bench/warm.mjs `switch`).
 */
const idleHub = new Hub();
const idleFiber = { _homeHub: () => idleHub } as unknown as Fiber;

function recycle(w: Waiter): void {
  if (freeList.length < 256) {
    w.data = undefined;
    w._value = undefined;
    w.owner = null;
    freeList.push(w);
  }
}

/**
 * A Waiter from the free list (or a new one), for a primitive that keeps no reference to it
 * once it has woken it: it is reused as soon as it has resumed. Only for waits whose owner
 * drops the waiter when it wakes or aborts it (Event.wait, sleep). Same parameters as the
 * constructor.
 * @internal
 */
export function obtainWaiter<T>(
  owner: WaitOwner | null,
  onTimeout: ((w: Waiter<never>) => unknown) | null,
): Waiter<T> {
  const w = freeList.pop();
  if (w === undefined) {
    const n = new Waiter<T>(owner, onTimeout);
    n._state |= POOLED;
    return n;
  }
  const fiber = currentFiber();
  w.fiber = fiber;
  w.hub = fiber._homeHub() ?? getHub();
  w.owner = owner;
  const t = w._t;
  if (t !== null && typeof t === 'object') t.onTimeout = onTimeout;
  else w._t = onTimeout;
  w._state = PENDING | POOLED;
  w.prev = null;
  w.next = null;
  return w as Waiter<T>;
}

/** gevent's BlockingSwitchOutError: a wait started where nothing may wait. */
function rawWaitError(): Error {
  return new Error(
    'Cannot wait in a rawlink callback: it runs from the hub; use link() for a callback that waits',
  );
}

/**
 * Reject a wait's promise; a rejection by cancellation (kill, Timeout, LoopExit, a signal's
 * reason) is marked handled, so a wait nobody awaits never ends the process
 * (test/core/unhandled.test.ts).
 */
function rejectMarked(p: Promise<unknown>, resolve: (v: unknown) => void, e: unknown): void {
  resolve(new Rejection(e));
  if (isCancellation(e)) markHandled(p);
}

function resume(w: Waiter): void {
  w._resume();
}
setResumeCallback(resume);
settleShape();

/**
 * An intrusive FIFO of pending waits: O(1) push, shift and removal of an interrupted one.
 * As a {@link WaitOwner} it removes an interrupted wait that was still in it.
 * @internal
 */
export class WaitList implements WaitOwner {
  /**
   * The primitive these waits belong to (an event, a queue …), for diagnostics only: run info
   * shows its `stats()` beside a greenlet waiting here. Set once, at construction; no wait
   * pays for it.
   */
  target: object | null;
  #head: Waiter | null = null;
  #tail: Waiter | null = null;
  #size = 0;

  constructor(target: object | null = null) {
    this.target = target;
  }

  get size(): number {
    return this.#size;
  }

  get first(): Waiter | null {
    return this.#head;
  }

  push(w: Waiter): void {
    w.prev = this.#tail;
    w.next = null;
    if (this.#tail === null) this.#head = w;
    else this.#tail.next = w;
    this.#tail = w;
    this.#size++;
  }

  shift(): Waiter | null {
    const w = this.#head;
    if (w === null) return null;
    this.#head = w.next;
    if (this.#head === null) this.#tail = null;
    else this.#head.prev = null;
    w.next = null;
    this.#size--;
    return w;
  }

  /** Remove `w` if it is in this list. */
  remove(w: Waiter): void {
    if (w.prev === null && this.#head !== w) return;
    if (w.prev === null) this.#head = w.next;
    else w.prev.next = w.next;
    if (w.next === null) this.#tail = w.prev;
    else w.next.prev = w.prev;
    w.prev = null;
    w.next = null;
    this.#size--;
  }

  /** Remove and return the oldest wait not already {@link Waiter.cancelled}, or null. */
  shiftLive(): Waiter | null {
    let w = this.#head;
    while (w?.cancelled) w = w.next;
    if (w !== null) this.remove(w);
    return w;
  }

  /** Wake every pending wait in FIFO order with `value`; empties the list. */
  wakeAll(value?: unknown): void {
    let w = this.shift();
    while (w !== null) {
      w.wake(value);
      w = this.shift();
    }
  }

  abortWait(w: Waiter, held: boolean): void {
    if (!held) this.remove(w);
  }

  *[Symbol.iterator](): IterableIterator<Waiter> {
    for (let w = this.#head; w !== null; w = w.next) yield w;
  }
}

/** The options every blocking call takes as its last argument. */
export interface WaitOptions {
  /** Give up after this many milliseconds; `null`/`undefined` waits forever. */
  timeout?: number | null;
  /** Abort the wait when this signal aborts (it rejects with `signal.reason`). */
  signal?: AbortSignal | null;
}

/**
 * What the last {@link readWaitOptions} call read: its `timeout` (ms, or null for forever) and
 * its `signal`. One shared record, so parsing allocates nothing: read it right after the call,
 * before anything else can parse options.
 * @internal
 */
export const waitArgs: { timeout: number | null; signal: AbortSignal | null } = {
  timeout: null,
  signal: null,
};

/**
 * The keys of {@link WaitOptions}: what {@link readWaitOptions} accepts in an options object
 * unless its call names other keys. @internal
 */
export const WAIT_KEYS: readonly string[] = ['timeout', 'signal'];

/**
 * Read `{timeout, signal}` (or a bare number: the timeout) into {@link waitArgs}. Returns the reason the call must reject with — a `TypeError`/`RangeError`
 * for bad options (an unknown key too), `signal.reason` for a pre-aborted signal — or `NONE`. Errors name the call
 * `where`, or with `owner`, `<owner's class>.<where>` (see {@link callName}).
 *
 * An options object may hold only the keys `known` (default {@link WAIT_KEYS}; a call whose
 * options type has more keys passes its own module-level list, and `null` skips the check when
 * the caller checked the keys itself): any other key is a TypeError
 * (`Queue.get: unknown option "timout"; the options are timeout, signal`), as in gevent, where
 * an unknown keyword argument is a TypeError at once. A typo such as `{timout: 5}` was ignored,
 * and the call waited forever. Only an object is checked: no options and a bare number cost
 * nothing more.
 * @internal
 */
export function readWaitOptions(
  opts: unknown,
  where: string,
  owner?: object,
  known?: readonly string[] | null,
): unknown {
  waitArgs.timeout = null;
  waitArgs.signal = null;
  if (opts === undefined || opts === null) return NONE;
  if (typeof opts === 'number') {
    return checkTimeout(opts, where, owner);
  }
  if (typeof opts !== 'object') {
    return new TypeError(
      `${callName(where, owner)}: options must be an object or a timeout in ms, got ${typeof opts}`,
    );
  }
  // Only here, for an options object: no options and a bare number never reach the check.
  if (known !== null) {
    const unknown = checkOptionKeys(opts, known ?? WAIT_KEYS, callName(where, owner));
    if (unknown !== null) return unknown;
  }
  const o = opts as WaitOptions;
  const t = o.timeout;
  if (t !== undefined && t !== null) {
    if (typeof t !== 'number') {
      return new TypeError(
        `${callName(where, owner)}: timeout must be a number of milliseconds, got ${typeof t}`,
      );
    }
    const err = checkTimeout(t, where, owner);
    if (err !== NONE) return err;
  }
  const s = o.signal;
  if (s !== undefined && s !== null) {
    if (!(s instanceof AbortSignal)) {
      return new TypeError(
        `${callName(where, owner)}: signal must be an AbortSignal, got ${typeName(s)}`,
      );
    }
    waitArgs.signal = s;
    if (s.aborted) {
      markCancellation(s.reason);
      return s.reason;
    }
  }
  return NONE;
}

function checkTimeout(t: number, where: string, owner: object | undefined): unknown {
  if (Number.isNaN(t) || t < 0) {
    return new RangeError(
      `${callName(where, owner)}: timeout must be a non-negative number of ms, got ${t}`,
    );
  }
  waitArgs.timeout = t === Number.POSITIVE_INFINITY ? null : t;
  return NONE;
}

/**
 * The name an error gives the call: `where` itself, or with an `owner`, `where` as a method of
 * the owner's class (`Lock.acquire` for a Lock, though the method is Semaphore's). Built only
 * when an error is, so a call with good options allocates nothing for it.
 * @internal
 */
export function callName(where: string, owner: object | undefined): string {
  return owner === undefined ? where : `${owner.constructor.name}.${where}`;
}

/**
 * Check a duration in ms; returns the error to reject with, or NONE.
 * @internal
 */
export function checkMs(ms: unknown, where: string): unknown {
  if (typeof ms !== 'number') {
    return new TypeError(`${where}: ms must be a number of milliseconds, got ${typeof ms}`);
  }
  if (Number.isNaN(ms) || ms < 0) {
    return new RangeError(`${where}: ms must be a non-negative number, got ${ms}`);
  }
  return NONE;
}
settleLayout(() => new WaitList());

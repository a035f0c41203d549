/**
 * `Greenlet`: an async (or plain) function run as a cooperative task under a handle that can
 * be joined, killed, linked and inspected.
 *
 * Design notes.
 * - Start: `start()` captures the caller's async context (an `AsyncResource`, the cheapest
 *   public capture) and queues the start on the hub's FIFO. The hub runs the body inside that
 *   context with `als.enterWith(g)` (one context frame per greenlet), so `getCurrent()` is `g`
 *   after any await, and the spawner's own stores are visible inside. The body's promise is
 *   observed with two shared handlers that find `g` through the same context: no closure per
 *   greenlet. When it settles, that promise job ends by running the hub's next ready callbacks
 *   (`Hub.releaseAtJobEnd`): a greenlet's death costs no drain job of its own.
 * - Size (the spawn and idle-memory budgets; bench/warm.mjs measures both): an idle greenlet
 *   is this record, its context frame, its wait and the promise reaction on its body. So the
 *   record holds only what every greenlet uses — phase and flags in one field, the start
 *   context then the result in one slot, a single argument kept as is (the `args` array is
 *   made when read), the hub it is live on kept (finding it through a state bit cost the switch
 *   a quarter of its speed), no private instance methods (each class that has them gives every instance a brand field) — and the
 *   rest (name, ident, signal, start timer, tree locals) is made on first use,
 *   in a record that takes the spawner's slot; the fiber's rare bookkeeping (several waits,
 *   interrupts, Timeouts) likewise (`FiberMore`, _fiber.ts). 136 B on Node 24
 *   (bench/net/idle-snapshot.mjs shows it per idle connection).
 * - Kill: requested synchronously. A greenlet that has not run yet dies at once (it never runs;
 *   links fire). Otherwise the exception is delivered at its wait (see _fiber.ts). The lazy
 *   `signal` is aborted first. A greenlet that ends by `GreenletExit` is successful, with the
 *   exception as its value (gevent).
 * - Death: value/exception are recorded, then joiners and links are notified from the hub in
 *   link order. A user's `link*` callback starts at once in a greenlet of its own (gevent's
 *   `SpawnedLink`), so it may wait and no other greenlet's interrupt lands in it; `rawlink` and
 *   bookkeeping callbacks run as the hub's RawGreenlet, where a wait is refused. A failure
 *   nobody waits for or linked to (at the moment of death) is reported to
 *   `getHub().exceptionStream`; a killer blocked in `kill()` or `killAll()` does not count, as
 *   their promises never carry the failure (test/core/failures.test.ts "a failure while dying
 *   of a kill is reported …").
 * - Memory: a greenlet that dies after its spawner lets go of it (the slot then holds the
 *   spawn tree's locals map, allocated once per tree), so a worker that spawns its successor
 *   and returns keeps no chain of dead greenlets; what spawner links can keep is bounded by the
 *   greenlets alive at once. The class's layout is fixed at load (`settleShape`).
 * Tests: test/core/greenlet.test.ts, test/core/kill.test.ts, test/core/links.test.ts,
 * test/core/failures.test.ts, test/core/greenlet.memory.test.ts, test/core/layout.test.ts.
 *
 * @module
 */
import { AsyncResource } from 'node:async_hooks';
import { inspect } from 'node:util';
import { Fiber, NONE } from './_fiber.js';
import {
  checkKillException,
  checkOptionsObject,
  isPromiseLike,
  KILL_KEYS,
  settleShape,
  typeName,
} from './_util.js';
import { als, currentFiber, dropLocalsKey } from './context.js';
import { GreenletExit, instantiate, isErrorClass, rejectWait } from './errors.js';
import { getHub, type Hub, type LiveNode, TimerEntry } from './hub.js';
import { type RawGreenlet, runRaw } from './rawgreenlet.js';
import { type ErrorClass, Timeout } from './timeout.js';
import {
  checkMs,
  noteCompletedAtOnce,
  readWaitOptions,
  Waiter,
  type WaitOptions,
  waitArgs,
} from './waiter.js';

// A greenlet's #state: the phase in the low two bits, then flags.
const ST_NEW = 0;
const ST_SCHEDULED = 1;
const ST_RUNNING = 2;
const ST_DEAD = 3;
const PHASE = 3;
/** start() was called (stays set after death). */
const F_STARTED = 4;
/** A link notification is queued. */
const F_NOTIFY = 8;
/** Dead by an exception: #result holds it. */
const F_FAILED = 16;
/** Made with one argument: #args holds it as is (the array is made if `args` is read). */
const F_ONE_ARG = 32;

/** When a link fires: on any death, on success only, on failure only. @internal */
export type LinkKind = 'any' | 'value' | 'exception';
/** What an internal wait on a greenlet (its `Waiter.data`) resolves with. */
type WaitKind = 'join' | 'get' | 'kill';

/** A callback given to {@link Greenlet.link} and friends; called with the dead greenlet. */
export type LinkCallback<T = unknown> = (greenlet: Greenlet<T>) => unknown;

/** A link: what `link`/`rawlink` register (one shared entry may serve many greenlets). @internal */
export interface LinkEntry {
  cb: (g: Greenlet<unknown>) => unknown;
  kind: LinkKind;
  /**
   * Bookkeeping link (Group/Pool membership): does not count as "someone is listening".
   * `'kill'`: a killer's wait (killAll), which counts only when the greenlet dies of the
   * exception its kill delivered: its caller never gets another failure.
   */
  quiet: boolean | 'kill';
  /**
   * A user's `link`/`linkValue`/`linkException`: the callback runs in a greenlet of its own and
   * may wait. Otherwise (rawlink, bookkeeping) it runs from the hub and must not wait.
   */
  spawn: boolean;
  /**
   * Library code that never waits and needs no current greenlet (the collector of `wait` and
   * `joinAll`): called as is, without entering the hub greenlet's context.
   */
  direct: boolean;
}

type Link = LinkEntry | Waiter;
type GreenletClass<R> = new (...a: unknown[]) => Greenlet<Awaited<R>>;

/** Options of {@link Greenlet.kill}. */
export interface KillOptions {
  /** What to throw into the greenlet: an Error instance or class. Default `GreenletExit`. */
  exception?: Error | ErrorClass;
  /** Wait for the greenlet to die (default `true`). */
  block?: boolean;
  /** With `block`, stop waiting after this many ms (the greenlet may live on; no error). */
  timeout?: number | null;
  /** With `block`, abort the wait (rejects with `signal.reason`). */
  signal?: AbortSignal | null;
}

let identCounter = 0;
/** Shared by every greenlet spawned without arguments (an idle greenlet stays small). */
const NO_ARGS: readonly unknown[] = Object.freeze([]);

/**
 * A copy of the constructor's rest arguments: while the rest array itself never escapes, the
 * optimised constructor does not allocate it (spawn without arguments allocates no array).
 */
function copyArgs(args: readonly unknown[]): unknown[] {
  const n = args.length;
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) out[i] = args[i];
  return out;
}

/** The spawner; once the greenlet died after it, the spawn tree's locals (see `spawningGreenlet`). */
type Spawner = Greenlet | RawGreenlet | Map<unknown, unknown>;

/**
 * The rarely used part of a greenlet's state, made on first use. It takes the spawner's slot
 * (and keeps the spawner): a greenlet that never needs it has one field less.
 * @internal
 */
export class Extras {
  spawner: Spawner;
  name: string | undefined = undefined;
  ident = 0;
  abort: AbortController | undefined = undefined;
  killExc: unknown = NONE;
  /**
   * The exception of the latest kill delivered (`killExc` is the first's, kept for the abort
   * signal): a greenlet that survived a first kill may die of a later one, which its killer knows.
   */
  lastKillExc: unknown = NONE;
  startTimer: TimerEntry | undefined = undefined;
  treeLocals: Map<unknown, unknown> | undefined = undefined;
  /** For the greenlet a `link` callback runs in: the greenlet whose death it reports. */
  linkOf: Greenlet | undefined = undefined;
  constructor(spawner: Spawner) {
    this.spawner = spawner;
  }
}

/** How a failing link callback is named in a report: `<callback name> for <Greenlet …>`. */
function linkContext(cb: LinkEntry['cb'], target: Greenlet): string {
  return `${cb.name || 'link callback'} for ${String(target)}`;
}
/** No destroy hook: it would track every greenlet for the GC. */
const CTX_OPTIONS = { requireManualDestroy: true };
const RESOLVED_VOID: Promise<void> = Promise.resolve();

/**
 * The default kill exception. It carries no stack trace: capturing one per kill costs more
 * than the kill itself, and it would only show the killer's frames.
 */
function newExit(): GreenletExit {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new GreenletExit();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function timeoutFalse(): boolean {
  return false;
}
function timeoutUndefined(): undefined {
  return undefined;
}
function timeoutGet(w: { readonly _timeoutMs: number | null }): never {
  // A Timeout of the wait's duration, as every `timeout` option's (its message says it).
  throw new Timeout(w._timeoutMs);
}

/** One argument as `String(g)` shows it: `util.inspect` at depth 1, cut to 50 characters. */
function formatArg(a: unknown): string {
  try {
    return inspect(a, { depth: 1, breakLength: Number.POSITIVE_INFINITY }).slice(0, 50);
  } catch {
    return '<unprintable>'; // a custom inspect that throws must not break reports or links
  }
}

/**
 * Where `race()` notes the greenlets one of its calls starts: while the call runs, every greenlet
 * its fiber starts (`start`, `startLater`, hence `spawn`) is appended to `started`. @internal
 */
export interface StartSink {
  readonly fiber: Fiber;
  readonly started: Greenlet[];
}

/** The sink of the race call running now, or null (the common case: one compare per start). */
let startSink: StartSink | null = null;

/** @internal Install `sink` (null: none) and return the one it replaces (a nested race). */
export function swapStartSink(sink: StartSink | null): StartSink | null {
  const prev = startSink;
  startSink = sink;
  return prev;
}

/** Symbol of the internal membership link used by Group/Pool (it does not count as a listener). @internal */
export const kQuietLink: unique symbol = Symbol('verdant.quietLink');
/** Symbol of the method that adds a prebuilt link entry (joinAll/wait share one). @internal */
export const kAddLink: unique symbol = Symbol('verdant.addLink');
/** Symbol of the method that tells whether a greenlet has a joiner or user link. @internal */
export const kHasListeners: unique symbol = Symbol('verdant.hasListeners');

/**
 * A cooperative task: `fn(...args)` run by the hub, with gevent's `Greenlet` API.
 *
 * `spawn(fn, ...args)` (or `Greenlet.spawn`) creates and starts one; `new Greenlet(fn, ...args)`
 * creates one to `start()` later. Subclasses override `protected run()` instead of passing `fn`.
 * A plain function's return value or throw becomes the greenlet's `value` or `exception`; so
 * does an async function's resolution or rejection. A failure never propagates to the spawner:
 * `get()` rethrows it, `join()` never throws it.
 *
 * Source: `gevent.Greenlet`, gevent's `test__greenlet.py`.
 *
 * @typeParam T - the value the function returns (resolves to)
 * @throws TypeError from the constructor when `fn` is not a function; a subclass that overrides
 *   `run` may omit it (`undefined` or `null`), but any other value is refused, as gevent's
 *   `Greenlet(run=1)` is.
 * @example
 * ```ts
 * import { Greenlet, sleep } from 'verdant';
 * const g = new Greenlet(async (x: number) => { await sleep(10); return x * 2; }, 21);
 * g.start();
 * console.log(await g.get()); // 42
 * ```
 */
export class Greenlet<T = unknown> extends Fiber {
  /** The arguments: an array, or the one argument itself with F_ONE_ARG (no array per greenlet). */
  #args: unknown;
  /**
   * The spawner; once this greenlet died after it, the spawn tree's locals instead (a Map: the
   * spawner is let go, see `spawningGreenlet`, and nothing is allocated for it). Once the rarely
   * used state is needed, the {@link Extras} record, which holds the spawner.
   */
  #sx: Spawner | Extras;
  #fn: ((...args: never[]) => unknown) | undefined;
  /** Phase and flags (ST_*, F_*): one field, to keep an idle greenlet small. */
  #state = ST_NEW;
  /**
   * Scheduled: the spawner's async context (an AsyncResource) carried to the start. Dead: the
   * value, or the exception with F_FAILED. Else undefined.
   */
  #result: unknown = undefined;
  /** Links and joiners, in order: none, one (inline: no array for the common case) or several. */
  #links: Link | Link[] | null = null;
  /** @internal */ _lprev: LiveNode | null = null;
  /** @internal */ _lnext: LiveNode | null = null;
  /** @internal */ _live: Hub | null = null;
  /**
   * @internal The Group/Pool whose intrusive member list holds this greenlet (its first group;
   * further groups hold it in a set), and its neighbours there.
   */
  _group: object | null = null;
  /** @internal */ _gprev: Greenlet | null = null;
  /** @internal */ _gnext: Greenlet | null = null;

  /**
   * @param fn - the function to run (plain or async); omit it (or pass `undefined`/`null`) in a
   *   subclass that overrides `run`
   * @param args - arguments passed to `fn`
   */
  constructor(fn?: (...args: never[]) => T | PromiseLike<T>, ...args: unknown[]) {
    super();
    if (
      typeof fn !== 'function' &&
      (this.run === Greenlet.prototype.run || (fn !== undefined && fn !== null))
    ) {
      throw new TypeError(`Greenlet: fn must be a function, got ${typeName(fn)}`);
    }
    this.#fn = fn as ((...args: never[]) => unknown) | undefined;
    const n = args.length;
    if (n === 1) {
      this.#args = args[0];
      this.#state = F_ONE_ARG;
    } else {
      this.#args = n === 0 ? NO_ARGS : copyArgs(args);
    }
    this.#sx = currentFiber() as Greenlet | RawGreenlet;
  }

  /** The rarely used state, made on first use. */
  static #extras(self: Greenlet): Extras {
    const s = self.#sx;
    if (s instanceof Extras) return s;
    const x = new Extras(s);
    self.#sx = x;
    return x;
  }

  /** The rarely used state if made, else null. */
  static #x(self: Greenlet): Extras | null {
    const s = self.#sx;
    return s instanceof Extras ? s : null;
  }

  static #spawner(self: Greenlet): Spawner {
    const s = self.#sx;
    return s instanceof Extras ? s.spawner : s;
  }

  /**
   * Create a greenlet and start it: same as {@link spawn}. Never switches.
   * @throws TypeError when `fn` is not a function.
   */
  static spawn<R, A extends unknown[]>(
    fn: (...args: A) => R | PromiseLike<R>,
    ...args: A
  ): Greenlet<Awaited<R>> {
    // `new this`: on a subclass, `Actor.spawn(...args)` builds an Actor (gevent's classmethod).
    // biome-ignore lint/complexity/noThisInStatic: the subclass it is called on
    const Ctor = (typeof this === 'function' ? this : Greenlet) as unknown as GreenletClass<R>;
    const g = new Ctor(fn, ...args);
    g.start();
    return g;
  }

  /**
   * Create a greenlet and start it `ms` milliseconds from now: same as {@link spawnLater}.
   * Never switches.
   * @throws TypeError when `fn` is not a function, RangeError/TypeError for a bad `ms`.
   */
  static spawnLater<R, A extends unknown[]>(
    ms: number,
    fn: (...args: A) => R | PromiseLike<R>,
    ...args: A
  ): Greenlet<Awaited<R>> {
    const err = checkMs(ms, 'spawnLater');
    if (err !== NONE) throw err;
    // biome-ignore lint/complexity/noThisInStatic: the subclass it is called on
    const Ctor = (typeof this === 'function' ? this : Greenlet) as unknown as GreenletClass<R>;
    const g = new Ctor(fn, ...args);
    g.startLater(ms);
    return g;
  }

  /**
   * The body. The default calls `fn(...args)`; a subclass overrides it (and passes no `fn`).
   * It runs inside the greenlet; its return value (or resolution) becomes `value`.
   */
  protected run(): T | PromiseLike<T> {
    const fn = this.#fn as (...a: unknown[]) => T | PromiseLike<T>;
    if ((this.#state & F_ONE_ARG) !== 0) return fn(this.#args);
    const args = this.#args as readonly unknown[];
    return args.length === 0 ? fn() : fn(...args);
  }

  /** The arguments `fn` is called with. */
  get args(): readonly unknown[] {
    if ((this.#state & F_ONE_ARG) !== 0) {
      this.#args = [this.#args];
      this.#state &= ~F_ONE_ARG;
    }
    return this.#args as readonly unknown[];
  }

  /**
   * Schedule the greenlet to run: it starts when the caller next waits (or returns to the
   * loop), after the greenlets started before it. A no-op when already started or dead.
   * Never switches.
   */
  start(): void {
    if ((this.#state & PHASE) !== ST_NEW) return;
    Greenlet.#schedule(this);
    getHub().schedule(Greenlet.#begin, this);
  }

  /**
   * Schedule the greenlet to run `ms` milliseconds from now (hub clock). A no-op when already
   * started. Never switches.
   * @throws TypeError/RangeError for a bad `ms`.
   */
  startLater(ms: number): void {
    const err = checkMs(ms, 'startLater');
    if (err !== NONE) throw err;
    if ((this.#state & PHASE) !== ST_NEW) return;
    Greenlet.#schedule(this);
    const timer = new TimerEntry(Greenlet.#startFromTimer, this);
    Greenlet.#extras(this).startTimer = timer;
    getHub().addTimer(timer, ms);
  }

  static #schedule(self: Greenlet): void {
    self.#state = (self.#state & ~PHASE) | ST_SCHEDULED | F_STARTED;
    self.#result = new AsyncResource('Greenlet', CTX_OPTIONS);
    getHub().liveAdd(self);
    if (startSink !== null && currentFiber() === startSink.fiber) startSink.started.push(self);
  }

  static #startFromTimer = (g: unknown): void => {
    const greenlet = g as Greenlet;
    Greenlet.#extras(greenlet).startTimer = undefined;
    getHub().schedule(Greenlet.#begin, greenlet);
  };

  static #begin = (g: Greenlet): void => {
    if ((g.#state & PHASE) !== ST_SCHEDULED) return; // killed before it started
    g.#state = (g.#state & ~PHASE) | ST_RUNNING;
    const ctx = g.#result as AsyncResource;
    g.#result = undefined;
    (g._live ?? getHub()).holder = g;
    ctx.runInAsyncScope(Greenlet.#enter, null, g);
  };

  static #enter = (g: Greenlet): void => {
    als.enterWith(g);
    let r: unknown;
    try {
      r = g.run();
    } catch (err) {
      Greenlet.#die(g, undefined, err);
      return;
    }
    if (isPromiseLike(r)) {
      (r as PromiseLike<unknown>).then(Greenlet.#onValue, Greenlet.#onError);
    } else {
      Greenlet.#die(g, r, NONE);
    }
  };

  // The body settled: these run as a promise job of their own, and nothing runs in it after
  // them, so the hub runs its next ready callbacks right here (no drain job per death).
  static #onValue = (v: unknown): void => {
    Greenlet.#die(als.getStore() as Greenlet, v, NONE, true);
  };

  static #onError = (err: unknown): void => {
    Greenlet.#die(als.getStore() as Greenlet, undefined, err, true);
  };

  static #die(self: Greenlet, value: unknown, exc: unknown, atJobEnd = false): void {
    if ((self.#state & PHASE) === ST_DEAD) return;
    if (exc instanceof GreenletExit) {
      value = exc;
      exc = NONE;
    }
    if (exc === NONE) {
      self.#state = (self.#state & ~PHASE) | ST_DEAD;
      self.#result = value;
    } else {
      self.#state = (self.#state & ~PHASE) | ST_DEAD | F_FAILED;
      self.#result = exc;
    }
    const spawner = Greenlet.#spawner(self);
    if (spawner instanceof Greenlet && (spawner.#state & PHASE) === ST_DEAD) {
      // Let go of a dead spawner (a respawning worker keeps no chain); keep the tree's locals.
      const x = Greenlet.#x(self);
      const locals = x?.treeLocals ?? spawner.spawnTreeLocals;
      if (x === null) self.#sx = locals;
      else x.spawner = locals;
    }
    const hub = self._live ?? getHub();
    dropLocalsKey(self);
    if (self._wait !== null || self._timeouts !== null) self._cleanupAtDeath();
    if (self._live !== null) hub.liveRemove(self);
    if (exc !== NONE && !self[kHasListeners](exc)) {
      const linkOf = Greenlet.#x(self)?.linkOf;
      hub.reportError(
        exc,
        linkOf === undefined ? String(self) : linkContext(self.#fn as LinkEntry['cb'], linkOf),
      );
    }
    if (self.#links !== null) Greenlet.#scheduleNotify(self);
    if (hub.holder === self) {
      if (atJobEnd) hub.releaseAtJobEnd();
      else hub.release();
    }
  }

  static #scheduleNotify(self: Greenlet): void {
    if ((self.#state & F_NOTIFY) !== 0) return;
    self.#state |= F_NOTIFY;
    getHub().schedule(Greenlet.#notify, self);
  }

  static #notify = (g: Greenlet): void => {
    g.#state &= ~F_NOTIFY;
    const failed = (g.#state & F_FAILED) !== 0;
    for (let e = Greenlet.#takeLink(g); e !== undefined; e = Greenlet.#takeLink(g)) {
      if (e instanceof Waiter) {
        const kind = e.data as WaitKind;
        if (kind === 'get' && failed) e.wakeError(g.#result);
        else e.wake(kind === 'get' ? g.#result : kind === 'join' ? true : undefined);
        continue;
      }
      if (e.kind === 'value' && failed) continue;
      if (e.kind === 'exception' && !failed) continue;
      if (e.spawn) {
        // gevent's SpawnedLink: a greenlet of its own, started at once, so it may wait and no
        // interrupt of another greenlet (main's Timeout, LoopExit) lands in it.
        const lg = new Greenlet(e.cb, g);
        Greenlet.#extras(lg).linkOf = g;
        Greenlet.#schedule(lg);
        Greenlet.#begin(lg);
        continue;
      }
      if (e.direct) {
        try {
          e.cb(g);
        } catch (err) {
          Greenlet.#reportLink(g, e.cb, err);
        }
        continue;
      }
      try {
        // From the hub, as the hub greenlet: not inside whichever greenlet last held the turn.
        const r = runRaw(e.cb, g);
        if (isPromiseLike(r)) Greenlet.#reportRejection(g, e.cb, r as PromiseLike<unknown>);
      } catch (err) {
        Greenlet.#reportLink(g, e.cb, err);
      }
    }
  };

  /** Report a link callback's rejection (a closure here, not in #notify, which runs per death). */
  static #reportRejection(g: Greenlet, cb: LinkEntry['cb'], r: PromiseLike<unknown>): void {
    r.then(undefined, (err: unknown) => Greenlet.#reportLink(g, cb, err));
  }

  static #reportLink(self: Greenlet, cb: LinkEntry['cb'], err: unknown): void {
    getHub().reportError(err, linkContext(cb, self));
  }

  /** Remove and return the first link, or undefined. */
  static #takeLink(self: Greenlet): Link | undefined {
    const l = self.#links;
    if (l === null) return undefined;
    if (!Array.isArray(l)) {
      self.#links = null;
      return l;
    }
    const e = l.shift();
    if (l.length === 0) self.#links = null;
    return e;
  }

  /** Remove the links for which `match` is true. */
  static #removeLinks(self: Greenlet, match: (e: Link) => boolean): void {
    const l = self.#links;
    if (l === null) return;
    if (!Array.isArray(l)) {
      if (match(l)) self.#links = null;
      return;
    }
    for (let i = l.length - 1; i >= 0; i--) if (match(l[i] as Link)) l.splice(i, 1);
    if (l.length === 0) self.#links = null;
  }

  /** @internal */
  override _homeHub(): Hub | null {
    return this._live;
  }

  /**
   * @internal Whether someone waits on this greenlet or user code linked to it, for a death by
   * `exc`. A killer blocked in `kill({block: true})` or `killAll` counts only when `exc` is the
   * exception its kill delivered: its promise never carries another failure, so a `finally`
   * that throws while dying would go unseen (gevent reports it).
   */
  [kHasListeners](exc: unknown = NONE): boolean {
    const l = this.#links;
    if (l === null) return false;
    if (!Array.isArray(l)) return Greenlet.#listens(this, l, exc);
    for (const e of l) {
      if (Greenlet.#listens(this, e, exc)) return true;
    }
    return false;
  }

  static #listens(self: Greenlet, e: LinkEntry | Waiter, exc: unknown): boolean {
    const killer = e instanceof Waiter ? e.data === 'kill' : e.quiet === 'kill';
    if (killer) {
      const x = Greenlet.#x(self);
      return exc !== NONE && x !== null && (exc === x.killExc || exc === x.lastKillExc);
    }
    return e instanceof Waiter || !e.quiet;
  }

  /** @internal Add a prebuilt (possibly shared) link entry unless this greenlet has it already; returns whether it was added. */
  [kAddLink](entry: LinkEntry): boolean {
    const l = this.#links;
    if (l === entry || (Array.isArray(l) && l.includes(entry))) return false;
    Greenlet.#addLink(this, entry);
    return true;
  }

  /** @internal A waiter was interrupted: drop it from the links. */
  abortWait(w: Waiter): void {
    Greenlet.#removeLinks(this, (e) => e === w);
  }

  static #addLink(self: Greenlet, e: Link): void {
    const l = self.#links;
    if (l === null) self.#links = e;
    else if (Array.isArray(l)) l.push(e);
    else self.#links = [l, e];
    if ((self.#state & PHASE) === ST_DEAD) Greenlet.#scheduleNotify(self);
  }

  // ---- state ----

  /** Whether `start()` (or spawn) was called; stays true after death. */
  get started(): boolean {
    return (this.#state & F_STARTED) !== 0;
  }

  /** Whether the greenlet has finished, or was killed before it ran. */
  get dead(): boolean {
    return (this.#state & PHASE) === ST_DEAD;
  }

  /** Whether the greenlet has finished (same as `dead`). */
  ready(): boolean {
    return (this.#state & PHASE) === ST_DEAD;
  }

  /** Whether it finished without an exception (ending by `GreenletExit` counts as success). */
  successful(): boolean {
    return (this.#state & (PHASE | F_FAILED)) === ST_DEAD;
  }

  /** The return value once it succeeded (the `GreenletExit` when killed); else `undefined`. */
  get value(): T | undefined {
    return (this.#state & (PHASE | F_FAILED)) === ST_DEAD ? (this.#result as T) : undefined;
  }

  /** The exception it failed with, or `undefined`. */
  get exception(): unknown {
    return (this.#state & F_FAILED) !== 0 ? this.#result : undefined;
  }

  /** A small number unique to this greenlet in this process, given on first use. */
  get minimalIdent(): number {
    const x = Greenlet.#extras(this);
    if (x.ident === 0) x.ident = ++identCounter;
    return x.ident;
  }

  /** The greenlet's name; defaults to `Greenlet-<minimalIdent>`. Assignable. */
  get name(): string {
    return Greenlet.#x(this)?.name ?? `Greenlet-${this.minimalIdent}`;
  }
  /** Rename the greenlet (the value is converted with `String`). */
  set name(value: string) {
    Greenlet.#extras(this).name = String(value);
  }

  /**
   * The greenlet (or main, or another `RawGreenlet`) that was current when this one was
   * created; `null` once this greenlet has died after its spawner did. Never switches.
   *
   * A greenlet that dies lets go of a spawner that is already dead, so a worker that spawns its
   * successor and returns, over and over, keeps no chain of dead greenlets in memory. The rule
   * is deterministic: a live greenlet always returns its spawner (dead or not), and a dead one
   * returns it unless the spawner had died first. The memory a greenlet can keep this way is
   * bounded by the number of greenlets that were ever alive at once.
   *
   * Source: gevent's `spawning_greenlet`, a weak reference that returns `None` once the spawner
   * is gone; here that moment is fixed (the later of the two deaths) rather than left to the
   * garbage collector.
   * @example
   * ```ts
   * import { getCurrent, spawn } from 'verdant';
   * const child = spawn(() => getCurrent());
   * console.log(child.spawningGreenlet === getCurrent()); // true: main spawned it
   * ```
   */
  get spawningGreenlet(): Greenlet | RawGreenlet | null {
    const s = Greenlet.#spawner(this);
    return s instanceof Map ? null : s;
  }

  /**
   * A map shared by this greenlet and every greenlet it (transitively) spawns; each child of
   * the main program (or of another `RawGreenlet`) gets its own. Made on first use (or when
   * the greenlet lets go of its dead spawner, see {@link Greenlet.spawningGreenlet}), so a
   * greenlet that never touches it pays nothing. Never switches.
   *
   * Source: gevent's `spawn_tree_locals` and `test__greenlet.py` `test_tree_locals`. gevent
   * shares the spawner's dict at creation; here it is shared on first use, with the same result.
   * @example
   * ```ts
   * import { getCurrent, spawn, type Greenlet } from 'verdant';
   * const root = spawn(async () => {
   *   (getCurrent() as Greenlet).spawnTreeLocals.set('requestId', 7);
   *   const child = spawn(() => (getCurrent() as Greenlet).spawnTreeLocals.get('requestId'));
   *   return await child.get(); // 7
   * });
   * ```
   */
  get spawnTreeLocals(): Map<unknown, unknown> {
    const s = Greenlet.#spawner(this);
    if (s instanceof Map) return s; // let go of its spawner: the slot holds the tree's map
    const x = Greenlet.#extras(this);
    if (x.treeLocals === undefined) {
      x.treeLocals = s instanceof Greenlet ? s.spawnTreeLocals : new Map();
    }
    return x.treeLocals;
  }

  /**
   * An `AbortSignal` aborted when the greenlet is killed (before the exception is thrown, with it
   * as `reason`): give it to foreign APIs so they stop at once. Not aborted by a normal end.
   */
  get signal(): AbortSignal {
    const x = Greenlet.#extras(this);
    if (x.abort === undefined) {
      x.abort = new AbortController();
      if (x.killExc !== NONE) x.abort.abort(x.killExc);
    }
    return x.abort.signal;
  }

  // ---- waiting on it ----

  /**
   * Wait until the greenlet is dead.
   *
   * A switch point unless it is already dead. Kill and `Timeout` land here. Never throws the
   * greenlet's failure.
   * @param options - `{timeout, signal}` or a timeout in ms
   * @returns true when dead, false when `timeout` elapsed first
   * @throws TypeError/RangeError for bad options (an unknown key too) (rejects)
   */
  join(options?: WaitOptions | number | null): Promise<boolean> {
    const err = readWaitOptions(options, 'Greenlet.join');
    if (err !== NONE) return rejectWait(err);
    if ((this.#state & PHASE) === ST_DEAD) {
      noteCompletedAtOnce();
      return Promise.resolve(true);
    }
    return Greenlet.#wait(this, 'join', timeoutFalse) as Promise<boolean>;
  }

  /**
   * Wait until the greenlet is dead and return its value, or throw its failure.
   *
   * A switch point unless it is already dead. Kill and `Timeout` land here.
   * @param options - `{timeout, signal}` or a timeout in ms
   * @returns the value (the `GreenletExit` if it was killed)
   * @throws the greenlet's exception; a `Timeout` when `timeout` elapses (gevent's `get(timeout)`)
   *   (and TypeError for an unknown option key)
   */
  get(options?: WaitOptions | number | null): Promise<T> {
    const err = readWaitOptions(options, 'Greenlet.get');
    if (err !== NONE) return rejectWait(err);
    if ((this.#state & PHASE) === ST_DEAD) {
      noteCompletedAtOnce();
      return (this.#state & F_FAILED) === 0
        ? Promise.resolve(this.#result as T)
        : Promise.reject(this.#result);
    }
    return Greenlet.#wait(this, 'get', timeoutGet) as Promise<T>;
  }

  static #wait(
    self: Greenlet,
    kind: WaitKind,
    onTimeout: (w: Waiter<never>) => unknown,
  ): Promise<unknown> {
    const w = new Waiter(self, onTimeout);
    w.data = kind;
    Greenlet.#addLink(self, w);
    return w.start(waitArgs.timeout, waitArgs.signal);
  }

  /**
   * Kill the greenlet: throw `exception` (default `GreenletExit`) into it at its current wait, or
   * its next one. A greenlet that has not started yet dies at once without running. Its
   * `signal` is aborted synchronously. Requesting is idempotent: two kills deliver one exception.
   *
   * With `block` (default) it waits for the greenlet to die, up to `timeout` (then it resolves
   * anyway: a stubborn greenlet may live on). That wait is a switch point of the killer.
   * @returns a promise that never rejects because of the target
   * @throws TypeError for a bad `exception`, or options that are not an object — an Error
   *   there (gevent's positional `kill(exception)`) must be given as `{exception}` (rejects); the
   *   killer's own kill or Timeout while blocked; TypeError for an unknown option key
   */
  kill(options: KillOptions = {}): Promise<void> {
    if (typeof options !== 'object' || options === null || options instanceof Error) {
      return Promise.reject(
        checkOptionsObject(options, 'Greenlet.kill') ??
          new TypeError(`Greenlet.kill: options must be an object, got ${typeName(options)}`),
      );
    }
    const exc = options.exception;
    const bad = checkKillException(exc, 'Greenlet.kill');
    if (bad !== null) return Promise.reject(bad);
    const err = readWaitOptions(options, 'Greenlet.kill', undefined, KILL_KEYS);
    if (err !== NONE) return rejectWait(err);
    if ((this.#state & PHASE) !== ST_DEAD) Greenlet.#requestKill(this, exc ?? newExit, true);
    if (options.block === false || (this.#state & PHASE) === ST_DEAD) return RESOLVED_VOID;
    return Greenlet.#wait(this, 'kill', timeoutUndefined) as Promise<void>;
  }

  /**
   * Throw `err` into the greenlet at its current (or next) wait, without waiting — gevent's
   * `Greenlet.throw`. Unlike `kill`, its `signal` is not aborted. Never switches.
   * @throws TypeError when `err` is not an Error instance or class.
   */
  throw(err: Error | ErrorClass = GreenletExit): void {
    if (!(err instanceof Error) && !isErrorClass(err)) {
      throw new TypeError(
        `Greenlet.throw: err must be an Error instance or an Error class, got ${typeName(err)}`,
      );
    }
    if ((this.#state & PHASE) !== ST_DEAD) Greenlet.#requestKill(this, err, false);
  }

  static #requestKill(
    self: Greenlet,
    exc: Error | ErrorClass | (() => Error),
    abort: boolean,
  ): void {
    const x = Greenlet.#extras(self);
    if (x.killExc !== NONE && self._isPending(x.killExc)) return;
    const e =
      exc === newExit
        ? newExit()
        : typeof exc === 'function'
          ? instantiate(exc as new () => Error)
          : exc;
    if (abort) {
      x.lastKillExc = e;
      if (x.killExc === NONE) {
        x.killExc = e;
        x.abort?.abort(e);
      }
    }
    const phase = self.#state & PHASE;
    if (phase === ST_NEW || phase === ST_SCHEDULED) {
      if (x.startTimer !== undefined) {
        getHub().removeTimer(x.startTimer);
        x.startTimer = undefined;
      }
      Greenlet.#die(self, undefined, e);
      return;
    }
    self._deliver(e);
  }

  // ---- links ----

  /**
   * Call `cb(this)` once the greenlet is dead (also when linked after its death), in a greenlet
   * of its own started from the hub, so it may wait: `getCurrent()` there is that greenlet, and
   * no other greenlet's kill or `Timeout` lands in it. Callbacks start in link order; one that
   * throws is reported as `<callback name> for <Greenlet …>` and the others still run.
   * Never switches.
   *
   * Source: gevent's `Greenlet.link` (`SpawnedLink`), `test__greenlet.py` TestLink.
   * @throws TypeError when `cb` is not a function.
   * @example
   * ```ts
   * import { spawn } from 'verdant';
   * const g = spawn(() => 42);
   * g.link((dead) => console.log('done with', dead.value));
   * ```
   */
  link(cb: LinkCallback<T>): void {
    Greenlet.#link(this, cb as LinkCallback<never>, 'any', false, true, 'link');
  }

  /** Like {@link Greenlet.link}, only when the greenlet succeeded. */
  linkValue(cb: LinkCallback<T>): void {
    Greenlet.#link(this, cb as LinkCallback<never>, 'value', false, true, 'linkValue');
  }

  /** Like {@link Greenlet.link}, only when the greenlet failed. */
  linkException(cb: LinkCallback<T>): void {
    Greenlet.#link(this, cb as LinkCallback<never>, 'exception', false, true, 'linkException');
  }

  /**
   * Call `cb(this)` from the hub once the greenlet is dead, in no greenlet of its own (gevent's
   * `rawlink`): it must not wait — a verdant wait started there rejects with an `Error`
   * (gevent's `BlockingSwitchOutError`); `getCurrent()` there is the hub's `RawGreenlet`.
   * Never switches.
   * @throws TypeError when `cb` is not a function.
   */
  rawlink(cb: LinkCallback<T>): void {
    Greenlet.#link(this, cb as LinkCallback<never>, 'any', false, false, 'rawlink');
  }

  /** @internal A link that does not count as a listener (Group/Pool bookkeeping). */
  [kQuietLink](cb: LinkCallback<T>): void {
    Greenlet.#link(this, cb as LinkCallback<never>, 'any', true, false, 'link');
  }

  static #link(
    self: Greenlet,
    cb: LinkCallback<never>,
    kind: LinkKind,
    quiet: boolean,
    spawn: boolean,
    where: string,
  ): void {
    if (typeof cb !== 'function') {
      throw new TypeError(`Greenlet.${where}: cb must be a function, got ${typeName(cb)}`);
    }
    const cb1 = cb as unknown as LinkEntry['cb'];
    Greenlet.#addLink(self, { cb: cb1, kind, quiet, spawn, direct: false });
  }

  /** Remove every link of `cb`. Never switches. */
  unlink(cb: LinkCallback<T>): void {
    Greenlet.#removeLinks(this, (e) => !(e instanceof Waiter) && e.cb === (cb as unknown));
  }

  // ---- printing ----

  /** `<Greenlet "name" #ident: fn(args)>` (a subclass shows its class name and `run`). */
  override toString(): string {
    const fnName =
      this.#fn !== undefined && this.run === Greenlet.prototype.run
        ? this.#fn.name || '<anonymous>'
        : 'run';
    const args = this.args.map(formatArg);
    return `<${this.constructor.name} "${this.name}" #${this.minimalIdent}: ${fnName}(${args.join(', ')})>`;
  }

  /** Short form used when a greenlet is printed inside something else. */
  [inspect.custom](): string {
    return `<${this.constructor.name} "${this.name}" #${this.minimalIdent}>`;
  }
}
settleShape(() => new Greenlet(Boolean));
settleShape(() => new Extras(null as unknown as Spawner));

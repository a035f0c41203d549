/**
 * `RawGreenlet`: the greenlet library's explicit `switch`/`throw` model, and the main greenlet.
 *
 * Design note: the hub never schedules a raw greenlet on its own (except `spawnRaw`). Control
 * moves only by `switch`, `throw` and a finishing `run`: the caller first registers its own
 * pending switch (a Waiter), then hands the arguments to the target — starting it through the
 * hub if it never ran, or waking its pending switch. A finished greenlet's value goes to its
 * *parent*'s pending switch (not to whoever switched to it last); a value sent to a fiber that
 * is not suspended in a switch is dropped (an error is reported). Tests:
 * test/core/rawgreenlet.test.ts (greenlet's own test_greenlet.py cases and seed 004's sample).
 *
 * @module
 */
import { AsyncResource } from 'node:async_hooks';
import { Fiber, setRawCallbackFiber } from './_fiber.js';
import { isPromiseLike, typeName } from './_util.js';
import { als, currentFiber, setMainFactory } from './context.js';
import { GreenletExit, instantiate, isErrorClass, LoopExit, rejectWait } from './errors.js';
import type { Greenlet } from './greenlet.js';
import { getHub } from './hub.js';
import { Waiter, type WaitOwner } from './waiter.js';

const ST_NEW = 0;
const ST_RUNNING = 1;
const ST_DEAD = 2;

/** The pending `switch`/`throw` of each fiber suspended in one. */
const switchWaits = new WeakMap<Fiber, Waiter>();

const switchOwner: WaitOwner = {
  abortWait(w: Waiter): void {
    if (switchWaits.get(w.fiber) === w) switchWaits.delete(w.fiber);
  },
};

let rawCounter = 0;

function pack(args: readonly unknown[]): unknown {
  return args.length === 0 ? undefined : args.length === 1 ? args[0] : args;
}

/**
 * A greenlet of the `greenlet` library: a function that runs only when something switches to
 * it, and hands control back explicitly.
 *
 * `new RawGreenlet(run, parent = getCurrent())` does not start it. `await g.switch(...args)`
 * suspends the caller and resumes `g` (the first switch calls `run(...args)`); when `run`
 * returns, its value goes to `g.parent`'s pending switch. The main program is the RawGreenlet
 * named "main" (parent `null`, never dead) that `getCurrent()` returns outside any greenlet.
 *
 * Concurrency: `switch` and `throw` are switch points of the caller; kill and `Timeout` land at
 * them like at any wait.
 *
 * Source: `greenlet.greenlet` (`switch`, `throw`, `parent`, `dead`, `run`), greenlet's
 * `test_greenlet.py`; seed 004's sample.
 *
 * @throws TypeError from the constructor when `run` is given and is not a function.
 * @example
 * ```ts
 * import { getCurrent, RawGreenlet } from 'verdant';
 * const main = getCurrent() as RawGreenlet; // the top level runs in the main greenlet
 * const g = new RawGreenlet(async (x: number) => {
 *   const y = (await main.switch(x + 1)) as number; // hand 2 to main, wait for the next switch
 *   return y * 10;
 * });
 * const a = await g.switch(1); // 2
 * const b = await g.switch(5); // 50 (g returned: its value goes to its parent, main)
 * ```
 */
export class RawGreenlet extends Fiber {
  /** The function the first switch calls (`undefined` for main). */
  readonly run: ((...args: never[]) => unknown) | undefined;
  #parent: RawGreenlet | Greenlet | null = null;
  #state = ST_NEW;
  #name: string;
  #isMain = false;

  /**
   * @param run - the function to run on the first switch
   * @param parent - receives `run`'s result; defaults to the current greenlet
   */
  constructor(
    run?: (...args: never[]) => unknown,
    parent: RawGreenlet | Greenlet | null = currentFiber() as RawGreenlet | Greenlet,
  ) {
    super();
    if (run !== undefined && typeof run !== 'function') {
      throw new TypeError(`RawGreenlet: run must be a function, got ${typeName(run)}`);
    }
    this.run = run;
    this.parent = parent;
    this.#name = `RawGreenlet-${++rawCounter}`;
  }

  /**
   * Where the value (or error) goes when `run` ends; `null` for main and `spawnRaw`.
   * @throws TypeError when set to something that is not a greenlet, or to one whose parent
   *   chain leads back to this one (greenlet's "cyclic parent chain"), or on a main greenlet
   *   (greenlet's "cannot set the parent of a main greenlet")
   */
  get parent(): RawGreenlet | Greenlet | null {
    return this.#parent;
  }
  /** Re-parent the greenlet (see the getter for what is refused). */
  set parent(p: RawGreenlet | Greenlet | null) {
    if (this.#isMain) throw new TypeError('RawGreenlet: cannot set the parent of a main greenlet');
    if (p !== null && !(p instanceof Fiber)) {
      throw new TypeError(`RawGreenlet: parent must be a greenlet or null, got ${typeName(p)}`);
    }
    for (let q: unknown = p; q instanceof RawGreenlet; q = q.parent) {
      if (q === this) {
        throw new TypeError(
          'RawGreenlet: parent must not lead back to this greenlet, got a cyclic parent chain',
        );
      }
    }
    this.#parent = p;
  }

  /** Whether `run` has finished (main is never dead). */
  get dead(): boolean {
    return this.#state === ST_DEAD;
  }

  /** Whether `run` has been started and has not finished (main: always). */
  get started(): boolean {
    return this.#state !== ST_NEW;
  }

  /** The greenlet's name ("main" for the main greenlet). */
  get name(): string {
    return this.#name;
  }

  /**
   * Suspend the caller and resume this greenlet with `args` (one as itself, several as an
   * array, none as `undefined`); the first switch calls `run(...args)`. A switch to a dead
   * greenlet goes to its parent (and up).
   *
   * A switch point of the caller: kill and `Timeout` land here.
   * @returns what is next switched to the caller (or returned to it as a parent)
   * @throws TypeError (rejects) when this greenlet has no `run` to start; Error (rejects,
   *   nothing moves) when the caller is already suspended in a switch or throw it has not
   *   awaited — a greenlet holds one pending switch at a time
   */
  switch(...args: unknown[]): Promise<unknown> {
    return transfer(currentFiber(), this, args, undefined, false);
  }

  /**
   * Suspend the caller and raise `err` at this greenlet's pending switch (a never-started one
   * dies without running). A `GreenletExit` that ends it becomes its return value.
   *
   * A switch point of the caller.
   * Source: greenlet's `greenlet.throw(typ=GreenletExit)` (test_throw.py).
   * @param err - an Error instance, or an Error class, instantiated once (as greenlet's
   *   `throw(RuntimeError)`)
   * @returns what this greenlet next switches to the caller or returns (if the caller is its parent)
   * @throws TypeError when `err` is neither an Error instance nor an Error class (rejects, and
   *   switches nowhere: greenlet's "exceptions must be classes, or instances")
   */
  throw(err: unknown = new GreenletExit()): Promise<unknown> {
    if (isErrorClass(err)) err = instantiate(err as new () => Error);
    else if (!(err instanceof Error)) {
      return rejectWait(
        new TypeError(
          `RawGreenlet.throw: err must be an Error instance or an Error class, got ${typeName(err)}`,
        ),
      );
    }
    return transfer(currentFiber(), this, [], err, true);
  }

  /** `<RawGreenlet "name">`. */
  override toString(): string {
    return `<RawGreenlet "${this.#name}">`;
  }

  /** @internal The main greenlet, or the hub's (rawlink callbacks run as it). */
  static _makeMain(name = 'main'): RawGreenlet {
    const m = new RawGreenlet(undefined, null);
    m.#name = name;
    m.#state = ST_RUNNING;
    m.#isMain = true;
    return m;
  }

  /** @internal Start `run(...args)` from the hub. */
  static _start(g: RawGreenlet, args: readonly unknown[], sendResult: boolean): void {
    getHub().schedule(RawGreenlet.#begin, { g, args, sendResult });
  }

  static #begin = (job: {
    g: RawGreenlet;
    args: readonly unknown[];
    sendResult: boolean;
  }): void => {
    const { g, args } = job;
    if (g.#state !== ST_NEW) return;
    if (typeof g.run !== 'function') {
      // greenlet's AttributeError "run": g stays unstarted (a run may be given later) and the
      // error goes where g's result would.
      const err = new TypeError(
        `RawGreenlet: cannot start ${String(g)}: it has no run function (pass one to new RawGreenlet(run))`,
      );
      send(g, g.parent, [], err, true);
      return;
    }
    g.#state = ST_RUNNING;
    getHub().holder = g;
    als.run(g, () => {
      let r: unknown;
      try {
        r = (g.run as (...a: unknown[]) => unknown)(...args);
      } catch (err) {
        g.#finish(undefined, err, true);
        return;
      }
      if (isPromiseLike(r)) {
        (r as PromiseLike<unknown>).then(
          (v) => g.#finish(v, undefined, false),
          (err: unknown) => g.#finish(undefined, err, true),
        );
      } else {
        g.#finish(r, undefined, false);
      }
    });
  };

  #finish(value: unknown, err: unknown, failed: boolean): void {
    this.#state = ST_DEAD;
    if (this._wait !== null || this._timeouts !== null) this._cleanupAtDeath();
    const hub = getHub();
    if (hub.holder === this) hub.release();
    if (failed && err instanceof GreenletExit) {
      value = err;
      failed = false;
    }
    send(this, this.parent, failed ? [] : [value], err, failed);
  }

  /** @internal Die without running (thrown into before start). */
  _dieUnstarted(err: unknown): void {
    this.#state = ST_DEAD;
    if (err instanceof GreenletExit) send(this, this.parent, [err], undefined, false);
    else send(this, this.parent, [], err, true);
  }

  /** @internal */
  get _isNew(): boolean {
    return this.#state === ST_NEW;
  }
}

function transfer(
  from: Fiber,
  target: RawGreenlet,
  args: readonly unknown[],
  err: unknown,
  isErr: boolean,
): Promise<unknown> {
  // rejectWait: a GreenletExit thrown into oneself is a cancellation, marked handled as any.
  if (target === from) return isErr ? rejectWait(err) : Promise.resolve(pack(args));
  if (switchWaits.get(from)?.isPending === true) {
    // greenlet's caller is suspended until switched back to: a second switch started before the
    // first settled would orphan the first (one pending switch per greenlet), which then never
    // settles. Refuse it; nothing moves.
    return rejectWait(
      new Error(
        `Cannot ${isErr ? 'throw into' : 'switch to'} ${String(target)}: ${String(from)} is already suspended in a switch (await it first)`,
      ),
    );
  }
  if (isErr && target.dead && err instanceof GreenletExit) {
    // A dead greenlet "ends again" by it: a GreenletExit becomes its return value.
    args = [err];
    isErr = false;
  }
  const w = new Waiter(switchOwner, null, from);
  switchWaits.set(from, w);
  const p = w.start();
  send(from, target, args, err, isErr);
  return p;
}

/** Hand `args` (or `err`) to `target`: start it, wake its pending switch, or pass to its parent. */
function send(
  from: Fiber,
  target: Fiber | null,
  args: readonly unknown[],
  err: unknown,
  isErr: boolean,
): void {
  while (target instanceof RawGreenlet && target.dead) target = target.parent;
  if (target === null) {
    if (isErr) getHub().reportError(err, String(from));
    return;
  }
  if (target instanceof RawGreenlet && target._isNew) {
    if (isErr) target._dieUnstarted(err);
    else RawGreenlet._start(target, args, true);
    return;
  }
  const w = switchWaits.get(target);
  if (w?.isPending) {
    switchWaits.delete(target);
    if (isErr) w.wakeError(err);
    else w.wake(pack(args));
    return;
  }
  // The target is not suspended in a switch: the value is dropped, an error reported.
  if (isErr) getHub().reportError(err, String(from));
}

/**
 * Run `fn(...args)` from the hub as a bare {@link RawGreenlet}: no `Greenlet` handle, no links,
 * no parent (its result is dropped; a failure is reported). Never switches.
 *
 * Source: `gevent.spawn_raw`.
 * @throws TypeError when `fn` is not a function.
 * @example
 * ```ts
 * import { sleep, spawnRaw } from 'verdant';
 * spawnRaw(() => console.log('ran from the hub'));
 * await sleep();
 * ```
 */
export function spawnRaw(fn: (...args: never[]) => unknown, ...args: unknown[]): RawGreenlet {
  if (typeof fn !== 'function')
    throw new TypeError(`spawnRaw: fn must be a function, got ${typeName(fn)}`);
  const g = new RawGreenlet(fn, null);
  RawGreenlet._start(g, args, false);
  return g;
}

let main: RawGreenlet | undefined;

/** The main greenlet: what `getCurrent()` returns outside any greenlet. @internal */
export function getMain(): RawGreenlet {
  if (main === undefined) {
    main = RawGreenlet._makeMain();
    process.on('beforeExit', onBeforeExit);
  }
  return main;
}
setMainFactory(getMain);

/**
 * Node's loop ran dry while the main program still waits on verdant: nothing can ever wake it,
 * so every wait it has pending throws one `LoopExit` (gevent's "This operation would block
 * forever"), listing main and every greenlet blocked in a wait.
 */
function onBeforeExit(): void {
  const hub = getHub();
  const m = main as RawGreenlet;
  if (hub.virtual || !m._waiting) return;
  const blocked: Fiber[] = [m];
  for (const n of hub.live()) {
    if ((n as unknown as Fiber)._waiting) blocked.push(n as unknown as Fiber);
  }
  m._deliver(new LoopExit(blocked));
}

/** The async context `rawlink` callbacks run in: the hub greenlet's, entered once. */
let hubScope: AsyncResource | undefined;
/** The context this module loaded in (a clean one, before any user store): hubScope's base. */
const loadScope = new AsyncResource('verdant.load', { requireManualDestroy: true });

/**
 * Run `cb(arg)` from the hub as the hub's RawGreenlet (named "hub", gevent's hub greenlet):
 * what `rawlink` callbacks run as. A verdant wait started there rejects with an `Error` (gevent's
 * `BlockingSwitchOutError`); `getCurrent()` there is that greenlet. Returns what `cb` returns.
 * @internal
 */
export function runRaw<A>(cb: (arg: A) => unknown, arg: A): unknown {
  if (hubScope === undefined) {
    const g = RawGreenlet._makeMain('hub');
    setRawCallbackFiber(g);
    // Entered once: `als.run` per callback would build two context frames (Node 24) each time,
    // and a callback would see the stores of whichever greenlet last ran.
    hubScope = loadScope.runInAsyncScope(() =>
      als.run(g, () => new AsyncResource('verdant.hub', { requireManualDestroy: true })),
    );
  }
  return hubScope.runInAsyncScope(cb, null, arg);
}

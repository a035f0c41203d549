/**
 * Waiting for many: `wait`, `iwait`, `joinAll`, `killAll`, `kill`.
 *
 * Design note: `wait`/`iwait`/`joinAll` collect readiness with `rawlink` on each object (a
 * Greenlet, an Event, an AsyncResult — anything with `ready`/`rawlink`/`unlink`) or `.then` on a
 * plain promise, into one Waiter of the caller; so they are one kill/timeout point and lose
 * nothing: what became ready and was not consumed is simply still ready. They unlink on every
 * exit path. Tests: test/core/waitmany.test.ts, test/core/kill.test.ts.
 *
 * @module
 */
import { NONE, rawCallbackFiber } from './_fiber.js';
import {
  checkKillException,
  checkOptionsObject,
  isPromiseLike,
  KILL_KEYS,
  returnFalse,
  typeName,
} from './_util.js';
import { GreenletExit, guardCancellation, instantiate } from './errors.js';
import { Greenlet, type KillOptions, kAddLink, type LinkEntry } from './greenlet.js';
import { getHub, type Hub } from './hub.js';
import { getMain, RawGreenlet } from './rawgreenlet.js';
import { sleep } from './sleep.js';
import { type ErrorClass, Timeout } from './timeout.js';
import { readWaitOptions, Waiter, type WaitOptions, waitArgs } from './waiter.js';

/** What `wait`/`iwait` accept besides promises: a Greenlet, an Event, an AsyncResult … */
export interface Linkable {
  /** Whether the object is ready now (a dead greenlet, a set event, a result that arrived). */
  ready(): boolean;
  /** Call `cb(obj)` from the hub once the object is ready (also when already ready). */
  // biome-ignore lint/suspicious/noExplicitAny: each linkable passes itself
  rawlink(cb: (obj: any) => unknown): void;
  /** Remove a callback added with `rawlink`. */
  // biome-ignore lint/suspicious/noExplicitAny: each linkable passes itself
  unlink(cb: (obj: any) => unknown): void;
}

/** An object `wait`/`iwait` can wait for. */
export type Waitable = Linkable | PromiseLike<unknown>;

function isLinkable(x: unknown): x is Linkable {
  return (
    x !== null &&
    typeof x === 'object' &&
    typeof (x as Linkable).rawlink === 'function' &&
    typeof (x as Linkable).ready === 'function'
  );
}

/**
 * Collects objects as they become ready, for one consumer waiting on one Waiter.
 *
 * Greenlets (the common case: `joinAll` of thousands) get one link entry shared by all of
 * them, and are deduplicated through it: no allocation and no hashing per greenlet.
 */
class Collector {
  readonly done: unknown[] = [];
  #head = 0;
  /** For promises: their settled values (iwait yields them). */
  values: Map<unknown, { ok: boolean; v: unknown }> | null = null;
  /** Objects linked and not ready yet. */
  pending = 0;
  /** The objects: what is linked among them is unlinked on close. */
  readonly #objects: readonly unknown[];
  waiter: Waiter | null = null;
  #closed = false;
  readonly #entry: LinkEntry;
  /** The call (`joinAll`, `wait`, `iwait`), for run info. */
  readonly #where: string;

  /**
   * @param objects - what to wait for; with `greenletsOnly`, anything else is a TypeError
   *   (`joinAll`, which may pass the caller's own array: it is only read here and on close)
   * @param quiet - `'kill'` for killAll's wait: the link counts as someone observing a failure
   *   only for the exception the kill delivered (its caller never gets another, so that one is
   *   still reported)
   */
  constructor(
    objects: readonly unknown[],
    where: string,
    greenletsOnly = false,
    quiet: false | 'kill' = false,
  ) {
    this.#objects = objects;
    this.#where = where;
    this.#entry = { cb: this.onReady, kind: 'any', quiet, spawn: false, direct: true };
    /** Deduplicates what is not a live greenlet. */
    let seen: Set<unknown> | null = null;
    // An index loop, not for-of: this runs once per call, unoptimised, over 100k greenlets.
    for (let i = 0; i < objects.length; i++) {
      const obj = objects[i];
      if (obj instanceof Greenlet && !obj.dead) {
        if (obj[kAddLink](this.#entry)) this.pending++;
        continue;
      }
      if (greenletsOnly && !(obj instanceof Greenlet)) {
        this.close();
        throw new TypeError(`${where}: every item must be a Greenlet, got ${typeName(obj)}`);
      }
      if (seen === null) seen = new Set();
      if (seen.has(obj)) continue;
      seen.add(obj);
      if (isLinkable(obj)) {
        if (obj.ready()) this.done.push(obj);
        else {
          this.pending++;
          obj.rawlink(this.onReady);
        }
      } else if (isPromiseLike(obj)) {
        (obj as PromiseLike<unknown>).then(
          (v) => this.#settled(obj, true, v),
          (e: unknown) => this.#settled(obj, false, e),
        );
      } else {
        this.close();
        throw new TypeError(
          `${where}: every object must be a greenlet, an event or a promise, got ${typeName(obj)}`,
        );
      }
    }
  }

  #settled(obj: unknown, ok: boolean, v: unknown): void {
    if (this.#closed) return;
    if (this.values === null) this.values = new Map();
    this.values.set(obj, { ok, v });
    this.#push(obj);
  }

  onReady = (obj: Linkable): void => {
    if (this.#closed) return;
    // A greenlet's link is used up when it fires; an Event's stays until unlinked.
    if (!(obj instanceof Greenlet)) obj.unlink(this.onReady);
    this.pending--;
    this.#push(obj);
  };

  /** How many ready objects are not taken yet. */
  get available(): number {
    return this.done.length - this.#head;
  }

  /** Take the oldest ready object (O(1)). */
  take(): unknown {
    const obj = this.done[this.#head];
    this.done[this.#head++] = undefined;
    if (this.#head === this.done.length) {
      this.done.length = 0;
      this.#head = 0;
    }
    return obj;
  }

  #push(obj: unknown): void {
    this.done.push(obj);
    this.waiter?.wake(true);
  }

  /** Wait until something is ready (or timeout → false). */
  next(timeout: number | null, signal: AbortSignal | null): Promise<boolean> {
    // The collector owns the wait only to name it in run info (`target`): nothing to withdraw.
    const w = new Waiter<boolean>(this, returnFalse);
    this.waiter = w;
    return w.start(timeout, signal);
  }

  /** As a wait's owner: an interrupted wait holds nothing (the ready objects stay ready). */
  abortWait(): void {}

  /** What run info shows a greenlet waiting on: this call (its `String()`). */
  get target(): this {
    return this;
  }

  /** `joinAll(3 greenlets)`, `wait(2 objects)`, `iwait(1 object)`: made only when printed. */
  toString(): string {
    const n = this.#objects.length;
    const what = this.#where === 'wait' || this.#where === 'iwait' ? 'object' : 'greenlet';
    return `${this.#where}(${n} ${what}${n === 1 ? '' : 's'})`;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.pending === 0) return;
    // Left on a greenlet the loop below misses (the caller changed its array meanwhile), the
    // entry no longer counts as someone waiting: that greenlet's failure is still reported.
    this.#entry.quiet = true;
    // Unlinking what was never linked (a dead greenlet, a duplicate, a promise) does nothing.
    const objects = this.#objects;
    for (let i = 0; i < objects.length; i++) {
      const obj = objects[i];
      if (isLinkable(obj)) obj.unlink(this.onReady);
    }
  }
}

function deadlineFrom(timeout: number | null): number | null {
  return timeout === null ? null : getHub().now() + timeout;
}
function remaining(deadline: number | null): number | null {
  return deadline === null ? null : Math.max(0, deadline - getHub().now());
}

/** The keys of {@link JoinAllOptions}. */
const JOIN_ALL_KEYS: readonly string[] = ['timeout', 'signal', 'raiseError', 'count'];

/** Options of {@link joinAll}. */
export interface JoinAllOptions extends WaitOptions {
  /** Throw the first failure (in finishing order) instead of collecting it. */
  raiseError?: boolean;
  /** Resolve once this many have finished. */
  count?: number | null;
}

/**
 * Wait for the greenlets to finish.
 *
 * A switch point unless all are dead already. Kill and `Timeout` land here. At `timeout` it
 * resolves to what finished so far (no throw).
 * Source: `gevent.joinall` (`test__joinall.py`).
 * @returns the greenlets that finished, in finishing order (each listed once)
 * @throws with `raiseError`, the first failure; TypeError/RangeError for bad arguments
 *   (and TypeError for an unknown option key)
 * @example
 * ```ts
 * import { joinAll, sleep, spawn } from 'verdant';
 * const done = await joinAll([spawn(sleep, 10), spawn(sleep, 20)], { timeout: 1000 });
 * console.log(done.length); // 2
 * ```
 */
export function joinAll<T extends Greenlet<unknown>>(
  greenlets: Iterable<T>,
  options: JoinAllOptions | number | null = {},
): Promise<T[]> {
  return guardCancellation(joinAllImpl(greenlets, options));
}

/**
 * @internal A killer's wait for greenlets it killed (Group/Pool `kill`, `killone`): `joinAll`,
 * but counted as someone observing a failure only for the exception a kill delivered, as
 * killAll's wait is, since the caller's promise never carries another failure (a `finally`
 * that throws while dying is reported). `options` must have been checked by the caller.
 */
export function joinKilled<T extends Greenlet<unknown>>(
  greenlets: readonly T[],
  options: JoinAllOptions,
  where: string,
): Promise<T[]> {
  return guardCancellation(joinAllImpl(greenlets, options, where, 'kill'));
}

async function joinAllImpl<T extends Greenlet<unknown>>(
  greenlets: Iterable<T>,
  options: JoinAllOptions | number | null,
  where = 'joinAll',
  quiet: false | 'kill' = false,
): Promise<T[]> {
  const opts: JoinAllOptions = typeof options === 'number' ? { timeout: options } : (options ?? {});
  const err = readWaitOptions(opts, 'joinAll', undefined, JOIN_ALL_KEYS);
  if (err !== NONE) throw err;
  const timeout = waitArgs.timeout;
  const signal = waitArgs.signal;
  if (greenlets === null || typeof (greenlets as Iterable<T>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`joinAll: greenlets must be iterable, got ${typeName(greenlets)}`);
  }
  // The caller's own array is not copied (100k pointers stored into a new array cost about as much
  // as joining them): the collector only reads it, now and when it closes.
  const list: readonly T[] = Array.isArray(greenlets) ? greenlets : [...greenlets];
  const c = new Collector(list, where, true, quiet);
  let count: number;
  try {
    count = checkCount(opts.count, list.length, 'joinAll');
  } catch (e) {
    c.close();
    throw e;
  }
  if (count === 0) {
    c.close();
    return [];
  }
  // The collector's own list, in finishing order, is the result: done[0, checked) so far.
  const done = c.done as T[];
  const raise = opts.raiseError === true;
  const deadline = deadlineFrom(timeout);
  let checked = 0;
  try {
    for (;;) {
      checked = scanJoined(done, checked, count, raise);
      if (checked >= count || c.pending === 0) break;
      if (!(await c.next(remaining(deadline), signal))) break;
    }
  } finally {
    c.close();
  }
  done.length = checked;
  return done;
}

// The loops over every greenlet live in plain functions: V8 optimises a hot loop there while it
// runs, never inside an async function, which is called once per joinAll.

/** Throw a TypeError unless every item is a Greenlet (or, with `raw`, a killable RawGreenlet). */
function checkGreenlets(list: readonly unknown[], where: string, raw = false): void {
  for (let i = 0; i < list.length; i++) {
    const g = list[i];
    if (g instanceof Greenlet) continue;
    if (raw && g instanceof RawGreenlet) {
      const bad = checkRaw(g, where);
      if (bad !== null) throw bad;
      continue;
    }
    throw new TypeError(
      `${where}: every item must be a Greenlet${raw ? ' or a RawGreenlet' : ''}, got ${typeName(g)}`,
    );
  }
}

/** The main greenlet and the hub's cannot be killed: a TypeError for them, else null. */
function checkRaw(g: RawGreenlet, where: string): TypeError | null {
  return g === getMain() || g === rawCallbackFiber
    ? new TypeError(`${where}: cannot kill the ${g.name} greenlet`)
    : null;
}

/**
 * gevent's `kill` of a raw greenlet (`g.throw(exception)` from the hub): requested at once,
 * thrown at its current or next wait; one that never ran dies without running. Never switches.
 */
function killRaw(g: RawGreenlet, exception: Error | ErrorClass | undefined): void {
  if (g.dead) return;
  const e =
    exception === undefined
      ? new GreenletExit()
      : typeof exception === 'function'
        ? instantiate(exception)
        : exception;
  if (g._isNew) g._dieUnstarted(e);
  else g._deliver(e);
}

/**
 * How many of the finished greenlets `done` joinAll returns now: up to `count`. With `raise`,
 * throws the first failure among those not checked yet (from `from` on).
 */
function scanJoined(
  done: readonly Greenlet[],
  from: number,
  count: number,
  raise: boolean,
): number {
  const end = Math.min(done.length, count);
  if (raise) {
    for (let i = from; i < end; i++) {
      const g = done[i] as Greenlet;
      if (!g.successful()) throw g.exception;
    }
  }
  return end;
}

/** A copy of `items` as an array (a plain array is copied without the iterator protocol). */
function copyOf<T>(items: Iterable<T>): T[] {
  return Array.isArray(items) ? (items as T[]).slice() : [...items];
}

function checkCount(count: unknown, total: number, where: string): number {
  if (count === undefined || count === null) return total;
  if (typeof count !== 'number') {
    throw new TypeError(`${where}: count must be a number, got ${typeName(count)}`);
  }
  if (Number.isNaN(count) || count < 0) {
    throw new RangeError(`${where}: count must be a non-negative number, got ${count}`);
  }
  return Math.min(count, total);
}

/**
 * Kill every greenlet (see {@link Greenlet.kill}), by default waiting for all to die.
 * `RawGreenlet`s (from `spawnRaw`) are killed as {@link kill} kills them; having no links to
 * join, each gets one turn to die of it (gevent's killall throws into a raw greenlet before it
 * returns) and is not waited for beyond that.
 *
 * A switch point with `block` (default). Kill and `Timeout` of the caller land there.
 * Source: `gevent.killall`.
 * @throws a `Timeout` when some greenlet outlives `timeout`; TypeError for bad arguments
 *   (and TypeError for an unknown option key)
 * @example
 * ```ts
 * import { killAll, sleep, spawn } from 'verdant';
 * const workers = [spawn(sleep, 60_000), spawn(sleep, 60_000)];
 * await killAll(workers, { timeout: 1000 });
 * console.log(workers.every((g) => g.dead)); // true
 * ```
 */
export function killAll(
  greenlets: Iterable<Greenlet<unknown> | RawGreenlet>,
  options: KillOptions = {},
): Promise<void> {
  return guardCancellation(killAllImpl(greenlets, options));
}

async function killAllImpl(
  greenlets: Iterable<Greenlet<unknown> | RawGreenlet>,
  options: KillOptions,
): Promise<void> {
  if (
    greenlets === null ||
    typeof (greenlets as Iterable<unknown>)[Symbol.iterator] !== 'function'
  ) {
    throw new TypeError(`killAll: greenlets must be iterable, got ${typeName(greenlets)}`);
  }
  const all = copyOf(greenlets);
  checkGreenlets(all, 'killAll', true);
  const badOptions = checkOptionsObject(options, 'killAll');
  if (badOptions !== null) throw badOptions;
  const { block = true, timeout, signal, exception } = options ?? {};
  const bad = checkKillException(exception, 'killAll');
  if (bad !== null) throw bad;
  const err = readWaitOptions(options, 'killAll', undefined, KILL_KEYS);
  if (err !== NONE) throw err;
  const list = all.filter((g): g is Greenlet<unknown> => g instanceof Greenlet);
  const raws = list.length === all.length ? [] : all.filter((g) => g instanceof RawGreenlet);
  await Promise.all(list.map((g) => g.kill({ exception, block: false })));
  for (const r of raws) killRaw(r, exception);
  if (!block) return;
  // A RawGreenlet has no links to join (gevent's joinall refuses one too): it gets one turn to
  // die of the exception, as gevent's killall throws into it before it returns.
  if (raws.some((r) => !r.dead)) await sleep(0);
  // A quiet join: the failures of greenlets killed here are still reported (this call never
  // returns them; gevent reports every failure).
  await joinAllImpl(list, { timeout, signal }, 'killAll', 'kill');
  if (list.some((g) => !g.dead)) throw new Timeout(timeout ?? null);
}

/**
 * Kill `greenlet` without waiting for it (gevent's `gevent.kill`: asynchronous).
 * Same as `greenlet.kill({exception, block: false})`. Never switches. A {@link RawGreenlet}
 * (from `spawnRaw`) is killed as gevent kills a raw greenlet: the exception (default
 * `GreenletExit`, which ends it quietly) is thrown at its current or next wait, and one that
 * has not run yet dies without running (gevent's `test__greenlet.py` TestKillallRawGreenlet).
 * @throws TypeError for a non-greenlet, the main greenlet, a bad exception or options that are
 *   not an object (an exception must be given as `{exception}`) (rejects)
 *   (and TypeError for an unknown option key)
 * @example
 * ```ts
 * import { kill, sleep, spawn } from 'verdant';
 * const g = spawn(sleep, 60_000);
 * await kill(g); // requested; g dies at its next wait
 * await g.join();
 * console.log(g.dead); // true
 * ```
 */
export function kill(
  greenlet: Greenlet<unknown> | RawGreenlet,
  options: Pick<KillOptions, 'exception'> = {},
): Promise<void> {
  if (greenlet instanceof RawGreenlet) {
    const bad =
      checkOptionsObject(options, 'kill') ??
      checkKillException(options?.exception, 'kill') ??
      checkRaw(greenlet, 'kill');
    if (bad !== null) return Promise.reject(bad);
    killRaw(greenlet, options?.exception);
    return Promise.resolve();
  }
  if (!(greenlet instanceof Greenlet))
    return Promise.reject(
      new TypeError(
        `kill: greenlet must be a Greenlet or a RawGreenlet, got ${typeName(greenlet)}`,
      ),
    );
  const bad = checkOptionsObject(options, 'kill');
  if (bad !== null) return Promise.reject(bad);
  return greenlet.kill({ exception: options?.exception, block: false });
}

/** The keys of {@link WaitManyOptions}. */
const WAIT_MANY_KEYS: readonly string[] = ['timeout', 'signal', 'count'];

/** Options of {@link wait} and {@link iwait}. */
export interface WaitManyOptions extends WaitOptions {
  /** Stop after this many objects became ready. */
  count?: number | null;
}

/**
 * Wait for objects (greenlets, events, async results, plain promises) to become ready, or —
 * with no objects — for the hub to be idle: no ready callbacks, no timers, no verdant I/O and
 * no greenlet waiting in {@link until} (a foreign promise in flight is work, as an active
 * watcher is for gevent's `wait()` and an `until` wait is for `runVirtual`). Foreign handles
 * (a test runner's timers) do not count. It looks again each time the hub has run something,
 * without polling the loop meanwhile.
 *
 * A switch point unless everything is ready already. Kill and `Timeout` land here. At `timeout`
 * it resolves to what is ready so far (no throw).
 * Source: `gevent.wait` (`test__iwait.py`, `test__api.py`).
 * @returns the ready objects in the order they became ready (a promise as given); with no
 *   objects, true once the hub is idle, false on timeout
 * @example
 * ```ts
 * import { Event, sleep, spawn, wait } from 'verdant';
 * const event = new Event();
 * const g1 = spawn(sleep, 50);
 * const g2 = spawn(sleep, 10);
 * const ready = await wait([g1, g2, event], { count: 1 });
 * console.log(ready[0] === g2); // true
 * ```
 */
export function wait(options?: WaitManyOptions | number | null): Promise<boolean>;
export function wait<O extends Waitable>(
  objects: Iterable<O> | null | undefined,
  options?: WaitManyOptions | number | null,
): Promise<O[]>;
export function wait(a?: unknown, b?: unknown): Promise<unknown> {
  return guardCancellation(waitImpl(a, b));
}

async function waitImpl(a?: unknown, b?: unknown): Promise<unknown> {
  let objects: Iterable<unknown> | null = null;
  let options: unknown = b;
  if (a !== undefined && a !== null && typeof a === 'object' && Symbol.iterator in a) {
    objects = a as Iterable<unknown>;
  } else if (a !== undefined && a !== null) {
    options = a;
  }
  const opts: WaitManyOptions =
    typeof options === 'number' ? { timeout: options } : ((options as WaitManyOptions) ?? {});
  const err = readWaitOptions(opts, 'wait', undefined, WAIT_MANY_KEYS);
  if (err !== NONE) throw err;
  if (objects === null) return waitIdle(waitArgs.timeout, waitArgs.signal);
  const timeout = waitArgs.timeout;
  const signal = waitArgs.signal;
  const list = copyOf(objects);
  const count = checkCount(opts.count, new Set(list).size, 'wait');
  const c = new Collector(list, 'wait');
  const out: unknown[] = [];
  const deadline = deadlineFrom(timeout);
  try {
    for (;;) {
      while (c.available > 0 && out.length < count) out.push(c.take());
      if (out.length >= count) return out;
      if (!(await c.next(remaining(deadline), signal))) return out;
    }
  } finally {
    c.close();
  }
}

/** The pending `wait()`s with no objects: their own timers are not work for one another. */
const idleWaits = new Set<Waiter<boolean>>();

/** How many hub timers of `hub` belong to pending idle waits (settled ones are dropped). */
function idleWaitTimers(hub: Hub): number {
  let n = 0;
  for (const w of idleWaits) {
    if (!w.isPending) idleWaits.delete(w);
    else if (w.hub === hub && w._timerArmed) n++;
  }
  return n;
}

function waitIdle(timeout: number | null, signal: AbortSignal | null): Promise<boolean> {
  const hub = getHub();
  const w = new Waiter<boolean>(null, returnFalse);
  const p = w.start(timeout, signal);
  if (w.isPending) idleWaits.add(w);
  const check = (): void => {
    if (!w.isPending) return;
    if (
      hub.pending === 0 &&
      hub.ioCount === 0 &&
      hub.untilCount === 0 &&
      hub.timers === idleWaitTimers(hub)
    ) {
      idleWaits.delete(w);
      w.wake(true);
    } else {
      hub.onIdle(check, true); // look again once something ran: no polling meanwhile
    }
  };
  hub.onIdle(check);
  return p;
}

/**
 * Iterate over objects as they become ready: greenlets and events are yielded themselves, a
 * plain promise yields its resolved value (or throws its rejection at that position).
 *
 * Each `next()` is a switch point unless something is ready. Kill and `Timeout` land there. At
 * `timeout` (for the whole iteration) the iteration ends quietly. `break` unlinks everything.
 * Source: `gevent.iwait` (`test__iwait.py`).
 * @example
 * ```ts
 * import { iwait, sleep, spawn } from 'verdant';
 * const greenlets = [30, 10, 20].map((ms) => spawn(async () => { await sleep(ms); return ms; }));
 * for await (const g of iwait(greenlets)) console.log(g.value); // 10, 20, 30
 * ```
 */
export function iwait<O extends Waitable>(
  objects: Iterable<O>,
  options?: WaitManyOptions | number | null,
): AsyncGenerator<O extends PromiseLike<infer V> ? V : O, void, undefined> {
  // A generator's own promises carry a kill's rejection on without the handled mark of the wait
  // under them: guarded, a forgotten `next()` in a killed greenlet is no unhandled rejection.
  const it = iwaitGen(objects, options);
  const next = it.next.bind(it);
  const ret = it.return.bind(it);
  const thr = it.throw.bind(it);
  it.next = (...a) => guardCancellation(next(...a));
  it.return = (v) => guardCancellation(ret(v));
  it.throw = (e) => guardCancellation(thr(e));
  return it;
}

async function* iwaitGen<O extends Waitable>(
  objects: Iterable<O>,
  options?: WaitManyOptions | number | null,
): AsyncGenerator<O extends PromiseLike<infer V> ? V : O, void, undefined> {
  const opts: WaitManyOptions =
    typeof options === 'number' ? { timeout: options } : (options ?? {});
  const err = readWaitOptions(opts, 'iwait', undefined, WAIT_MANY_KEYS);
  if (err !== NONE) throw err;
  const timeout = waitArgs.timeout;
  const signal = waitArgs.signal;
  if (objects === null || typeof objects !== 'object' || !(Symbol.iterator in objects)) {
    throw new TypeError(`iwait: objects must be iterable, got ${typeName(objects)}`);
  }
  const list = copyOf(objects);
  const count = checkCount(opts.count, new Set(list).size, 'iwait');
  const c = new Collector(list, 'iwait');
  const deadline = deadlineFrom(timeout);
  let yielded = 0;
  try {
    while (yielded < count) {
      if (c.available === 0) {
        if (!(await c.next(remaining(deadline), signal))) return;
        continue;
      }
      const obj = c.take();
      yielded++;
      const settled = c.values?.get(obj);
      if (settled !== undefined) {
        if (!settled.ok) throw settled.v;
        yield settled.v as never;
      } else {
        yield obj as never;
      }
    }
  } finally {
    c.close();
  }
}

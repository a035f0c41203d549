/**
 * `GroupCore`: membership, slots, `join` and `kill` of `Group`/`Pool` (see index.ts for the
 * design note; the mapping methods are in group.ts).
 *
 * Design note — a slot is never lost. Free slots are the permits of the permit engine
 * (`sync/_permits.ts`): a slot freed while spawners wait goes to the oldest at once (reserved,
 * so a synchronous `add()` cannot take it meanwhile); if that spawner is killed or timed out
 * before it resumes, the kill calls `abortWait(w, held = true)` and the slot goes on to the next
 * spawner or back to the pool, and nothing is spawned. Membership is a quiet link: the hub
 * removes a member right after it dies, and that link does not count as listening, so an
 * unjoined member's failure is still reported. Tests: test/pool/pool.test.ts ("a spawner woken
 * with a slot then killed before it resumes hands the slot to the next spawner", "a kill during
 * spawn() on a full pool lands there"), test/sync/permits.property.test.ts.
 *
 * Design note — membership hashes nothing. Members are linked through fields of the greenlets
 * (`_group`, `_gprev`, `_gnext`; see `Members`): a `Set` of members that churns (a server's
 * request greenlets) rehashed its table every few entries, the largest cost of a request in
 * the HTTP server's profile. A greenlet is listed by one group at a time; another group it
 * joins meanwhile keeps it in a set. Test: pool.test.ts "a greenlet in several groups …".
 *
 * @module
 */

import { sleep } from '../core/api.js';
import { Greenlet, type KillOptions } from '../core/greenlet.js';
import { getHub } from '../core/hub.js';
import {
  checkKillException,
  checkOptionsObject,
  guardCancellation,
  joinKilled,
  KILL_KEYS,
  kAddLink,
  type LinkEntry,
  NONE,
  quietLinkEntry,
  readWaitOptions,
  rejectWait,
  returnFalse,
  Waiter,
  WaitList,
  type WaitOptions,
  waitArgs,
} from '../core/lowlevel.js';
import type { ErrorClass } from '../core/timeout.js';
import { Permits } from '../sync/_permits.js';
import { QueueFull } from '../sync/queue/errors.js';

/** Options of `join()`. */
export interface GroupJoinOptions extends WaitOptions {
  /**
   * After waiting, throw the exception of a greenlet that was a member when `join` was called and
   * has failed (the first found). Default false.
   */
  raiseError?: boolean;
}

/** The keys of {@link GroupJoinOptions}. */
const GROUP_JOIN_KEYS: readonly string[] = ['timeout', 'signal', 'raiseError'];

/** A read-only snapshot of a group's state (`stats()`). */
export interface GroupStats {
  /** Live members (as `size`). */
  size: number;
  /** The pool's capacity; `null` when unbounded (a `Group`, `new Pool()`). */
  maxSize: number | null;
  /** Free slots (as `freeCount()`); `Infinity` when unbounded. */
  freeCount: number;
  /** Spawners waiting for a free slot. */
  waitingForSlot: number;
  /** Callers waiting in `waitAvailable()`. */
  waitingAvailable: number;
  /** Callers waiting in `join()`. */
  joining: number;
  /** Members being killed by `kill`/`killone` and not dead yet. */
  dying: number;
}

/**
 * Thrown by `Pool.add`/`Pool.start` when the pool has no free slot (gevent's
 * `add(blocking=False)`). Wait for a slot with `waitAvailable()` first, or use `spawn`, which
 * waits.
 *
 * A {@link QueueFull}, as gevent's is a `queue.Full`: code that catches `QueueFull` catches it.
 *
 * Source: `gevent.pool.PoolFull`.
 * @example
 * ```ts
 * import { Greenlet, sleep } from 'verdant';
 * import { Pool, PoolFull } from 'verdant/pool';
 * const pool = new Pool(1);
 * pool.start(new Greenlet(sleep, 10));
 * const g = new Greenlet(sleep, 10);
 * try {
 *   pool.add(g);
 * } catch (e) {
 *   if (!(e instanceof PoolFull)) throw e;
 *   await pool.waitAvailable();
 *   pool.add(g);
 * }
 * g.start();
 * await pool.join();
 * ```
 */
export class PoolFull extends QueueFull {
  constructor(message = 'Pool is full', options?: ErrorOptions) {
    super(message, options);
    this.name = 'PoolFull';
  }
}

const RESOLVED_VOID: Promise<void> = Promise.resolve();
function returnZero(): number {
  return 0;
}
function noop(): void {}

/** A short name for the type of `x`, for messages. @internal */
export function describe(x: unknown): string {
  return x === null ? 'null' : typeof x;
}

interface KillArgs {
  /** The error to reject with (bad options, a pre-aborted signal's reason), or NONE. */
  error: unknown;
  exception: Error | ErrorClass | undefined;
  block: boolean;
  timeout: number | null;
  signal: AbortSignal | null;
}

/** Read kill options; `error` says why the call must reject. */
function readKillOptions(options: unknown, where: string): KillArgs {
  const out: KillArgs = {
    error: NONE,
    exception: undefined,
    block: true,
    timeout: null,
    signal: null,
  };
  if (options === undefined || options === null) return out;
  if (typeof options !== 'object' || options instanceof Error) {
    out.error =
      checkOptionsObject(options, where) ??
      new TypeError(
        `Cannot call ${where} with options that are not an object: options is ${typeof options}`,
      );
    return out;
  }
  const o = options as KillOptions;
  const exc = o.exception;
  const bad = checkKillException(exc, where);
  if (bad !== null) {
    out.error = bad;
    return out;
  }
  out.error = readWaitOptions(o, where, undefined, KILL_KEYS);
  out.exception = exc;
  out.block = o.block !== false;
  out.timeout = waitArgs.timeout;
  out.signal = waitArgs.signal;
  return out;
}

/**
 * The members of one group: a list linked through the greenlets themselves (`_group`, `_gprev`,
 * `_gnext`), so adding and removing a member hashes nothing and allocates nothing (a `Set` of
 * members that churns rehashes its table every few entries). A greenlet is on the list of at most
 * one group, its first; another group it joins meanwhile keeps it in a set of its own.
 * Iteration order: the listed members in the order they joined, then the others.
 */
class Members {
  head: Greenlet | null = null;
  tail: Greenlet | null = null;
  size = 0;
  /** Members listed by another group. */
  extra: Set<Greenlet> | null = null;

  has(g: Greenlet): boolean {
    return g._group === this || this.extra?.has(g) === true;
  }

  /** Add `g`, not a member. */
  add(g: Greenlet): void {
    this.size++;
    if (g._group === null) {
      g._group = this;
      const t = this.tail;
      g._gprev = t;
      if (t === null) this.head = g;
      else t._gnext = g;
      this.tail = g;
    } else {
      if (this.extra === null) this.extra = new Set();
      this.extra.add(g);
    }
  }

  /** Remove `g`, a member. */
  delete(g: Greenlet): void {
    this.size--;
    if (g._group === this) {
      const p = g._gprev;
      const n = g._gnext;
      if (p === null) this.head = n;
      else p._gnext = n;
      if (n === null) this.tail = p;
      else n._gprev = p;
      g._group = null;
      g._gprev = null;
      g._gnext = null;
    } else {
      (this.extra as Set<Greenlet>).delete(g);
    }
  }

  /** A snapshot, in order. */
  toArray(): Greenlet[] {
    const out: Greenlet[] = [];
    for (let g = this.head; g !== null; g = g._gnext) out.push(g);
    if (this.extra !== null) for (const g of this.extra) out.push(g);
    return out;
  }
}

/** Marks a slot wait that starts nothing (map's own spawning loop). */
const NO_GREENLET = Symbol('no greenlet');

/** The hub job that hands on a slot `#remove` freed while a blocking kill waits. */
function releaseSlot(slots: Permits): void {
  slots.release();
}

/**
 * The membership and capacity half of `Group` (the mapping half, gevent's `GroupMappingMixin`,
 * is `Group` itself, in group.ts). Use `Group` or `Pool`.
 * @internal
 */
export class GroupCore {
  readonly #members = new Members();
  /** Killed by `kill`/`killone` and not dead yet: never killed twice. */
  readonly #dying = new Set<Greenlet>();
  readonly #joiners = new WaitList(this);
  #capacity = Number.POSITIVE_INFINITY;
  /** Free slots (capacity minus members minus slots in transit) and the spawners waiting. */
  readonly #slots = new Permits(Number.POSITIVE_INFINITY, this);
  readonly #availWaiters = new WaitList(this);
  /** How many times the group became empty: a blocking `kill` that saw it empty is done. */
  #emptied = 0;
  /** Blocking `kill()` calls waiting for members to die. */
  #killers = 0;

  constructor(greenlets?: Iterable<Greenlet> | null) {
    this.#slots.onFree = () => {
      if (this.#availWaiters.size > 0) this.#availWaiters.wakeAll(true);
    };
    if (greenlets !== undefined && greenlets !== null) {
      if (typeof (greenlets as Iterable<Greenlet>)[Symbol.iterator] !== 'function') {
        throw new TypeError(
          `Cannot create a Group from greenlets that are not iterable: greenlets is ${describe(greenlets)}`,
        );
      }
      for (const g of greenlets) this.add(g);
    }
  }

  /** Set the capacity of a new, empty `Pool`. @internal */
  _setCapacity(capacity: number): void {
    this.#capacity = capacity;
    this.#slots.counter = capacity;
  }

  /** @internal The class name, for messages. */
  get _where(): string {
    return this.constructor.name;
  }

  // ---- membership ----

  /** Number of live members (a member that died counts until the hub removes it). */
  get size(): number {
    return this.#members.size;
  }

  /** A snapshot of the members, as a new `Set` (changing it does not change the group). */
  get greenlets(): Set<Greenlet> {
    return new Set(this.#members.toArray());
  }

  /** Iterate over a snapshot of the members. */
  [Symbol.iterator](): IterableIterator<Greenlet> {
    return this.greenlets.values();
  }

  /** Whether `g` is a member. Never switches. */
  has(g: Greenlet): boolean {
    return this.#members.has(g);
  }

  /**
   * Track `g` (normally not started yet). A no-op if it is already a member. Never switches.
   * @throws TypeError when `g` is not a `Greenlet`; {@link PoolFull} when a pool has no free slot
   */
  add(g: Greenlet): void {
    if (!(g instanceof Greenlet)) {
      throw new TypeError(
        `Cannot add to a ${this._where} what is not a Greenlet: it is ${describe(g)}`,
      );
    }
    if (this.#members.has(g)) return;
    if (!this.#slots.tryTake()) {
      throw new PoolFull(`Cannot add a greenlet to a full pool: maxSize is ${this.#capacity}`);
    }
    this.#admit(g);
  }

  /**
   * Stop tracking `g` (a pool gets its slot back). A no-op if it is not a member. Never switches.
   * @throws TypeError when `g` is not a `Greenlet`
   */
  discard(g: Greenlet): void {
    if (!(g instanceof Greenlet)) {
      throw new TypeError(
        `Cannot discard from a ${this._where} what is not a Greenlet: it is ${describe(g)}`,
      );
    }
    if (!this.#members.has(g)) return;
    g.unlink(this.#onExit);
    this.#remove(g);
  }

  /**
   * `add()` the (unstarted) greenlet, then start it. Never switches.
   * @throws TypeError when `g` is not a `Greenlet`; {@link PoolFull} when a pool has no free slot
   */
  start(g: Greenlet): void {
    this.add(g);
    g.start();
  }

  /**
   * Create a greenlet running `fn(...args)`, add it and start it.
   *
   * In a `Group`, or a `Pool` with a free slot, it completes without letting another greenlet
   * run (the promise is already resolved). On a full `Pool` it waits for a slot — the
   * back-pressure; that wait is a switch point: a kill or `Timeout` landing there spawns nothing
   * and leaves the pool's slots as they were.
   * @returns the started member
   * @throws TypeError when `fn` is not a function (rejects)
   * @example
   * ```ts
   * import { sleep } from 'verdant';
   * import { Pool } from 'verdant/pool';
   * const pool = new Pool(2);
   * const fetchPage = async (url: string) => { await sleep(10); return `<html>${url}</html>`; };
   * const g = await pool.spawn(fetchPage, 'https://example.com/');
   * console.log(await g.get());
   * ```
   */
  spawn<R, A extends unknown[]>(
    fn: (...args: A) => R | PromiseLike<R>,
    ...args: A
  ): Promise<Greenlet<Awaited<R>>> {
    if (typeof fn !== 'function') {
      return Promise.reject(
        new TypeError(
          `Cannot call ${this._where}.spawn with fn that is not a function: fn is ${describe(fn)}`,
        ),
      );
    }
    const g = new Greenlet<Awaited<R>>(fn as never, ...args);
    if (this.#slots.tryTake()) {
      this.#admit(g);
      g.start();
      return Promise.resolve(g);
    }
    // Guarded: the `.then` would carry a kill's rejection on without the handled mark of the
    // wait (a forgotten spawn in a killed greenlet: no unhandled rejection).
    return guardCancellation(
      this.#slots.wait(g, null, null, null).then(this.#startReserved),
    ) as Promise<Greenlet<Awaited<R>>>;
  }

  /** Take a free slot now if there is one (the caller then admits a greenlet). @internal */
  _takeSlot(): boolean {
    return this.#slots.tryTake();
  }

  /** Wait for a slot; resolves holding it. A switch point. @internal */
  _waitSlot(): Promise<unknown> {
    return this.#slots.wait(NO_GREENLET, null, null, null);
  }

  /** Give back a slot taken with `_takeSlot`/`_waitSlot` and not used. @internal */
  _releaseSlot(): void {
    this.#slots.release();
  }

  /**
   * Make `g` a member with a slot already taken. With `listener`, a listening link that calls
   * `_exit()` first replaces the quiet membership link (one link per call of `map`).
   * @internal
   */
  _admit(g: Greenlet, listener?: (g: Greenlet) => void): void {
    if (listener === undefined) {
      this.#admit(g);
    } else {
      this.#members.add(g);
      g.rawlink(listener);
    }
  }

  /** A member died: remove it (a no-op if it is not a member any more). @internal */
  _exit(g: Greenlet): void {
    if (this.#members.has(g)) this.#remove(g);
  }

  #admit(g: Greenlet): void {
    this.#members.add(g);
    g[kAddLink](this.#exitEntry);
  }

  /**
   * Make `g` a member with a slot already taken, its membership being `entry`: a quiet link
   * entry shared by every member it serves, whose callback calls `_exit(g)` first (a server's
   * handler greenlets: membership and "close the client" in one entry, so a handler holds one
   * link and no array of links).
   * @internal
   */
  _admitEntry(g: Greenlet, entry: LinkEntry): void {
    this.#members.add(g);
    g[kAddLink](entry);
  }

  /** The membership link: the hub calls it right after a member dies. */
  readonly #onExit = (g: Greenlet): void => {
    if (this.#members.has(g)) this.#remove(g);
  };

  /** The membership link's one entry, shared by every member (no link object per member). */
  readonly #exitEntry: LinkEntry = quietLinkEntry(this.#onExit);

  #remove(g: Greenlet): void {
    this.#members.delete(g);
    if (this.#dying.size > 0) this.#dying.delete(g);
    if (this.#members.size === 0 && this.#killers > 0 && this.#slots.size > 0) {
      // gevent's order: a blocking kill() that emptied the group returns before a spawner
      // waiting for a slot resumes (gevent's semaphore wakes its waiters from a later
      // callback; the killer is switched to from the member's link). The freed slot goes to
      // that spawner one hub step later, from a hub job queued now, ahead of the killer's own
      // wake: the spawner's wake then comes after it. The slot is never lost on the way (the
      // job runs whatever happens to the killer or the spawner: a spawner gone meanwhile leaves
      // it free) and nobody barges in (with spawners waiting no slot is free either way).
      getHub().schedule(releaseSlot, this.#slots);
    } else {
      this.#slots.release();
    }
    if (this.#members.size === 0) {
      this.#emptied++;
      if (this.#joiners.size > 0) this.#joiners.wakeAll(true);
    }
  }

  /** A spawner resumed with its slot: now the greenlet joins and starts. */
  readonly #startReserved = (g: unknown): Greenlet => {
    const greenlet = g as Greenlet;
    this.#admit(greenlet);
    greenlet.start();
    return greenlet;
  };

  // ---- waiting and killing ----

  /**
   * Wait until the group has been empty at least once (members added meanwhile are waited for
   * too). At once when it is empty.
   *
   * A switch point unless the group is empty: kill and `Timeout` land here.
   * @param options - `{timeout, signal, raiseError}` or a timeout in ms; with `raiseError`, after
   *   waiting it throws the exception of a member (at call time) that failed
   * @returns true once empty, false when `timeout` elapsed first
   * @throws with `raiseError`, a member's failure; TypeError/RangeError for bad options (an unknown key too) (rejects)
   * @example
   * ```ts
   * import { sleep } from 'verdant';
   * import { Group } from 'verdant/pool';
   * const group = new Group();
   * await group.spawn(sleep, 50);
   * if (!(await group.join({ timeout: 10 }))) console.log('still busy');
   * await group.join(); // true
   * ```
   */
  join(options?: GroupJoinOptions | number | null): Promise<boolean> {
    const err = readWaitOptions(options, `${this._where}.join`, undefined, GROUP_JOIN_KEYS);
    if (err !== NONE) return rejectWait(err);
    if (this.#members.size === 0) return Promise.resolve(true);
    const raise = typeof options === 'object' && options !== null && options.raiseError === true;
    const snapshot = raise ? this.#members.toArray() : null;
    const w = new Waiter<boolean>(this.#joiners, returnFalse);
    this.#joiners.push(w);
    const p = w.start(waitArgs.timeout, waitArgs.signal);
    if (snapshot === null) return p;
    return p.then((done) => {
      for (const g of snapshot) if (g.dead && !g.successful()) throw g.exception;
      return done;
    });
  }

  /**
   * Kill every member (each once: a member already being killed is not killed again), and with
   * `block` (default) wait until all are dead and removed, also killing members added meanwhile
   * — until the group is empty: a greenlet spawned after that (by a spawner that was waiting in
   * `spawn()` for a slot and got the last one freed) is not killed, and neither is the spawner,
   * which is not a member (gevent's `Group.kill`, `test__pool.py`). In gevent's order: the
   * kill returns first, the group empty (`size` 0), and the spawner resumes after, with that
   * slot (the slot the last member freed goes to it one hub step later; a spawner killed
   * meanwhile leaves it free).
   *
   * With `block` a switch point: a kill or `Timeout` of the caller lands there. When `timeout`
   * elapses it resolves anyway (a stubborn member may live on), as gevent's does. A member that
   * fails while dying (a `finally` that throws) is reported to `getHub().exceptionStream`, as
   * for `killAll`: this promise never carries it.
   * @param options - `{exception = GreenletExit, block = true, timeout, signal}`
   * @throws TypeError for a bad `exception` or options (rejects)
   * @example
   * ```ts
   * import { sleep } from 'verdant';
   * import { Group } from 'verdant/pool';
   * const group = new Group();
   * await group.spawn(sleep, 60_000);
   * await group.kill({ timeout: 1000 });
   * console.log(group.size); // 0
   * ```
   */
  kill(options?: KillOptions): Promise<void> {
    const o = readKillOptions(options, `${this._where}.kill`);
    if (o.error !== NONE) return rejectWait(o.error);
    this.#killMembers(o.exception);
    if (!o.block || this.#members.size === 0) return RESOLVED_VOID;
    return guardCancellation(this.#killLoop(o));
  }

  #killMembers(exception: Error | ErrorClass | undefined): void {
    for (const g of this.#members.toArray()) {
      if (this.#dying.has(g)) continue;
      this.#dying.add(g);
      void g.kill({ exception, block: false });
    }
  }

  async #killLoop(o: KillArgs): Promise<void> {
    this.#killers++;
    try {
      await this.#killUntilEmpty(o);
    } finally {
      this.#killers--;
    }
  }

  async #killUntilEmpty(o: KillArgs): Promise<void> {
    const hub = getHub();
    const deadline = o.timeout === null ? null : hub.now() + o.timeout;
    for (;;) {
      this.#killMembers(o.exception);
      const live: Greenlet[] = [];
      for (const g of this.#members.toArray()) if (!g.dead) live.push(g);
      const emptied = this.#emptied;
      if (live.length > 0) {
        const timeout = deadline === null ? null : Math.max(0, deadline - hub.now());
        // A killer's wait: a member's failure while dying is still reported (this promise
        // never carries it), as killAll's.
        await joinKilled(live, { timeout, signal: o.signal }, `${this._where}.kill`);
        if (live.some((g) => !g.dead)) return;
      } else if (this.#members.size > 0) {
        // Dead members the hub has not removed yet: their links are already queued.
        await sleep(0, { signal: o.signal });
      } else {
        return;
      }
      // Done once the group was empty: gevent's killer resumes from the last death's link and
      // finds `self.greenlets` empty before a spawner waiting for a slot resumes, so the member
      // that spawner adds lives. So does ours (`#remove` hands the freed slot on one hub step
      // later); and should a spawner get a slot first (another member's death), a member added
      // since the group emptied is not this kill's to end either.
      if (this.#emptied !== emptied) return;
    }
  }

  /**
   * Kill `g` if it is a member not already being killed; with `block` (default) wait for it to
   * die, up to `timeout`.
   *
   * With `block` a switch point (kill and `Timeout` of the caller land there). A greenlet that
   * is not a member is left alone (as gevent); a `g` that is not a greenlet at all rejects, as
   * `killAll` does. A failure while it dies is reported, as for {@link Group.kill}.
   * @param options - `{exception = GreenletExit, block = true, timeout, signal}`
   * @throws TypeError for a `g` that is not a `Greenlet`, a bad `exception` or options (rejects)
   * @example
   * ```ts
   * import { sleep } from 'verdant';
   * import { Group } from 'verdant/pool';
   * const group = new Group();
   * const g = await group.spawn(sleep, 60_000);
   * await group.killone(g, { timeout: 100 });
   * console.log(g.dead); // true
   * ```
   */
  killone(g: Greenlet, options?: KillOptions): Promise<void> {
    if (!(g instanceof Greenlet)) {
      return Promise.reject(
        new TypeError(
          `Cannot kill in a ${this._where} what is not a Greenlet: it is ${describe(g)}`,
        ),
      );
    }
    const o = readKillOptions(options, `${this._where}.killone`);
    if (o.error !== NONE) return rejectWait(o.error);
    if (this.#dying.has(g) || !this.#members.has(g)) return RESOLVED_VOID;
    this.#dying.add(g);
    void g.kill({ exception: o.exception, block: false });
    if (!o.block) return RESOLVED_VOID;
    return joinKilled([g], { timeout: o.timeout, signal: o.signal }, `${this._where}.killone`).then(
      noop,
    );
  }

  // ---- capacity ----

  /** Whether `add` would throw {@link PoolFull} (never, for a `Group`). Never switches. */
  full(): boolean {
    return this.#slots.counter <= 0;
  }

  /** How many greenlets can be added now without waiting; `Infinity` when unbounded. */
  freeCount(): number {
    return Math.max(this.#slots.counter, 0);
  }

  /**
   * Wait until a greenlet can be added without waiting (at once if it can).
   *
   * A switch point unless a slot is free: kill and `Timeout` land here. It resumes only while a
   * slot is free, so `if (await pool.waitAvailable() > 0) pool.add(g)` cannot throw `PoolFull`.
   * @param options - `{timeout, signal}` or a timeout in ms
   * @returns `freeCount()` when the caller resumes (never 0), or 0 when `timeout`
   *   elapsed first
   * @throws TypeError/RangeError for bad options (an unknown key too) (rejects)
   * @example
   * ```ts
   * import { sleep } from 'verdant';
   * import { Pool } from 'verdant/pool';
   * const pool = new Pool(1);
   * await pool.spawn(sleep, 50);
   * if ((await pool.waitAvailable({ timeout: 10 })) === 0) console.log('still full');
   * ```
   */
  waitAvailable(options?: WaitOptions | number | null): Promise<number> {
    const err = readWaitOptions(options, `${this._where}.waitAvailable`);
    if (err !== NONE) return rejectWait(err);
    const free = this.#slots.counter;
    if (free > 0) return Promise.resolve(free);
    return guardCancellation(this.#waitAvailable(waitArgs.timeout, waitArgs.signal));
  }

  async #waitAvailable(timeout: number | null, signal: AbortSignal | null): Promise<number> {
    const hub = getHub();
    const deadline = timeout === null ? null : hub.now() + timeout;
    for (;;) {
      const w = new Waiter<number | boolean>(this.#availWaiters, returnZero);
      this.#availWaiters.push(w);
      const r = await w.start(deadline === null ? null : Math.max(0, deadline - hub.now()), signal);
      if (r === 0) return 0;
      if (this.#slots.counter > 0) return this.#slots.counter;
    }
  }

  /**
   * `<Pool size=1 maxSize=2>` / `<Group size=0>`: the class name, the live members and a pool's
   * capacity (gevent's `str(group)` lists the members instead).
   */
  toString(): string {
    const max = this.#capacity === Number.POSITIVE_INFINITY ? '' : ` maxSize=${this.#capacity}`;
    return `<${this.constructor.name} size=${this.#members.size}${max}>`;
  }

  /** A read-only snapshot of the group's counters. Never switches. */
  stats(): GroupStats {
    return {
      size: this.#members.size,
      maxSize: this.#capacity === Number.POSITIVE_INFINITY ? null : this.#capacity,
      freeCount: this.freeCount(),
      waitingForSlot: this.#slots.size,
      waitingAvailable: this.#availWaiters.size,
      joining: this.#joiners.size,
      dying: this.#dying.size,
    };
  }
}

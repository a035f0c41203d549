/**
 * `Group`: `GroupCore` (membership, slots, join, kill) plus the mapping methods — gevent's
 * `GroupMappingMixin`: `apply`, `applyAsync`, `applyCb`, `map`, `mapAsync`, `imap`,
 * `imapUnordered`.
 *
 * Design note — a map owns its calls. `map` takes a slot per item (waiting on a full `Pool`)
 * and starts every call before it first waits; then it waits for the results in input order,
 * woken by a link on the call it waits for, so it switches once per batch of finished calls,
 * not once per call. Each time it resumes it replaces the finished calls at the head of its
 * list by their values, so finished greenlets are collected young while a long map goes on
 * (keeping 100k dead greenlets to the end doubled the time of `Pool(100).map`), and a failure
 * stops it from starting more calls. Its calls are listened to (one non-quiet link per call,
 * which also does the membership bookkeeping), so their failures are thrown by `map`, not
 * reported. When `map` is interrupted or throws, it kills the calls still running and waits for
 * them to end before it throws: nothing it started outlives it, and their slots are back
 * (gevent leaves them running). Tests: test/pool/pool.test.ts "map() waits for the calls it
 * killed to end before it throws".
 * Tests: test/pool/pool.test.ts ("map …", "apply …").
 *
 * @module
 */

import { getCurrent, killAll } from '../core/api.js';
import { Greenlet } from '../core/greenlet.js';
import { getHub } from '../core/hub.js';
import { kQuietLink, settleShape, Waiter } from '../core/lowlevel.js';
import { describe, GroupCore } from './_group-core.js';
import {
  type CallGroup,
  type IMapIterator,
  IMapIteratorImpl,
  type IMapOptions,
  isAnyIterable,
  readMaxsize,
} from './_imap.js';

/** The in-order collection state of one `map` call. */
class MapRun {
  readonly group: GroupCore;
  /** Started calls, replaced by their values as they are harvested. */
  readonly gs: unknown[] = [];
  /** `gs[0 .. harvested)` are values, the rest are calls. */
  harvested = 0;
  /** Index of the call the map waits for. */
  next = -1;
  w: Waiter | null = null;

  constructor(group: GroupCore) {
    this.group = group;
  }

  /** The one link of each call: membership first (as the quiet link would), then the map. */
  readonly onDone = (g: Greenlet): void => {
    this.group._exit(g);
    const w = this.w;
    if (w !== null && this.gs[this.next] === g) {
      this.w = null;
      w.wake(true);
    }
  };

  wait(): Promise<unknown> {
    const w = new Waiter(null, null);
    this.w = w;
    return w.start(null, null);
  }

  /**
   * Replace the finished calls at the head by their values (so they can be collected while the
   * map goes on); throw the failure of the first one that failed.
   */
  harvest(): void {
    const gs = this.gs;
    let i = this.harvested;
    for (; i < gs.length; i++) {
      const g = gs[i] as Greenlet;
      if (!g.dead) break;
      if (!g.successful()) {
        this.harvested = i;
        throw g.exception;
      }
      gs[i] = g.value;
    }
    this.harvested = i;
  }
}

async function runMap(
  group: Group,
  fn: (item: unknown) => unknown,
  iterable: Iterable<unknown> | AsyncIterable<unknown>,
  callback: ((results: unknown[]) => unknown) | null | undefined,
): Promise<unknown[]> {
  const results = await group.map(fn, iterable);
  if (callback !== undefined && callback !== null) await callback(results);
  return results;
}

function applyCb(
  group: Group,
  fn: (...args: unknown[]) => unknown,
  args: unknown[],
  callback: ((value: unknown) => unknown) | null | undefined,
): Promise<unknown> {
  return group.applyCb(fn, args, callback);
}

/** A quiet link that runs `callback(value)` in a new greenlet when the call succeeds. */
function passValue(callback: (value: unknown) => unknown): (g: Greenlet) => void {
  return function passValue(g: Greenlet): void {
    if (g.successful()) Greenlet.spawn(callback, g.value);
  };
}

/**
 * A set of running greenlets, without a limit on their number. A member leaves the group when
 * the hub sees it die (right after its death, through a link); `join()` waits for all of them,
 * `kill()` kills all of them.
 *
 * `spawn`, `start`, `add` never wait in a `Group` (a `Pool` may make `spawn` wait).
 * Mapping helpers (`map`, `imap`, `apply` …) run each call in a member greenlet.
 *
 * Source: `gevent.pool.Group` (`test__greenletset.py`).
 * @param greenlets - greenlets to track from the start
 * @throws TypeError when an item of `greenlets` is not a `Greenlet`.
 * @example
 * ```ts
 * import { sleep } from 'verdant';
 * import { Group } from 'verdant/pool';
 * const group = new Group();
 * await group.spawn(sleep, 10);
 * await group.spawn(sleep, 20);
 * await group.join(); // both done
 * ```
 */
export class Group extends GroupCore {
  /**
   * Run `fn(...args)` in a member and return its result — from a member of this group, inline
   * (no new greenlet: `pool.apply` inside a full pool's member cannot deadlock).
   *
   * A switch point (it waits for a slot, then for the call). If it is interrupted (kill,
   * `Timeout`) the call is killed.
   * @returns what `fn` returns (resolves to)
   * @throws what `fn` throws; TypeError for a bad `fn` or `args` (rejects)
   * @example
   * ```ts
   * import { Pool } from 'verdant/pool';
   * const pool = new Pool(4);
   * const countWords = (text: string) => text.split(/\s+/).length;
   * const n = await pool.apply(countWords, ['to be or not to be']);
   * console.log(n); // 6
   * ```
   */
  apply<R, A extends unknown[]>(
    fn: (...args: A) => R | PromiseLike<R>,
    args: A = [] as unknown as A,
  ): Promise<Awaited<R>> {
    const bad = this.#checkCall(fn, args, 'apply');
    if (bad !== null) return Promise.reject(bad);
    const current = getCurrent();
    if (current instanceof Greenlet && this.has(current)) {
      try {
        return Promise.resolve(fn(...args)) as Promise<Awaited<R>>;
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.#applyInMember(fn, args);
  }

  async #applyInMember<R, A extends unknown[]>(
    fn: (...args: A) => R | PromiseLike<R>,
    args: A,
  ): Promise<Awaited<R>> {
    const g = await this.spawn(fn, ...args);
    try {
      return await g.get();
    } catch (err) {
      if (!g.dead) void g.kill({ block: false });
      throw err;
    }
  }

  #checkCall(fn: unknown, args: unknown, where: string): TypeError | null {
    if (typeof fn !== 'function') {
      return new TypeError(
        `Cannot call ${this._where}.${where} with fn that is not a function: fn is ${describe(fn)}`,
      );
    }
    if (!Array.isArray(args)) {
      return new TypeError(
        `Cannot call ${this._where}.${where} with args that are not an array: args is ${describe(args)}`,
      );
    }
    return null;
  }

  /**
   * {@link Group.apply}, then, if `callback` is given and the call succeeded, run
   * `callback(result)` in a new greenlet (not a member).
   *
   * A switch point, as `apply`.
   * @returns the call's result
   * @throws what `fn` throws; TypeError for bad arguments (rejects)
   * @example
   * ```ts
   * import { Pool } from 'verdant/pool';
   * const pool = new Pool(2);
   * const square = (x: number) => x * x;
   * await pool.applyCb(square, [3], (v) => console.log(v)); // 9, printed from a new greenlet
   * ```
   */
  async applyCb<R, A extends unknown[]>(
    fn: (...args: A) => R | PromiseLike<R>,
    args: A = [] as unknown as A,
    callback?: ((value: Awaited<R>) => unknown) | null,
  ): Promise<Awaited<R>> {
    if (callback !== undefined && callback !== null && typeof callback !== 'function') {
      throw new TypeError(
        `Cannot call ${this._where}.applyCb with a callback that is not a function: callback is ${describe(callback)}`,
      );
    }
    const result = await this.apply(fn, args);
    if (callback !== undefined && callback !== null) Greenlet.spawn(callback, result);
    return result;
  }

  /**
   * Start `fn(...args)` and return its greenlet at once; never waits, even on a full pool (then
   * the greenlet returned is not a member: it waits for a slot itself and runs the call inside
   * the pool — join the greenlet, not the pool). `callback(value)` runs in a new greenlet when
   * the call succeeds; it does not count as listening, so a failure is still reported.
   * @returns a greenlet whose value is the call's result
   * @throws TypeError for a bad `fn`, `args` or `callback`
   * @example
   * ```ts
   * import { Pool } from 'verdant/pool';
   * const pool = new Pool(2);
   * const square = (x: number) => x * x;
   * const g = pool.applyAsync(square, [7]);
   * console.log(await g.get()); // 49
   * ```
   */
  applyAsync<R, A extends unknown[]>(
    fn: (...args: A) => R | PromiseLike<R>,
    args: A = [] as unknown as A,
    callback?: ((value: Awaited<R>) => unknown) | null,
  ): Greenlet<Awaited<R>> {
    const bad = this.#checkCall(fn, args, 'applyAsync');
    if (bad !== null) throw bad;
    if (callback !== undefined && callback !== null && typeof callback !== 'function') {
      throw new TypeError(
        `Cannot call ${this._where}.applyAsync with a callback that is not a function: callback is ${describe(callback)}`,
      );
    }
    if (!this._takeSlot()) {
      return Greenlet.spawn(applyCb, this, fn as never, args, callback as never) as Greenlet<
        Awaited<R>
      >;
    }
    const g = new Greenlet<Awaited<R>>(fn as never, ...args);
    this._admit(g);
    g.start();
    if (callback !== undefined && callback !== null) {
      g[kQuietLink](passValue(callback as (value: unknown) => unknown));
    }
    return g;
  }

  /**
   * Call `fn(item)` for each item in a member greenlet and return the results in input order.
   * It starts every call before it first waits (a `Pool` as slots allow, waiting for a slot
   * whenever it is full); then it waits for the results in order.
   *
   * A switch point. A kill or `Timeout` landing there, a failed call (its error is thrown: the
   * first failure in input order) or an error of `iterable` stops it: it starts nothing more,
   * kills the calls still running and waits for them to end before it throws. A killed call
   * that fails while dying (a `finally` that throws) is reported to `getHub().exceptionStream`,
   * as for {@link Group.kill}.
   * @param iterable - a sync or async iterable
   * @returns the results, in input order
   * @throws the first failure in input order, or the iterable's error; TypeError for a bad `fn`
   *   or a non-iterable (rejects)
   * @example
   * ```ts
   * import { Pool } from 'verdant/pool';
   * const squares = await new Pool(10).map(async (x: number) => x * x, [1, 2, 3]);
   * console.log(squares); // [1, 4, 9]
   * ```
   */
  map<T, R>(
    fn: (item: T) => R | PromiseLike<R>,
    iterable: Iterable<T> | AsyncIterable<T>,
  ): Promise<Awaited<R>[]> {
    const bad = this.#checkMap(fn, iterable, 'map');
    if (bad !== null) return Promise.reject(bad);
    return this.#map(fn as (item: unknown) => unknown, iterable) as Promise<Awaited<R>[]>;
  }

  #checkMap(fn: unknown, iterable: unknown, where: string): TypeError | null {
    if (typeof fn !== 'function') {
      return new TypeError(
        `Cannot call ${this._where}.${where} with fn that is not a function: fn is ${describe(fn)}`,
      );
    }
    if (!isAnyIterable(iterable)) {
      return new TypeError(
        `Cannot call ${this._where}.${where} with an iterable that is neither iterable nor async iterable: iterable is ${describe(iterable)}`,
      );
    }
    return null;
  }

  async #map(
    fn: (item: unknown) => unknown,
    iterable: Iterable<unknown> | AsyncIterable<unknown>,
  ): Promise<unknown[]> {
    const run = new MapRun(this);
    const gs = run.gs;
    try {
      if (typeof (iterable as Iterable<unknown>)[Symbol.iterator] === 'function') {
        for (const item of iterable as Iterable<unknown>) {
          if (!this._takeSlot()) {
            await this._waitSlot();
            this.#harvestHolding(run);
          }
          this.#startCall(fn, item, run);
        }
      } else {
        for await (const item of iterable as AsyncIterable<unknown>) {
          if (!this._takeSlot()) {
            await this._waitSlot();
            this.#harvestHolding(run);
          }
          this.#startCall(fn, item, run);
        }
      }
      for (;;) {
        run.harvest();
        if (run.harvested === gs.length) return gs;
        run.next = run.harvested;
        await run.wait();
      }
    } catch (err) {
      const running: Greenlet[] = [];
      for (let i = run.harvested; i < gs.length; i++) {
        const g = gs[i] as Greenlet;
        if (!g.dead) running.push(g);
      }
      // Nothing it started outlives it: wait for the killed calls (their finally blocks run
      // before the caller's catch, and their slots are back).
      if (running.length > 0) {
        await killAll(running);
        // A call that failed while dying (a finally that throws) is not what map throws: report
        // it, as Group.kill and killAll do (the map's link kept the hub from doing so).
        for (const g of running) if (!g.successful()) getHub().reportError(g.exception, String(g));
      }
      throw err;
    } finally {
      run.w = null;
    }
  }

  /**
   * After a wait for a slot, check the calls that ended meanwhile: if one failed, give the slot
   * back before throwing (it was handed to this wait and no call will use it).
   */
  #harvestHolding(run: MapRun): void {
    try {
      run.harvest();
    } catch (err) {
      this._releaseSlot();
      throw err;
    }
  }

  /** Start one call of `map` with a slot already taken. */
  #startCall(fn: (item: unknown) => unknown, item: unknown, run: MapRun): void {
    const g = new Greenlet(fn, item);
    this._admit(g, run.onDone);
    g.start();
    run.gs.push(g);
  }

  /**
   * Start {@link Group.map} in a new greenlet (not a member) and return it at once; never waits.
   * Its value is `map`'s ordered results; with `callback`, it then calls `callback(results)`.
   * @returns the greenlet running the map
   * @throws TypeError for a bad `fn`, `iterable` or `callback`
   * @example
   * ```ts
   * import { sleep } from 'verdant';
   * import { Pool } from 'verdant/pool';
   * const pool = new Pool(2);
   * const fetchPage = async (url: string) => { await sleep(10); return `<html>${url}</html>`; };
   * const g = pool.mapAsync(fetchPage, ['/a', '/b', '/c']);
   * const pages = await g.get(); // in input order
   * ```
   */
  mapAsync<T, R>(
    fn: (item: T) => R | PromiseLike<R>,
    iterable: Iterable<T> | AsyncIterable<T>,
    callback?: ((results: Awaited<R>[]) => unknown) | null,
  ): Greenlet<Awaited<R>[]> {
    const bad = this.#checkMap(fn, iterable, 'mapAsync');
    if (bad !== null) throw bad;
    if (callback !== undefined && callback !== null && typeof callback !== 'function') {
      throw new TypeError(
        `Cannot call ${this._where}.mapAsync with a callback that is not a function: callback is ${describe(callback)}`,
      );
    }
    return Greenlet.spawn(
      runMap,
      this,
      fn as (item: unknown) => unknown,
      iterable as Iterable<unknown>,
      callback as ((results: unknown[]) => unknown) | undefined,
    ) as Greenlet<Awaited<R>[]>;
  }

  /**
   * Call `fn(item)` for each item in member greenlets and iterate the results in input order,
   * as they become available. Returns at once; the calls start when the caller next waits.
   * A failed call throws its error at its position and the iterator goes on; an error of
   * `iterable` is thrown after the results before it. Either is also reported to
   * `getHub().exceptionStream` unless a `next()` was already waiting for it (gevent reports
   * every failed call), so an iteration abandoned unread does not lose its failures unseen.
   * With `maxsize`, a call starts only while
   * fewer than `maxsize` calls are running or holding a result not consumed yet. `break` (the
   * iterator's `return()`) kills what it started and waits for it; a call that fails while
   * dying is reported.
   * @param iterable - a sync or async iterable
   * @param options - `{maxsize}`
   * @throws TypeError for a bad `fn`, `iterable` or options; RangeError for a bad `maxsize`
   * @example
   * ```ts
   * import { sleep } from 'verdant';
   * import { Pool } from 'verdant/pool';
   * const pool = new Pool(4);
   * const fetchPage = async (url: string) => { await sleep(10); return `<html>${url}</html>`; };
   * const urls = ['/a', '/b', '/c'];
   * for await (const page of pool.imap(fetchPage, urls, { maxsize: 10 })) console.log(page);
   * ```
   */
  imap<T, R>(
    fn: (item: T) => R | PromiseLike<R>,
    iterable: Iterable<T> | AsyncIterable<T>,
    options?: IMapOptions | null,
  ): IMapIterator<Awaited<R>> {
    return this.#imap(fn as (item: unknown) => unknown, iterable, options, true, 'imap');
  }

  /**
   * Like {@link Group.imap}, but the results come in completion order.
   * @throws TypeError for a bad `fn`, `iterable` or options; RangeError for a bad `maxsize`
   * @example
   * ```ts
   * import { sleep } from 'verdant';
   * import { Pool } from 'verdant/pool';
   * const pool = new Pool(4);
   * const probe = async (ms: number) => { await sleep(ms); return ms; };
   * for await (const r of pool.imapUnordered(probe, [30, 10, 20])) console.log(r); // 10, 20, 30
   * ```
   */
  imapUnordered<T, R>(
    fn: (item: T) => R | PromiseLike<R>,
    iterable: Iterable<T> | AsyncIterable<T>,
    options?: IMapOptions | null,
  ): IMapIterator<Awaited<R>> {
    return this.#imap(fn as (item: unknown) => unknown, iterable, options, false, 'imapUnordered');
  }

  #imap<R>(
    fn: (item: unknown) => unknown,
    iterable: unknown,
    options: IMapOptions | null | undefined,
    ordered: boolean,
    where: string,
  ): IMapIterator<R> {
    const bad = this.#checkMap(fn, iterable, where);
    if (bad !== null) throw bad;
    const permits = readMaxsize(options, `${this._where}.${where}`);
    return new IMapIteratorImpl<R>(this as unknown as CallGroup, fn, iterable, ordered, permits);
  }
}
settleShape(() => new Group());

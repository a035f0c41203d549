/**
 * `race(...fns)`: the first of several waits, the others withdrawn — Go's `select`, trio's
 * first-completed.
 *
 * Design note — why not `Promise.race`. A verdant wait lives until it settles or its greenlet
 * dies, so `Promise.race([q.get(), sleep(10)])` leaves the losing `get` registered: it takes the
 * next item and nobody receives it. `race` calls each `fn()` in the current greenlet and notes the
 * verdant waits each call started (the fiber's waits before and after the call). When the first
 * call settles — its wait resumed, so this greenlet holds the hub's turn and no other wait of it
 * can resume in between — every other wait noted is withdrawn through the owner's `abortWait`,
 * exactly as an interrupted wait is: one still in its owner's list leaves it, a woken one hands
 * back what it held. Their promises never settle. A kill or `Timeout` marks every wait of the
 * greenlet; the first to reject ends the race and the others are withdrawn the same way. One
 * extra wait of the race itself carries the `{timeout, signal}` options (and makes the race a
 * cancel point when the calls only return foreign promises, which are just abandoned).
 * Each call should start one wait (a `get`, an `acquire`, a `sleep`): a wait an async call
 * starts after its first await is not noted.
 *
 * A call's work may be a greenlet (`() => spawn(job).get()`, which gives a `run()` its own
 * greenlet): withdrawing the `get` alone would leave the job running. So the greenlets a call
 * starts while it runs (greenlet.ts's start sink: `start`/`startLater` append to it when the
 * fiber starting them is the racer) are the call's, as trio's nursery holds its tasks: when the
 * call does not win — another won, one failed, or a kill, `Timeout`, `timeout` or `signal` ended
 * the race — they are killed (`kill({block: false})`: their `finally` blocks run at their next
 * turn, and the race does not wait for them). The winner's greenlets are left alone. Those an
 * async call starts after its first await are not noted, as its waits are not. Tests:
 * test/core/race.test.ts ("a greenlet a losing call spawned is killed…", "a kill and a Timeout
 * pending at once…").
 *
 * A call that need not wait (a queue holding an item, a free permit, a set Event) completes at
 * once, with no wait to withdraw: a later call that takes at once too would lose what it took
 * with its promise. The primitives count such completions (waiter.ts `noteCompletedAtOnce`); race
 * reads the count around each call and makes no call after one that completed at once, which
 * then wins: the turn is kept until it settles, as for a foreign promise. Tests: "two calls that
 * can both complete at once…", "a call that completes at once without taking…".
 *
 * @module
 */
import { type Fiber, NONE } from './_fiber.js';
import { isPromiseLike } from './_util.js';
import { currentFiber } from './context.js';
import { guardCancellation, markCancellation, rejectWait } from './errors.js';
import { type Greenlet, type StartSink, swapStartSink } from './greenlet.js';
import { getHub, type Hub } from './hub.js';
import { throwTimeout } from './timeout.js';
import {
  completedAtOnceCount,
  holdTheTurn,
  readWaitOptions,
  Waiter,
  type WaitOptions,
  waitArgs,
} from './waiter.js';

/** What {@link race} resolves with: which call settled first, and its value. */
export interface RaceResult<T> {
  /** The position of the winning function among the arguments (0-based). */
  index: number;
  /** What the winning call resolved to. */
  value: T;
}

/** One contestant of {@link race}: a function that starts verdant waits (or returns any promise). */
export type RaceFn = () => unknown;
type RaceValue<F extends readonly RaceFn[]> = Awaited<ReturnType<F[number]>>;

/**
 * Make `w` the fiber's first pending wait (run info shows a greenlet's first wait): it trades
 * places with the first one, without allocating. Which wait comes first changes nothing else: an
 * interrupt marks them all, and the first to reject ends the race.
 */
function putFirst(fiber: Fiber, w: Waiter): void {
  const first = fiber._wait;
  const more = fiber._more;
  if (first === w || first === null || more === null) return;
  const i = more.indexOf(w);
  if (i < 0) return;
  more[i] = first;
  fiber._wait = w;
}

/** The waits a fiber has pending, as a list. */
function waitsOf(fiber: Fiber): Waiter[] {
  const out: Waiter[] = [];
  if (fiber._wait !== null) out.push(fiber._wait);
  if (fiber._more !== null) out.push(...fiber._more);
  return out;
}

/**
 * The race's own wait (options, foreign promises): withdrawn like the others; counts as `until`.
 * Put first among the greenlet's pending waits ({@link putFirst}), so run info names it:
 * `race(2 calls)`.
 */
class RaceOwner {
  readonly calls: number;
  constructor(calls: number) {
    this.calls = calls;
  }
  abortWait(w: Waiter): void {
    const hub = w.data as Hub | null;
    if (hub !== null && hub !== undefined) {
      hub.untilCount--;
      w.data = null;
    }
  }
  /** What run info shows a greenlet waiting on: this race (its `String()`). */
  get target(): this {
    return this;
  }
  toString(): string {
    return `race(${this.calls} call${this.calls === 1 ? '' : 's'})`;
  }
}

/**
 * Wait for the first of several calls to settle, and withdraw the waits the others started.
 *
 * Each `fn()` is called at once, in order, in the current greenlet; each starts a verdant wait
 * (`() => q.get()`, `() => sleep(100)`, `() => lock.acquire()`) or returns any promise. The race
 * resolves with `{index, value}` of the first to settle, or rejects with its failure. The waits
 * the other calls started are withdrawn before they resume — one that was woken hands back what
 * it held (the item goes back to its queue, the permit to the next waiter) — and their promises
 * never settle. A foreign promise among them is only abandoned (its work goes on). The greenlets
 * a call started while it ran (`() => spawn(job).get()`) are that call's work: unless it won,
 * they are killed with `GreenletExit` without waiting (`kill({block: false})`: their `finally`
 * blocks run at their next turn) — also when the race fails or is interrupted. A greenlet an
 * async call starts after its first `await` is not noted, nor one those greenlets start in turn
 * (kill the child, and its own code ends what it started). Such a job that has already finished
 * when another call wins keeps its result in its `value`, read by nobody: a job whose result
 * must not be lost (it took an item) should hand it over itself, not through a race of `get()`.
 * A call that completes at once wins also over an earlier call's foreign promise that settles
 * first (`race(() => Promise.resolve(x), () => q.get())` with an item queued gives the item).
 *
 * A switch point: kill and `Timeout` land here and withdraw every wait of the race. An options
 * object may come last: `timeout` (ms) elapsing first rejects with a `Timeout`, an aborted
 * `signal` with its reason. A call that returns a plain value (or throws) settles the race at
 * once; the calls after it are not made. So does a call that completes at once — a `get` of a
 * queue that holds an item, an `acquire` of a free permit, a `recv` of buffered data, the `wait`
 * of a set Event, the `join` of a dead greenlet: it wins, and the calls after it, which might
 * take something, are not made (Go's `select` proceeds with one ready case).
 *
 * Source: Go's `select`, trio's first-completed pattern (its nursery cancels the other tasks);
 * gevent's `wait(objects, count=1)` over waits, which ends nothing. Unlike `Promise.race`,
 * nothing the losers waited for is lost.
 * @param fns - the calls, optionally followed by `{timeout, signal}` (or a timeout in ms)
 * @returns `{index, value}` of the first call to settle
 * @throws the first call's failure; a `Timeout` when `timeout` elapses; TypeError for an argument
 *   that is not a function, RangeError for a bad timeout (rejects)
 *   (and TypeError for an unknown option key)
 * @example
 * ```ts
 * import { Queue, race, sleep } from 'verdant';
 * const jobs = new Queue<string>();
 * const { index, value } = await race(() => jobs.get(), () => sleep(1000));
 * if (index === 0) console.log('got', value);
 * else console.log('idle for a second'); // the get was withdrawn: no job is lost
 * ```
 */
export function race<F extends RaceFn[]>(...fns: F): Promise<RaceResult<RaceValue<F>>>;
export function race<F extends RaceFn[]>(
  ...args: [...fns: F, options: WaitOptions | number]
): Promise<RaceResult<RaceValue<F>>>;
export function race(...args: unknown[]): Promise<RaceResult<unknown>> {
  let options: unknown;
  const last = args[args.length - 1];
  if (args.length > 0 && typeof last !== 'function') {
    options = last;
    args.pop();
  }
  const err = readWaitOptions(options, 'race');
  if (err !== NONE) return rejectWait(err);
  for (let i = 0; i < args.length; i++) {
    if (typeof args[i] !== 'function') {
      return rejectWait(
        new TypeError(
          `race: every argument but the last must be a function, got ${typeof args[i]} at ${i}`,
        ),
      );
    }
  }
  return guardCancellation(runRace(args as RaceFn[], waitArgs.timeout, waitArgs.signal));
}

function runRace(
  fns: RaceFn[],
  timeout: number | null,
  signal: AbortSignal | null,
): Promise<RaceResult<unknown>> {
  const fiber = currentFiber();
  const before = new Set(waitsOf(fiber));
  const noted: Waiter[] = [];
  let done = false;
  let resolveRace!: (r: RaceResult<unknown>) => void;
  let rejectRace!: (e: unknown) => void;
  const out = new Promise<RaceResult<unknown>>((res, rej) => {
    resolveRace = res;
    rejectRace = rej;
  });
  let own: Waiter | null = null;
  // The greenlets each call started (undefined: none), killed when that call does not win.
  const spawned: (Greenlet[] | undefined)[] = [];
  const withdraw = (winner: number): void => {
    done = true;
    for (const w of noted) if (!w.isDone) w._abandon();
    if (own !== null && !own.isDone) own._abandon();
    for (let i = 0; i < spawned.length; i++) {
      const gs = spawned[i];
      if (i === winner || gs === undefined) continue;
      for (const g of gs) if (!g.dead) void g.kill({ block: false });
    }
  };
  const win = (index: number, value: unknown): void => {
    if (done) return;
    withdraw(index);
    resolveRace({ index, value });
  };
  const lose = (e: unknown): void => {
    if (done) return;
    withdraw(-1);
    rejectRace(e);
  };
  let foreign = false;
  // The call that completed at once, or -1: it wins over a foreign promise of an earlier call
  // that settles first (`race(() => Promise.resolve(x), () => q.get())` lost the item). Its
  // promise settles within the microtasks that follow; an earlier call settling meanwhile is put
  // off to the next macrotask, when it stands if that call's chain has not settled by then.
  let atOnceIndex = -1;
  const settled = (index: number, ok: boolean, v: unknown): void => {
    if (atOnceIndex !== -1 && index !== atOnceIndex) {
      setImmediate(() => (ok ? win(index, v) : lose(v)));
      return;
    }
    if (ok) win(index, v);
    else lose(v);
  };
  // Keep the turn while the calls start their waits: no other wait resumes before the race
  // knows what each call started.
  holdTheTurn(1);
  for (let i = 0; i < fns.length && !done; i++) {
    let r: unknown;
    const sink: StartSink = { fiber, started: [] };
    const outer = swapStartSink(sink);
    const taken = completedAtOnceCount();
    try {
      r = (fns[i] as RaceFn)();
    } catch (e) {
      lose(e);
      break;
    } finally {
      swapStartSink(outer);
      const gs = sink.started;
      if (gs.length > 0) {
        spawned[i] = gs;
        if (outer !== null) outer.started.push(...gs); // a race inside a call: that call's work too
        if (done) for (const g of gs) if (!g.dead) void g.kill({ block: false });
      }
    }
    let started = false;
    for (const w of waitsOf(fiber)) {
      if (!before.has(w)) {
        before.add(w);
        w._keep(); // withdrawn at the end: it must still be this wait then
        noted.push(w);
        started = true;
      }
    }
    const index = i;
    try {
      if (!isPromiseLike(r)) {
        win(i, r);
        break;
      }
      // It completed without waiting (took an item, found the event set): it settles first (the
      // turn is kept until it does), and a later call could take something, lost when it loses.
      const atOnce = completedAtOnceCount() !== taken;
      if (!started || atOnce) foreign = true;
      if (atOnce) atOnceIndex = index;
      (r as PromiseLike<unknown>).then(
        (v) => settled(index, true, v),
        (e: unknown) => settled(index, false, e),
      );
      if (atOnce) break;
    } catch (e) {
      // A thenable whose `then` (or its getter) throws: the call failed, as Promise.race
      // would reject with it; thrown from here, it would skip the withdrawals and the turn.
      lose(e);
      break;
    }
  }
  if (done || !foreign) holdTheTurn(-1);
  if (done) return out;
  // The race's own wait: its timeout and signal, and a cancel point for foreign-only races.
  const w = new Waiter<never>(new RaceOwner(fns.length), throwTimeout);
  own = w;
  if (foreign) {
    // A foreign promise may still settle: an idle virtual hub must not call this a stall.
    const hub = getHub();
    w.data = hub;
    hub.untilCount++;
  }
  w.start(timeout, signal).then(undefined, lose);
  if (signal?.aborted === true) {
    // A call aborted it while the calls started: race() checked it before them, and the
    // abort event has fired already, so the wait would never hear of it.
    markCancellation(signal.reason);
    w._cancelWith(signal.reason);
  }
  putFirst(fiber, w);
  if (foreign) {
    // A call that started no verdant wait may have completed at once (its promise is already
    // resolved, and what it took is in it): keep the turn until the microtasks drain — the
    // hub's setImmediate check gives it away — so that call wins over any wait resuming.
    holdTheTurn(-1);
  }
  return out;
}

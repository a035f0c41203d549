/**
 * `startMonitor({maxBlockingTime})`: blocking detection. A watchdog in a worker thread reports
 * a greenlet (or the main program) that runs JavaScript longer than `maxBlockingTime` ms
 * without letting the hub turn, with the stack it is running.
 *
 * Design note — what "the hub turns" means here, and why it costs nothing per switch.
 * - A shared `Int32Array` cell counts hub turns: an unref'ed interval of `period` ms (a quarter
 *   of the threshold) bumps it at each pass of Node's loop (an idle hub sits in the loop), and the
 *   hub bumps it too at each `release()` — each time a greenlet gives the turn away — while a
 *   monitor runs (core's turn counter: one store per switch, no wrapper, so the hub object keeps
 *   its shape; the switch benchmark's overhead is measured in bench/). So the cell stands still
 *   only while one stretch of JavaScript runs without yielding.
 * - The worker checks the cell every `period` ms; when it has not moved for `maxBlockingTime`,
 *   it pauses the main thread through `node:inspector` (`Session.connectToMainThread`),
 *   reads the call frames, and evaluates, in the paused main thread, a function registered here
 *   that writes the report to `getHub().exceptionStream`: `<ISO time> : <String(g)> appears to
 *   be blocked` (`main` for the main program), then one `at fn (url:line:col)` line per frame.
 *   If the main thread passed its loop meanwhile, nothing is reported. One report per episode.
 * - Nothing keeps the program alive: the worker and the interval are unref'ed.
 * - A worker that exits once watching, other than by `stop()`, stops the monitor (reported once
 *   with `hub.reportError`): left "running", it watched nothing and every later start handed out
 *   the dead monitor (or threw that one runs, with another threshold).
 * - One watchdog per hub (gevent's `hub.periodic_monitoring_thread`): a start while one runs or
 *   is starting resolves to that one, never to a second thread that would report every episode
 *   twice; a kill of a start stops the thread only if no other start waits for it or holds it.
 * Tests: test/tools/monitor.test.ts.
 *
 * Source: gevent's monitor thread (`gevent.config.monitor_thread`, `max_blocking_time`).
 *
 * @module
 */
import { Worker } from 'node:worker_threads';
import { getCurrent, until } from '../core/api.js';
import { getHub, type Hub } from '../core/hub.js';
import { checkOptionKeys, countTurns, getMain, guardCancellation } from '../core/lowlevel.js';

const REPORT = Symbol.for('verdant.monitor.report');
const WORKER = new URL('./_monitor-worker.js', import.meta.url);

/** The longest duration Node's timers hold (2^31 - 1 ms). */
const MAX_MS = 2 ** 31 - 1;

/** Options of {@link startMonitor}. */
export interface MonitorOptions {
  /**
   * Milliseconds of JavaScript without a hub turn that count as blocking (default 100; `null`
   * or `undefined`: the default, or whatever the running monitor has).
   */
  maxBlockingTime?: number | null;
}

const MONITOR_KEYS = ['maxBlockingTime'] as const;

/** A running monitor, as {@link startMonitor} returns it. */
export interface Monitor {
  /** The threshold in ms. */
  readonly maxBlockingTime: number;
  /** Stop watching: the worker ends and no more reports come. Idempotent; never waits. */
  stop(): void;
}

/**
 * The monitor of a hub (gevent's `hub.periodic_monitoring_thread`): one watchdog per hub, so a
 * second start hands out the running one instead of a second thread that would report every
 * episode twice.
 */
interface Running {
  readonly monitor: Monitor;
  /** Settles once the watchdog watches (rejects if its thread failed to start). */
  readonly ready: Promise<void>;
  /** Starts waiting for `ready`. */
  waiting: number;
  /** Whether a start has resolved to `monitor` (then only `stop()` ends it). */
  handedOut: boolean;
}

const running = new WeakMap<Hub, Running>();
/** Monitors running on any hub: the report function stays registered while there is one. */
let active = 0;

function writeReport(frames: string): void {
  const stream = getHub().exceptionStream;
  if (stream === null) return;
  const g = getCurrent();
  const who = g === getMain() ? 'main' : String(g);
  try {
    const r = stream.write(
      `${new Date().toISOString()} : ${who} appears to be blocked\n${frames}\n\n`,
    );
    if (r !== null && typeof r === 'object' && typeof (r as Promise<unknown>).then === 'function') {
      (r as Promise<unknown>).then(undefined, () => {});
    }
  } catch {
    // A broken stream must not break the paused program.
  }
}

/**
 * Start a watchdog thread that reports blocking to `getHub().exceptionStream`. Resolves once it
 * is watching. It never keeps the program alive.
 *
 * One monitor per hub, as gevent's `start_periodic_monitoring_thread()` returns the hub's
 * running thread: while one runs (or is starting), another call resolves to the same `Monitor`
 * object — with no `maxBlockingTime` (or `null`), whatever its threshold — so no episode is
 * reported twice.
 * Its `stop()` stops it for every holder; a call after that starts a new one. Should its
 * thread die once watching (a crash, an uncaught error in it, `terminate()` from outside), the
 * monitor stops by itself and says so once through the hub's `reportError` (`The monitor thread
 * exited with code <n>: …`, context `startMonitor`, on `exceptionStream`); the next call starts
 * a new one. A kill or
 * `Timeout` of a start stops the thread only when no other start waits for it and none has
 * resolved to it.
 * @param opts - `maxBlockingTime` in ms (default 100)
 * @returns the hub's monitor, with `stop()`
 * @throws TypeError (as a rejection) when `opts` is not an object or is an array (a bare
 *   number too: write `{ maxBlockingTime: 50 }`) or `maxBlockingTime` is not a number,
 *   RangeError when it is not a positive number of at most 2^31 - 1 ms (Node's longest timer);
 *   an Error when a monitor with another `maxBlockingTime` runs on the hub (stop it first);
 *   TypeError for an unknown option key (a typo would watch with the default threshold)
 * @example
 * ```ts
 * import { startMonitor } from 'verdant/util';
 * const monitor = await startMonitor({ maxBlockingTime: 100 });
 * // … a greenlet that computes for a second gets reported, with its stack
 * monitor.stop();
 * ```
 *
 * Source: gevent's monitor thread and `max_blocking_time` (seconds there, ms here).
 */
export function startMonitor(opts: MonitorOptions = {}): Promise<Monitor> {
  // Guarded: a kill or Timeout of a start nobody awaits is no unhandled rejection.
  return guardCancellation(start(opts));
}

async function start(opts: MonitorOptions): Promise<Monitor> {
  if ((opts !== null && typeof opts !== 'object') || Array.isArray(opts)) {
    // startMonitor(5) is not startMonitor({ maxBlockingTime: 5 }): refuse rather than guess.
    throw new TypeError(
      `Cannot start a monitor: options must be an object such as { maxBlockingTime: 100 }, got ${Array.isArray(opts) ? 'an array' : typeof opts}`,
    );
  }
  if (opts !== null) {
    // A typo (`{ maxBlockTime: 5 }`) would watch with the default threshold unnoticed.
    const unknown = checkOptionKeys(opts, MONITOR_KEYS, 'Cannot start a monitor');
    if (unknown !== null) throw unknown;
  }
  const maxBlockingTime: unknown = opts?.maxBlockingTime ?? 100;
  if (typeof maxBlockingTime !== 'number') {
    throw new TypeError(
      `Cannot start a monitor: maxBlockingTime must be a number of ms, got ${typeof maxBlockingTime}`,
    );
  }
  if (!(maxBlockingTime > 0) || !Number.isFinite(maxBlockingTime)) {
    throw new RangeError(
      `Cannot start a monitor: maxBlockingTime must be a positive number of ms, got ${String(maxBlockingTime)}`,
    );
  }
  if (maxBlockingTime > MAX_MS) {
    // Node's timers hold at most 2^31 - 1 ms; beyond it they fire after 1 ms instead.
    throw new RangeError(
      `Cannot start a monitor: maxBlockingTime must be at most ${MAX_MS} ms (2^31 - 1), got ${String(maxBlockingTime)}`,
    );
  }
  const hub = getHub();
  let r = running.get(hub);
  if (r === undefined) {
    r = launch(hub, maxBlockingTime);
  } else if (
    // No threshold asked (omitted, undefined or null: the default above) takes the running one.
    opts?.maxBlockingTime !== undefined &&
    opts.maxBlockingTime !== null &&
    maxBlockingTime !== r.monitor.maxBlockingTime
  ) {
    throw new Error(
      `Cannot start a monitor with maxBlockingTime ${maxBlockingTime} ms: one is running with ${r.monitor.maxBlockingTime} ms on this hub; stop() it first`,
    );
  }
  r.waiting++;
  try {
    await until(r.ready);
  } catch (e) {
    // A kill or Timeout of the last start waiting for a monitor nobody holds yet: it stops.
    if (--r.waiting === 0 && !r.handedOut) r.monitor.stop();
    throw e;
  }
  r.waiting--;
  r.handedOut = true;
  return r.monitor;
}

/** One line for what a dead monitor thread threw (never throws). */
function describeCrash(err: unknown): string {
  try {
    return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  } catch {
    return '<unprintable>';
  }
}

/** Start the watchdog thread of `hub` and record it as the hub's monitor. */
function launch(hub: Hub, maxBlockingTime: number): Running {
  const period = Math.max(1, Math.floor(maxBlockingTime / 4));
  // beat[0] counts hub turns: each pass of Node's loop (the interval) and each time a greenlet
  // gives the turn away (the hub counts its release()s in the cell: one store per hand-off).
  let beat = hub.turnCounter;
  if (beat === null) {
    beat = new Int32Array(new SharedArrayBuffer(4));
    countTurns(hub, beat);
  }
  const cell = beat;
  const tick = (): void => {
    cell[0] = ((cell[0] as number) + 1) | 0;
  };
  const timer = setInterval(tick, period);
  timer.unref();
  (globalThis as Record<symbol, unknown>)[REPORT] = writeReport;
  active++;
  const worker = new Worker(WORKER, {
    workerData: { beat, maxBlockingTime, period },
    // None of the main program's flags: `--input-type` would break a file worker, and the
    // watchdog needs none.
    execArgv: [],
  });
  worker.unref();
  /** What the thread threw, if it died of an uncaught error (its 'error' comes before 'exit'). */
  let crash: unknown;
  worker.on('error', (err) => {
    crash = err;
  });
  let stopped = false;
  let watching = false;
  const monitor: Monitor = {
    maxBlockingTime,
    stop(): void {
      if (stopped) return;
      stopped = true;
      if (running.get(hub) === r) running.delete(hub);
      clearInterval(timer);
      void worker.terminate().catch(() => {});
      if (--active === 0) delete (globalThis as Record<symbol, unknown>)[REPORT];
      // The hub stops counting (a monitor of another hub never shares this hub's cell).
      if (hub.turnCounter === cell) countTurns(hub, null);
    },
  };
  const ready = new Promise<void>((resolve, reject) => {
    worker.once('message', () => {
      watching = true;
      resolve();
    });
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new Error(`The monitor thread exited early with code ${code}`)),
    );
  });
  // A thread that dies once watching (a crash, an uncaught error, a terminate() from outside):
  // nothing is watched any more, so the monitor stops — reported once — and a later
  // startMonitor() starts a new one instead of handing out the dead one (or, with another
  // threshold, throwing that one is running) forever.
  worker.once('exit', (code) => {
    if (stopped || !watching) return; // stop() ended it, or `ready` rejects (the start fails)
    monitor.stop();
    const err = new Error(
      `The monitor thread exited with code ${code}: blocking is no longer watched; startMonitor() starts a new one`,
      crash === undefined ? undefined : { cause: crash },
    );
    err.stack = `${err.name}: ${err.message}${crash === undefined ? '' : `\n  caused by: ${describeCrash(crash)}`}`;
    hub.reportError(err, 'startMonitor');
  });
  // A thread that fails to start ends the monitor, also when no start waits any more.
  ready.catch(() => monitor.stop());
  const r: Running = { monitor, ready, waiting: 0, handedOut: false };
  running.set(hub, r);
  return r;
}

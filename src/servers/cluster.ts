/**
 * Several worker processes serving one port, with `node:cluster`: seed 000's "multi-process +
 * coroutines" server (gevent forks after `start()`; Node's cluster shares the listener).
 *
 * Design note — the stop protocol, why a rolling restart loses no request, and respawning.
 * - The primary forks `workers` processes running the same script; in each, `runCluster` calls
 *   `serve()`, which starts an `HttpServer` (any listener with a port: the cluster shares it,
 *   port 0 included). The worker tells the primary it is serving once `serve()` resolved — its
 *   listen has then been registered with the primary's round-robin handle.
 * - Connections are accepted by the primary and handed to the workers round-robin (Node's
 *   default on Linux). To retire a worker the primary sends it `{verdant: 'stop', timeout}` and
 *   at once calls `worker.disconnect()`, the supported way out of the rotation: the primary drops
 *   the worker from its round-robin handle synchronously, so no later connection goes there;
 *   one already on its way arrives before the stop message (IPC is ordered) and is served. The
 *   worker runs the server's graceful stop: its listener closes, a connection accepted whose
 *   first request is still on its way is kept and answered, every response from then on carries
 *   `Connection: close`, requests in flight finish (killed only at `timeout`), then it exits 0.
 *   Unlike a plain `stop()`, idle keep-alive connections are not closed at once: for
 *   `IDLE_GRACE` (500 ms, within `stopTimeout`) each may carry one more request, answered with
 *   `Connection: close`, after which node:http closes it; those still idle then are closed. The
 *   earlier protocol (the worker closing its listener itself and exiting) lost connections the
 *   primary had handed to it just before: a process that exits never answers the hand-off.
 * - A rolling `restart()` replaces the workers one at a time: the replacement is serving before
 *   the old one is retired, so the port always has a live worker.
 * - What a client may see: a busy keep-alive connection closes after a response that says so,
 *   so the client opens a new one (to another worker) — no reset. Only a connection idle for
 *   the whole grace is closed under the client's feet: one that sends on it at that very moment
 *   gets `ECONNRESET` ("socket hang up") on a *reused* connection before any response byte — a
 *   request the server never read, which HTTP lets a client retry on a fresh connection
 *   (RFC 9112 §9.3.1; Node's `req.reusedSocket`, undici and browsers do; the same race as
 *   node:http's own `keepAliveTimeout`). No request the server has read is cut by a stop or a
 *   restart. Not guarded against (a node:cluster bug, nodejs/node#21746): a connection the
 *   primary has handed to a worker that *crashes* before accepting it is never served nor closed
 *   — the client hangs until its own timeout, and the primary keeps the socket in CLOSE-WAIT.
 *   Clients should set a timeout; a crash (not a retirement) can cost such a connection.
 * - One port for the cluster's life, port 0 included. node:cluster shares a listener among the
 *   workers that asked for the same address and port, and closes it when the last one leaves:
 *   on port 0 the next worker then got a new random port and the old one refused connections
 *   (found by the breaker). `steer`, a listener put before node:cluster's own on each worker's
 *   internal messages, asks for the cluster's port instead of 0 when no worker in the rotation
 *   holds the port-0 listener; one that does keeps 0 and joins it. Should another process take
 *   the port meanwhile, the replacement's listen fails (a boot failure, respawned). It relies on
 *   node:cluster's internal `queryServer`/`close` messages (Node 20 and 24).
 * - `reusePort` is not used: with `SO_REUSEPORT` each worker owns its own accept queue, and the
 *   kernel resets the connections still queued on a listener that closes, so a rolling restart
 *   would lose them; the primary's round-robin hand-off has no such queue.
 * - A worker whose IPC channel to the primary closes because the primary asked
 *   (`worker.disconnect()`) stops the same graceful way. One whose primary died is ended by Node
 *   at once (node:cluster's worker calls `process.exit(0)` on a disconnect it did not ask for),
 *   cutting its requests in flight: stop the primary with `stop()`, never by killing it (found
 *   by the breaker). A worker asked to stop before it serves
 *   (its `serve()` still running) stops as soon as `serve()` settles.
 * - Nothing is left running. Every worker forked is tracked from `cluster.fork()` until its
 *   `exit`, and retiring one always ends in its exit: one that has not said it serves (still in
 *   `serve()`) leaves the rotation and gets SIGTERM — it has no request to finish, and a
 *   `listen()` it started once disconnected would never complete; a worker still alive
 *   `stopTimeout` + `KILL_MARGIN` ms after it was asked to stop gets SIGKILL (with
 *   `stopTimeout: Infinity`, never: `later()` arms no timer for it and re-arms a delay longer
 *   than a Node timer holds, which would otherwise fire after 1 ms). A startup
 *   failure retires every worker forked before rejecting; a failed restart step retires the
 *   replacement it forked; `stop()` retires every tracked worker and sets a flag that makes a
 *   running restart fork nothing more, so once their exits are in no worker is alive and the
 *   primary has nothing left to keep it running.
 * - Restarts are serialised by a `Lock`: a second `restart()` (a second SIGHUP) waits for the
 *   first and then replaces every worker again, so workers started after the second request run
 *   the code as it was then. `stop()` takes no lock: it must interrupt a restart, not wait for it.
 * - Respawning (gunicorn's arbiter, Node process managers). Each of the `workers` slots holds one
 *   worker. A worker that exits on its own once the cluster serves (a crash, an uncaught
 *   exception, `process.exit()`, a signal from outside) is unexpected unless the primary itself
 *   retires it (`stop()`, a restart step: those are in `retiring`) or stops: it is reported to
 *   the hub's `exceptionStream` and its slot gets a replacement. Failures before serving stay
 *   with whoever forked the worker: startup rejects, `restart()` rejects, and a replacement's
 *   own startup failure is the respawn logic's. A restart step that installs its worker in a
 *   slot drops the slot's pending replacement (the timer is cleared; a replacement still
 *   starting is retired as the old worker) and clears its counters.
 * - Crash-loop protection: backoff, and giving up only on startup failures. A failure is fast
 *   when the worker had served for less than `MIN_UPTIME` (1000 ms), or never. The slot's run of
 *   fast failures sets the delay before the replacement: none after a worker that lived longer,
 *   else 100 ms doubling to 3200 ms; so a slot whose workers keep dying within 1000 ms gets a
 *   replacement at most every 3.2 s, forever, as gunicorn respawns forever. Replacements that fail before serving (`serve()`
 *   threw — the worker, which may live on, is retired — or they exited first) are counted
 *   too, except one a signal ended (killed from outside while it booted, found by the breaker:
 *   an OOM killer made the cluster give up; it is respawned with backoff, and breaks no row):
 *   3 in a row in one slot make the cluster give up — gunicorn's arbiter halts when a
 *   worker fails to boot: the code on disk cannot start — reported, stopped as by `stop()`, and
 *   `serveForever()` rejects with it. Timers are cleared by `stop()`, so none forks afterwards.
 * Tests: test/servers/cluster.test.ts (real processes, a loopback client under load: a graceful
 * stop loses no in-flight request; a rolling restart under load answers every request exactly
 * once; a worker failing at startup, a failing restart, stop() during a restart, two restarts at
 * once: afterwards no worker forked is alive, checked by pid, and the primary exits by itself;
 * a worker SIGKILLed from outside is reported and replaced, the port served throughout; a crash
 * loop backs off 100, 200, 400, 800 ms and stop() during the backoff forks nothing more; 3
 * replacements failing before serving make the cluster give up; a kill in `serveForever()`;
 * `stopTimeout: Infinity` or 2^31 ms lets a request in flight finish, the worker exiting 0;
 * on port 0 the replacement of the last worker, and a restart, serve the first port;
 * replacements SIGKILLed while they boot do not make the cluster give up).
 *
 * @module
 */

import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { until } from '../core/api.js';
import { getHub } from '../core/hub.js';
import { checkOptionKeys } from '../core/lowlevel.js';
import { Lock } from '../sync/lock.js';
import type { HttpServer } from './http.js';

/** Options of {@link runCluster}. */
export interface ClusterOptions {
  /** Number of worker processes (default: the number of CPUs). */
  workers?: number;
  /**
   * How long a stopping worker lets its requests finish, ms (default 1000): any number >= 0, as
   * `HttpServer.stop({timeout})` takes; `Infinity` waits for them however long they take (the
   * worker is never killed).
   */
  stopTimeout?: number;
}

/** The primary's handle on its workers. */
export interface ClusterHandle {
  /**
   * The process ids of the workers alive: forked and not yet exited (one starting or retiring
   * during a `restart()` included, a replacement of a worker that died included from its fork),
   * in fork order; one fewer while a dead worker's replacement waits for its backoff; empty once
   * `stop()` resolved.
   */
  readonly pids: number[];
  /**
   * The port the workers serve (`null` for a Unix socket). Listening on port 0, the workers get
   * one random port, kept for the cluster's life: replacements and restarts listen on it too.
   */
  readonly port: number | null;
  /**
   * Replace every worker, one at a time: each new one is serving before its old one leaves the
   * rotation and stops gracefully (requests in flight finish; a keep-alive connection closes
   * after its current response). A switch point; resolves once every old worker has exited.
   *
   * Restarts run one after the other: a `restart()` called while one runs (two SIGHUPs) waits
   * for it, then replaces every worker again. A kill or `Timeout` while it waits for its turn
   * gives up the turn; one during a step stops the replacement being started and rejects.
   *
   * @throws the Error of a replacement that fails to start (its `serve()` threw, or it exited
   *   before serving) (rejects). That replacement is stopped; the workers serving stay: those
   *   already replaced run the new code, the rest the old, as many as before, in `pids`, and
   *   `stop()` stops them all. An Error when the cluster is stopped (`stop()` was called before
   *   or during the restart, or the cluster gave up: the restart forks no more workers)
   */
  restart(): Promise<void>;
  /**
   * Stop every worker gracefully (each finishes its requests in flight, for up to `stopTimeout`)
   * and wait for them to exit; the port closes once none is left (node:cluster closes the
   * listener as the last worker leaves the rotation: a connection still queued for it then —
   * taken by the OS or the primary, by no worker, its request unread — is reset, ECONNRESET or
   * EPIPE on a fresh connection, as closing any listener resets its queue; a connection a worker
   * accepted is answered). A worker still alive
   * `stopTimeout` + 2000 ms after the request is killed (SIGKILL; never with `Infinity`). A running `restart()` forks
   * no more workers and rejects; the one it was starting is stopped too, and so is a replacement
   * of a dead worker (one waiting for its backoff is never forked). Once it resolves no
   * worker process is alive and nothing of the cluster keeps the primary running. A second call
   * waits for the same stop. A switch point.
   */
  stop(): Promise<void>;
  /**
   * Resolve once the cluster has stopped: `stop()` was called and every worker has exited.
   * Rejects, once every worker has exited, with the Error of the cluster giving up (3
   * replacements in a row of one worker failed before serving). A switch point: a kill or
   * `Timeout` that lands there stops the cluster first (as `stop()`, waiting for the workers to
   * exit), then is thrown — gevent's `serve_forever`
   * (`finally: spawn(self.stop, timeout=stop_timeout).join()`).
   * @throws the Error saying why the cluster gave up (rejects)
   * @example
   * ```ts
   * import { HttpServer, runCluster } from 'verdant/http';
   *
   * const handle = await runCluster(async () => {
   *   const server = new HttpServer(['127.0.0.1', 0], () => new Response('hello\n'));
   *   await server.start();
   *   return server;
   * }, { workers: 2 });
   * if (handle !== null) {
   *   process.once('SIGTERM', () => void handle.stop());
   *   setTimeout(() => process.kill(process.pid, 'SIGTERM'), 200); // a supervisor's stop
   *   await handle.serveForever(); // crashed workers are replaced meanwhile; rejects if it gives up
   * }
   * ```
   */
  serveForever(): Promise<void>;
}

/** ms a retiring worker leaves idle keep-alive connections open for one last request. */
const IDLE_GRACE = 500;

/** ms past `stopTimeout` after which a worker asked to stop and still alive is killed. */
const KILL_MARGIN = 2000;

/** The longest delay a Node timer holds, ms: a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * `setTimeout(fn, ms)` for any `ms` >= 0: `Infinity` never fires, and a delay longer than a Node
 * timer holds is re-armed in steps (a plain `setTimeout` fires it after 1 ms: `stopTimeout:
 * Infinity` SIGKILLed the workers at once, found by the breaker). Returns what clears it.
 */
function later(ms: number, fn: () => void): () => void {
  let t: NodeJS.Timeout | undefined;
  const arm = (left: number): void => {
    if (left === Number.POSITIVE_INFINITY) return;
    t =
      left > MAX_TIMER_MS
        ? setTimeout(() => arm(left - MAX_TIMER_MS), MAX_TIMER_MS)
        : setTimeout(fn, left);
  };
  arm(ms);
  return () => clearTimeout(t);
}

/** ms a worker must have served for its unexpected exit not to count as a fast failure. */
const MIN_UPTIME = 1000;

/** ms before the replacement of a worker after its slot's first fast failure (doubles each). */
const BACKOFF_FIRST = 100;

/** The most ms a replacement waits: the cap of the doubling backoff. */
const BACKOFF_MAX = 3200;

/** Replacements in a row, in one slot, that fail before serving: the cluster then gives up. */
const MAX_BOOT_FAILURES = 3;

/** The options {@link runCluster} knows. */
const OPTION_KEYS = ['workers', 'stopTimeout'];

interface Msg {
  verdant?: string;
  timeout?: number;
  port?: number | null;
  message?: string;
}

/** The part of node:cluster's internal messages (worker to primary) that `steer` reads. */
interface ClusterQuery {
  cmd?: string;
  act?: string;
  address?: string | null;
  port?: number;
  addressType?: number | string;
  index?: number;
  key?: string;
}

/**
 * The most workers `runCluster` forks: a bound against a typo forking processes until the
 * machine breaks (`2 ** 31` did, found by the breaker).
 */
const MAX_WORKERS = 1024;

/** Resolves when `worker` says it is serving (with its port); rejects when it exits first. */
function serving(worker: Worker): Promise<number | null> {
  return new Promise<number | null>((resolve, reject) => {
    const onMsg = (m: Msg): void => {
      if (m?.verdant === 'serving') {
        worker.off('message', onMsg);
        worker.off('exit', onExit);
        resolve(m.port ?? null);
      } else if (m?.verdant === 'failed') {
        // serve() threw: the worker may live on (its script caught the rejection), so its exit
        // cannot be what tells us.
        worker.off('message', onMsg);
        worker.off('exit', onExit);
        reject(
          new Error(
            `runCluster: worker ${worker.process.pid} failed before serving: ${m.message ?? 'serve() threw'}`,
          ),
        );
      }
    };
    const onExit = (code: number | null, signal: string | null): void => {
      worker.off('message', onMsg);
      reject(
        new Error(
          `runCluster: worker ${worker.process.pid} exited before serving, with ${signal ?? code}`,
        ),
      );
    };
    worker.on('message', onMsg);
    worker.once('exit', onExit);
  });
}

/** Resolves when `worker` has exited. */
function exited(worker: Worker): Promise<void> {
  return new Promise<void>((resolve) => {
    if (worker.process.exitCode !== null || worker.process.signalCode !== null) resolve();
    else worker.once('exit', () => resolve());
  });
}

function describe(x: unknown): string {
  return x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x;
}

/**
 * Run `serve` in `workers` processes that share one port. In the primary it forks the workers
 * and resolves, once all are serving, to a {@link ClusterHandle} (`restart()`, `stop()`); in a
 * worker it runs `serve()`, reports when it is serving and stops the server gracefully when the
 * primary asks, then exits — there it resolves to `null`.
 *
 * Retiring a worker (`stop()`, each step of `restart()`) first asks it to stop gracefully, then
 * calls `worker.disconnect()`, so the primary hands it no more connections; the worker's server
 * finishes its requests in flight, answers each keep-alive connection's next request (within
 * 500 ms) with `Connection: close`, closes the connections still idle, and the process exits. A
 * worker still alive `stopTimeout` + 2000 ms after it was asked is killed (SIGKILL; with
 * `stopTimeout: Infinity` it never is, however long its requests take). A rolling
 * restart under load answers every request without a reset; the only failure a client
 * could see is a request sent on a connection idle for those 500 ms at the moment it closes,
 * before the server read any of it — the case HTTP clients retry (Node: `req.reusedSocket`).
 * `reusePort` is not used (so this works on every Node, 20 included): a closing `SO_REUSEPORT`
 * listener resets the connections still in its accept queue, where the primary's round-robin
 * loses none.
 *
 * When a worker fails to start (its `serve()` throws — the worker says so at once, even if its
 * script catches the rejection and lives on — or it exits before serving), the primary stops
 * every worker it forked (gracefully, then killed as above), waits for them to exit, and
 * rejects: nothing is left running. A kill or `Timeout` of the primary's wait does the same.
 *
 * Once serving, the primary keeps `workers` workers: one that exits on its own (a crash, an
 * uncaught exception, `process.exit()`, a signal from outside — never one the primary stops
 * in `stop()` or a restart) is reported to the hub's `exceptionStream` (`runCluster: worker
 * <pid> exited unexpectedly, with <code or signal>; forking a replacement in <n> ms`) and
 * replaced. A worker that served less than 1000 ms (or never) is a fast failure: its
 * replacement waits 100 ms, doubling with each fast failure in a row of that worker's slot up
 * to 3200 ms (none after a worker that lived longer). A replacement that fails before serving
 * is reported and replaced the same way, but 3 in a row whose `serve()` threw or that exited
 * with a code other than 0 (one ended by a signal from outside does not count, nor breaks the
 * row) make the cluster give up: it reports
 * why, stops every worker as `stop()` does, and `serveForever()` rejects with that Error
 * (`restart()` too).
 *
 * A worker that crashes can lose the connections the primary had just handed to it and it had
 * not accepted yet: node:cluster neither serves nor closes them (nodejs/node#21746), so such a
 * client waits for its own timeout; a retiring worker loses none.
 *
 * Stop the cluster with `stop()`, not by killing the primary: a worker whose primary died is
 * ended by node:cluster at once, cutting its requests in flight.
 *
 * A switch point in both. Call it at the top level of the script the workers run.
 * @param serve - starts and returns the worker's `HttpServer` (started)
 * @param options - `{workers, stopTimeout}`; `null` or omitted: the defaults
 * @throws TypeError for a `serve` that is not a function, options that are not an object, an
 *   unknown option, a `workers` or `stopTimeout` that is not a number; RangeError for a bad
 *   number (`workers` from 1 to 1024; all reject before any worker is forked); in the primary,
 *   the Error of a worker that failed to start (rejects once every worker is stopped); in a
 *   worker, what `serve()` threw
 * @example
 * ```ts
 * import { HttpServer, runCluster } from 'verdant/http';
 *
 * // The script every worker runs too: port 0 is one random port shared by all of them.
 * const handle = await runCluster(async () => {
 *   const server = new HttpServer(['127.0.0.1', 0], () => new Response(`pid ${process.pid}\n`));
 *   await server.start();
 *   return server;
 * }, { workers: 2 });
 * if (handle !== null) {
 *   // The primary: both workers serve handle.port.
 *   const res = await fetch(`http://127.0.0.1:${handle.port}/`, { headers: { connection: 'close' } });
 *   console.log(handle.pids.includes(Number((await res.text()).split(' ')[1]))); // true
 *   process.on('SIGHUP', () => void handle.restart().catch((err) => console.error(err)));
 *   // A worker that crashes is replaced; a real primary would now `await handle.serveForever()`.
 *   await handle.stop(); // each worker stops its server gracefully and exits
 * }
 * ```
 *
 * Source: seed 000's multi-process gevent server (`server.start()`, then `os.fork()` and
 * `start_accepting()` in each child); `node:cluster` replaces the fork, and the rolling restart
 * follows Node's cluster documentation (`worker.disconnect()` once the replacement listens).
 * gevent has no restart to follow: two at once run one after the other. Respawning follows
 * gunicorn's arbiter (it replaces a worker that dies, and halts when workers fail to boot), with
 * the backoff of Node process managers (PM2's `exp_backoff_restart_delay`) against a crash loop.
 */
export async function runCluster(
  serve: () => Promise<HttpServer>,
  options: ClusterOptions | null = {},
): Promise<ClusterHandle | null> {
  if (typeof serve !== 'function') {
    throw new TypeError(
      `runCluster: serve must be a function that starts the worker's server, got ${describe(serve)}`,
    );
  }
  const opts: ClusterOptions = options ?? {};
  if (typeof opts !== 'object' || Array.isArray(opts)) {
    throw new TypeError(`runCluster: options must be an object, got ${describe(opts)}`);
  }
  const unknown = checkOptionKeys(opts, OPTION_KEYS, 'runCluster');
  if (unknown !== null) throw unknown;
  const n: unknown = opts.workers ?? availableParallelism();
  if (typeof n !== 'number') {
    throw new TypeError(`runCluster: workers must be a number of processes, got ${typeof n}`);
  }
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS) {
    throw new RangeError(
      `runCluster: workers must be an integer from 1 to ${MAX_WORKERS}, got ${n}`,
    );
  }
  const stopTimeout: unknown = opts.stopTimeout ?? 1000;
  if (typeof stopTimeout !== 'number') {
    throw new TypeError(
      `runCluster: stopTimeout must be a number of ms, got ${typeof stopTimeout}`,
    );
  }
  if (!(stopTimeout >= 0)) {
    throw new RangeError(`runCluster: stopTimeout must be a number of ms >= 0, got ${stopTimeout}`);
  }
  if (!cluster.isPrimary) return runWorker(serve, stopTimeout);

  /** Every worker forked and not yet exited, in fork order. */
  const live = new Set<Worker>();
  /** When each worker said it is serving (`Date.now()`). */
  const servedAt = new WeakMap<Worker, number>();
  const retiring = new Map<Worker, Promise<void>>();
  let port: number | null = null;
  let stopped: Promise<void> | null = null;
  /** Why the cluster gave up (a respawn loop failing before serving), or `null`. */
  let gaveUp: Error | null = null;
  let onStopped = (): void => {};
  /** Resolves when the cluster starts stopping (`stop()`, or giving up). */
  const stopping = new Promise<void>((resolve) => {
    onStopped = resolve;
  });
  /** Set once every worker forked at startup serves: from then on an unexpected exit respawns. */
  let supervising = false;
  /** Per slot: consecutive fast failures (the backoff's exponent). */
  const streak: number[] = [];
  /** Per slot: consecutive replacements that failed before serving. */
  const bootFailures: number[] = [];
  /** Per slot: the backoff timer of the replacement to fork. */
  const timers: Array<NodeJS.Timeout | undefined> = [];

  /**
   * Per worker in the rotation: the listeners it asked node:cluster for on port 0, as
   * `address:addressType:index` (see `steer`).
   */
  const onPortZero = new Map<Worker, Set<string>>();
  /** The cluster's listener, when it was asked for on port 0: its `address:addressType:index`. */
  let zeroKey: string | null = null;
  /** `w` left node:cluster's handles (disconnected, or exited disconnected): as Node does. */
  const leave = (w: Worker): void => {
    onPortZero.delete(w);
  };
  /**
   * Before node:cluster's own listener: a worker asking for the cluster's listener on port 0
   * while no worker holds that port-0 listener (the last one died: node:cluster closed it) is
   * asked for the cluster's port instead, else node:cluster listens on a new random port and
   * the old one refuses connections (found by the breaker). node:cluster keys its shared
   * handles by address and port, so one that joins a port-0 listener still open stays on 0.
   */
  const steer = (w: Worker, m: ClusterQuery): void => {
    if (m?.cmd !== 'NODE_CLUSTER' || w.exitedAfterDisconnect) return;
    if (m.act === 'queryServer' && m.port === 0) {
      const k = `${m.address}:${m.addressType}:${m.index}`;
      const held = [...onPortZero.values()].some((keys) => keys.has(k));
      if (k === zeroKey && port !== null && !held) {
        m.port = port;
        return;
      }
      const keys = onPortZero.get(w) ?? new Set<string>();
      keys.add(k);
      onPortZero.set(w, keys);
    } else if (m.act === 'close' && typeof m.key === 'string') {
      // node:cluster's key: address:port:addressType:fd:index (the address may hold colons).
      const parts = m.key.split(':');
      const [index, , addressType, p] = parts.reverse();
      const address = parts.slice(4).reverse().join(':');
      if (p === '0') onPortZero.get(w)?.delete(`${address}:${addressType}:${index}`);
    }
  };

  const fork = (): Worker => {
    const w = cluster.fork();
    live.add(w);
    w.process.prependListener('internalMessage', (m: ClusterQuery) => steer(w, m));
    w.process.once('disconnect', () => leave(w));
    w.process.once('exit', () => {
      if (!w.isConnected()) leave(w);
    });
    w.on('message', (m: Msg) => {
      if (m?.verdant === 'serving') servedAt.set(w, Date.now());
    });
    // An IPC error (a send racing the worker's exit) ends in its 'exit', which is what counts.
    w.on('error', () => {});
    w.once('exit', (code: number | null, signal: string | null) => {
      live.delete(w);
      // Before serving, its failure is for whoever forked it (startup, restart, respawn).
      if (supervising && servedAt.has(w)) crashed(w, code, signal);
    });
    return w;
  };
  /** Ask `w` to stop gracefully, kill it if it is alive `stopTimeout` + KILL_MARGIN later. */
  const retire = (w: Worker): Promise<void> => {
    let done = retiring.get(w);
    if (done !== undefined) return done;
    done = exited(w);
    retiring.set(w, done);
    if (w.process.exitCode === null && w.process.signalCode === null) {
      if (w.isConnected() && servedAt.has(w)) {
        // Stop first (the worker closes its keep-alive connections gracefully), then leave the
        // round-robin rotation: after disconnect() the primary hands it no connection.
        // (IPC is JSON: Infinity arrives as null, and the worker then takes its own stopTimeout,
        // the same option of the same script.)
        w.send({ verdant: 'stop', timeout: stopTimeout });
        w.disconnect();
        leave(w);
      } else if (!servedAt.has(w)) {
        // Still in serve(): it has no request to finish, and a listen() it starts once
        // disconnected would never complete. SIGTERM (a handler of the user's may clean up).
        if (w.isConnected()) w.disconnect();
        leave(w);
        w.process.kill('SIGTERM');
      }
      // Infinity: never killed (the worker waits for its requests however long they take).
      const cancel = later(stopTimeout + KILL_MARGIN, () => w.process.kill('SIGKILL'));
      void done.then(cancel);
    }
    return done;
  };
  const retireAll = (): Promise<void> => Promise.all([...live].map(retire)).then(() => undefined);
  /** Stop everything: no replacement is forked from now on, every worker is retired. */
  const shutDown = (): Promise<void> => {
    for (const t of timers) clearTimeout(t);
    onStopped();
    return retireAll();
  };
  /** Write `message` to the hub's exceptionStream (the primary's frames would say nothing). */
  const report = (err: Error, who: string): void => {
    err.stack = `${err.name}: ${err.message}`;
    getHub().reportError(err, who);
  };
  /** A worker of slot `i` failed unexpectedly: report it, fork a replacement or give up. */
  const failed = (
    i: number,
    why: string,
    pid: number,
    fast: boolean,
    boot: boolean | undefined,
  ): void => {
    streak[i] = fast ? (streak[i] ?? 0) + 1 : 0;
    // `undefined`: failed before serving but not a boot failure (ended by a signal, or exit 0):
    // it neither counts nor breaks the row.
    if (boot !== undefined) bootFailures[i] = boot ? (bootFailures[i] ?? 0) + 1 : 0;
    if ((bootFailures[i] ?? 0) >= MAX_BOOT_FAILURES) {
      const err = new Error(
        `${why}; ${MAX_BOOT_FAILURES} replacements in a row failed before serving: the cluster stops`,
      );
      report(err, 'runCluster');
      gaveUp = err;
      stopped ??= shutDown();
      return;
    }
    const k = streak[i] ?? 0;
    const delay = k === 0 ? 0 : Math.min(BACKOFF_FIRST * 2 ** (k - 1), BACKOFF_MAX);
    report(new Error(`${why}; forking a replacement in ${delay} ms`), `runCluster worker ${pid}`);
    const dead = workers[i];
    timers[i] = setTimeout(() => {
      timers[i] = undefined;
      if (stopped === null && workers[i] === dead) respawn(i);
    }, delay);
  };
  /** `w` exited after serving: unexpected unless the primary retired it or stops. */
  const crashed = (w: Worker, code: number | null, signal: string | null): void => {
    const i = workers.indexOf(w);
    // Not in a slot: a restart's replacement not installed yet (the restart checks it).
    if (i < 0 || stopped !== null || retiring.has(w)) return;
    const lived = Date.now() - (servedAt.get(w) ?? 0);
    failed(
      i,
      `runCluster: worker ${w.process.pid} exited unexpectedly, with ${signal ?? code}`,
      w.process.pid as number,
      lived < MIN_UPTIME,
      false,
    );
  };
  const hasExited = (w: Worker): boolean =>
    w.process.exitCode !== null || w.process.signalCode !== null;
  /**
   * Fork the replacement of slot `i`. One failing before serving is a fast failure, and a boot
   * failure (counted toward giving up) when its `serve()` threw or it exited with a code other
   * than 0 — not when a signal ended it (nor does it break the row): a kill from outside (an OOM killer, an operator) says
   * nothing of the code on disk, and gunicorn too halts only on a worker's own boot-error exit.
   */
  const respawn = (i: number): void => {
    const w = fork();
    workers[i] = w;
    serving(w).then(
      (p) => {
        port = p ?? port;
      },
      (err: Error) => {
        if (stopped !== null || retiring.has(w) || workers[i] !== w) return;
        // Exited: by a signal, or with its code; else serve() threw (the 'failed' message).
        const { exitCode, signalCode } = w.process;
        const boot = signalCode === null && exitCode !== 0 ? true : undefined;
        void retire(w); // serve() threw: it may live on (its script caught the rejection)
        failed(i, err.message, w.process.pid as number, true, boot);
      },
    );
  };

  const workers = Array.from({ length: n }, fork);
  try {
    port = (await until(Promise.all(workers.map(serving))))[0] ?? null;
    // Its first port-0 listener is the cluster's (none if it listened on a given port).
    zeroKey = [...(onPortZero.get(workers[0] as Worker) ?? [])][0] ?? null;
  } catch (err) {
    // Not one worker may outlive the failure: stop them all (plain promises and timers, so a
    // second kill here cannot leave one behind), then reject with the failure.
    await until(retireAll());
    throw err;
  }
  supervising = true;
  // One that served and died while the others were starting.
  for (const w of workers) if (hasExited(w)) crashed(w, w.process.exitCode, w.process.signalCode);
  const lock = new Lock();
  const stoppedError = (): Error =>
    new Error(
      gaveUp === null
        ? 'runCluster: cannot restart, the cluster is stopped (stop() was called)'
        : `runCluster: cannot restart, the cluster is stopped (it gave up: ${gaveUp.message})`,
    );
  return {
    get pids(): number[] {
      return [...live].map((w) => w.process.pid as number);
    },
    get port(): number | null {
      return port;
    },
    async restart(): Promise<void> {
      if (stopped !== null) throw stoppedError();
      await lock.acquire();
      try {
        for (let i = 0; i < workers.length; i++) {
          if (stopped !== null) throw stoppedError();
          const next = fork();
          let p: number | null;
          try {
            p = await until(serving(next));
          } catch (err) {
            await until(retire(next));
            throw stopped !== null ? stoppedError() : err;
          }
          if (stopped !== null) throw stoppedError(); // stop() retires `next` with the others
          // `old` may be dead (a replacement of it waiting for its backoff) or a replacement
          // still starting: `next` takes the slot, the pending replacement is dropped.
          const old = workers[i] as Worker;
          workers[i] = next;
          clearTimeout(timers[i]);
          timers[i] = undefined;
          streak[i] = 0;
          bootFailures[i] = 0;
          port = p ?? port;
          if (hasExited(next)) crashed(next, next.process.exitCode, next.process.signalCode);
          await until(retire(old));
        }
      } finally {
        lock.release();
      }
    },
    async stop(): Promise<void> {
      stopped ??= shutDown();
      await until(stopped);
    },
    async serveForever(): Promise<void> {
      try {
        await until(stopping);
      } finally {
        // A kill or Timeout landed: stop the cluster, as stop() does, before it is thrown.
        stopped ??= shutDown();
        await until(stopped);
      }
      if (gaveUp !== null) throw gaveUp;
    },
  };
}

/** A worker's part: serve, say so, stop gracefully when asked (also before serving). */
async function runWorker(serve: () => Promise<HttpServer>, stopTimeout: number): Promise<null> {
  let server: HttpServer | null = null;
  let asked: number | null = null;
  let stopping = false;
  const stop = (timeout: number): void => {
    if (server === null) {
      asked ??= timeout; // serve() still running: stop once it is done
      return;
    }
    if (stopping) return;
    stopping = true;
    server._retire(timeout, Math.min(timeout, IDLE_GRACE)).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  const onMessage = (m: Msg): void => {
    if (m?.verdant === 'stop') stop(m.timeout ?? stopTimeout);
  };
  const onDisconnect = (): void => stop(stopTimeout);
  process.on('message', onMessage);
  process.once('disconnect', onDisconnect);
  try {
    server = await serve();
  } catch (err) {
    process.off('message', onMessage);
    process.off('disconnect', onDisconnect);
    // Tell the primary now: a worker script that catches this rejection lives on, and the
    // primary, waiting for an exit, hung (found by the breaker).
    process.send?.({
      verdant: 'failed',
      message: err instanceof Error ? err.message : String(err),
    } satisfies Msg);
    throw err;
  }
  if (asked !== null) stop(asked);
  else process.send?.({ verdant: 'serving', port: server.serverPort ?? null });
  return null;
}

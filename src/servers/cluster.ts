/**
 * Several worker processes serving one port, with `node:cluster`: seed 000's "multi-process +
 * coroutines" server (gevent forks after `start()`; Node's cluster shares the listener).
 *
 * Design note — the stop protocol, and why a rolling restart loses no request.
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
 *   node:http's own `keepAliveTimeout`). No request the server has read is ever cut.
 * - `reusePort` is not used: with `SO_REUSEPORT` each worker owns its own accept queue, and the
 *   kernel resets the connections still queued on a listener that closes, so a rolling restart
 *   would lose them; the primary's round-robin hand-off has no such queue.
 * - A worker whose IPC channel to the primary closes (the primary died, or someone called
 *   `worker.disconnect()`) stops the same graceful way.
 * Tests: test/servers/cluster.test.ts (real processes, a loopback client under load: a graceful
 * stop loses no in-flight request; a rolling restart under load answers every request exactly
 * once).
 *
 * @module
 */

import cluster, { type Worker } from 'node:cluster';
import { until } from '../core/api.js';
import type { HttpServer } from './http.js';

/** Options of {@link runCluster}. */
export interface ClusterOptions {
  /** Number of worker processes (default: the number of CPUs). */
  workers?: number;
  /** How long a stopping worker lets its requests finish, ms (default 1000). */
  stopTimeout?: number;
}

/** The primary's handle on its workers. */
export interface ClusterHandle {
  /** The live workers' process ids. */
  readonly pids: number[];
  /** The port the workers serve (`null` for a Unix socket). */
  readonly port: number | null;
  /**
   * Replace every worker, one at a time: each new one is serving before its old one leaves the
   * rotation and stops gracefully (requests in flight finish; a keep-alive connection closes
   * after its current response). A switch point; resolves once every old worker has exited.
   */
  restart(): Promise<void>;
  /**
   * Stop every worker gracefully (each finishes its requests in flight, for up to `stopTimeout`)
   * and wait for them to exit; the port closes once none is left. A switch point.
   */
  stop(): Promise<void>;
}

/** ms a retiring worker leaves idle keep-alive connections open for one last request. */
const IDLE_GRACE = 500;

interface Msg {
  verdant?: string;
  timeout?: number;
  port?: number | null;
}

/** Resolves when `worker` says it is serving (with its port), or has exited. */
function watch(worker: Worker, what: 'serving' | 'exit'): Promise<number | null> {
  return new Promise<number | null>((resolve, reject) => {
    if (what === 'exit') {
      if (worker.isDead()) resolve(null);
      else worker.once('exit', () => resolve(null));
      return;
    }
    const onMsg = (m: Msg): void => {
      if (m?.verdant === 'serving') {
        worker.off('message', onMsg);
        worker.off('exit', onExit);
        resolve(m.port ?? null);
      }
    };
    const onExit = (code: number): void => {
      worker.off('message', onMsg);
      reject(new Error(`Worker ${worker.process.pid} exited with ${code} before serving`));
    };
    worker.on('message', onMsg);
    worker.once('exit', onExit);
  });
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
 * rolling restart under load answers every request without a reset; the only failure a client
 * could see is a request sent on a connection idle for those 500 ms at the moment it closes,
 * before the server read any of it — the case HTTP clients retry (Node: `req.reusedSocket`). `reusePort` is not used: a closing `SO_REUSEPORT` listener resets
 * the connections still in its accept queue, where the primary's round-robin loses none.
 *
 * A switch point in both. Call it at the top level of the script the workers run.
 * @param serve - starts and returns the worker's `HttpServer` (started)
 * @param options - `{workers, stopTimeout}`
 * @throws TypeError for a `workers` or `stopTimeout` that is not a number, RangeError for a
 *   bad number (rejects); an Error when a worker dies before serving
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
 *   await handle.stop(); // each worker stops its server gracefully and exits
 * }
 * ```
 *
 * Source: seed 000's multi-process gevent server (`server.start()`, then `os.fork()` and
 * `start_accepting()` in each child); `node:cluster` replaces the fork, and the rolling restart
 * follows Node's cluster documentation (`worker.disconnect()` once the replacement listens).
 */
export async function runCluster(
  serve: () => Promise<HttpServer>,
  options: ClusterOptions = {},
): Promise<ClusterHandle | null> {
  const n: unknown = options.workers ?? (await import('node:os')).availableParallelism();
  if (typeof n !== 'number') {
    throw new TypeError(`runCluster: workers must be a number of processes, got ${typeof n}`);
  }
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`runCluster: workers must be a positive integer, got ${n}`);
  }
  const stopTimeout: unknown = options.stopTimeout ?? 1000;
  if (typeof stopTimeout !== 'number') {
    throw new TypeError(
      `runCluster: stopTimeout must be a number of ms, got ${typeof stopTimeout}`,
    );
  }
  if (!(stopTimeout >= 0)) {
    throw new RangeError(`runCluster: stopTimeout must be a number of ms >= 0, got ${stopTimeout}`);
  }
  if (!cluster.isPrimary) {
    const server = await serve();
    let stopping = false;
    const stop = (timeout: number): void => {
      if (stopping) return;
      stopping = true;
      server._retire(timeout, Math.min(timeout, IDLE_GRACE)).then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('message', (m: Msg) => {
      if (m?.verdant === 'stop') stop(m.timeout ?? stopTimeout);
    });
    process.once('disconnect', () => stop(stopTimeout));
    process.send?.({ verdant: 'serving', port: server.serverPort ?? null });
    return null;
  }
  let workers: Worker[] = [];
  let port: number | null = null;
  const fork = async (): Promise<Worker> => {
    const w = cluster.fork();
    port = await until(watch(w, 'serving'));
    return w;
  };
  const stopAll = async (ws: Worker[]): Promise<void> => {
    const exits = ws.map((w) => {
      const p = watch(w, 'exit');
      if (!w.isDead() && w.isConnected()) {
        // Stop first (the worker closes its keep-alive connections gracefully), then leave the
        // round-robin rotation: after disconnect() the primary hands it no connection.
        w.send({ verdant: 'stop', timeout: stopTimeout });
        w.disconnect();
      }
      return p;
    });
    await until(Promise.all(exits));
  };
  const started = Array.from({ length: n }, () => cluster.fork());
  workers = started;
  const ports = await until(Promise.all(started.map((w) => watch(w, 'serving'))));
  port = ports[0] ?? null;
  return {
    get pids(): number[] {
      return workers.filter((w) => !w.isDead()).map((w) => w.process.pid as number);
    },
    get port(): number | null {
      return port;
    },
    async restart(): Promise<void> {
      const next: Worker[] = [];
      for (const old of workers) {
        next.push(await fork());
        await stopAll([old]);
      }
      workers = next;
    },
    async stop(): Promise<void> {
      const all = workers;
      workers = [];
      await stopAll(all);
    },
  };
}

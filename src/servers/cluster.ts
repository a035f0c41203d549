/**
 * Several worker processes serving one port, with `node:cluster`: seed 000's "multi-process +
 * coroutines" server (gevent forks after `start()`; Node's cluster shares the listener).
 *
 * Design note — the stop protocol. The primary forks `workers` processes running the same
 * script; in each, `runCluster` calls `serve()`, which starts an `HttpServer` (any listener with
 * a port: the cluster shares it). The worker tells the primary it is serving once `serve()`
 * resolved. To stop a worker the primary sends `{verdant: 'stop', timeout}`; the worker runs
 * `server.stop({timeout})` (graceful: in-flight requests finish) and exits 0. A rolling
 * `restart()` replaces the workers one at a time: a new one is serving before the old one is
 * asked to stop, so the port always has a live worker. Exercised by this module's own example
 * (start, serve, graceful stop, in real processes); no test covers `restart()` under load yet.
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
  /** Replace every worker, one at a time, each new one serving before its old one stops. A switch point. */
  restart(): Promise<void>;
  /** Stop every worker gracefully and wait for them to exit. A switch point. */
  stop(): Promise<void>;
}

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
 * A switch point in both. Call it at the top level of the script the workers run.
 * @param serve - starts and returns the worker's `HttpServer` (started)
 * @param options - `{workers, stopTimeout}`
 * @throws RangeError for a bad `workers` or `stopTimeout` (rejects); an Error when a worker dies before serving
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
 */
export async function runCluster(
  serve: () => Promise<HttpServer>,
  options: ClusterOptions = {},
): Promise<ClusterHandle | null> {
  const n = options.workers ?? (await import('node:os')).availableParallelism();
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`runCluster: workers must be a positive integer, got ${String(n)}`);
  }
  const stopTimeout = options.stopTimeout ?? 1000;
  if (typeof stopTimeout !== 'number' || !(stopTimeout >= 0)) {
    throw new RangeError(
      `runCluster: stopTimeout must be a number of ms >= 0, got ${String(stopTimeout)}`,
    );
  }
  if (!cluster.isPrimary) {
    const server = await serve();
    process.on('message', (m: Msg) => {
      if (m?.verdant !== 'stop') return;
      server.stop({ timeout: m.timeout ?? stopTimeout }).then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
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
      if (!w.isDead()) w.send({ verdant: 'stop', timeout: stopTimeout });
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

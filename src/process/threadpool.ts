/**
 * `verdant/threadpool`: a pool of worker threads for CPU-bound work, so the hub keeps turning
 * while it runs. Built on `piscina` (one task per worker, workers started on demand).
 *
 * Design note — what a kill does to a task.
 * - A waiting greenlet waits through `until()`: a kill or `Timeout` ends its wait at once. Its
 *   task's `AbortSignal` is then aborted, and piscina does what verdant promises: a task still queued
 *   is removed and never runs (gevent would run it), a running one is terminated with its worker,
 *   which piscina replaces. The pool stays usable. Tests: test/process/threadpool.test.ts
 *   "a killed waiter's queued task is removed and never runs", "a running task of a killed
 *   waiter is terminated with its worker".
 * - `imap` keeps at most `size` tasks submitted ahead of its consumer; when the consumer stops
 *   (break, kill, a failure) the tasks it submitted and did not take are aborted the same way.
 * - `map`'s `timeout` and `signal` bound the whole call: reading an async iterable (each
 *   `next()` waits with the time left) and its tasks; its `Timeout` says the timeout asked for.
 *   Test: "map()'s deadline and signal also bound reading an async iterable …".
 * - `kill()` destroys the workers (tasks still waited for reject); idle workers are unref'ed by
 *   piscina, so an idle pool never keeps the program alive either. A later task starts new ones.
 * - Why piscina: its per-task `AbortSignal` already has exactly these semantics (dequeue or
 *   terminate-and-replace), it starts workers on demand up to `maxThreads`, unrefs idle ones and
 *   passes errors back with their message. Its tasks are one value handed to one module's
 *   export; verdant's "module whose default export runs as `fn(...args)`" is a thin worker module
 *   of ours (`_threadpool-worker.ts`) that imports the task module once per worker.
 *
 * Source: gevent.threadpool.ThreadPool (spawn, apply, map, imap, kill); tasks are modules, not
 * closures, because a worker thread shares no heap with the hub.
 *
 * @module verdant/threadpool
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format, inspect } from 'node:util';
import { Piscina } from 'piscina';
import { until } from '../core/api.js';
import {
  getHub,
  guardCancellation,
  type Hub,
  isPromiseLike,
  NONE,
  readWaitOptions,
  untilWait,
  type WaitOptions,
  waitArgs,
} from '../core/lowlevel.js';
import { Timeout } from '../core/timeout.js';
import { AsyncResult } from '../sync/event.js';

const WORKER = new URL('./_threadpool-worker.js', import.meta.url).href;

/**
 * The values of `all` in input order, or the error of the first failing one in input order
 * (not the first to fail in time, as `Promise.all` would give). Its rejection is handled by
 * the `until` that waits for it.
 */
async function inOrder<T>(all: readonly Submitted[]): Promise<T[]> {
  const out: T[] = [];
  for (const s of all) out.push((await s.result) as T);
  return out;
}

/** One deadline and signal bounding a whole call (`map`): reading its items and its tasks. */
interface Bound {
  readonly hub: Hub;
  /** The timeout the caller asked for (what the Timeout says), or null for none. */
  readonly timeout: number | null;
  /** `hub.now()` at which it elapses. */
  readonly deadline: number;
  readonly signal: AbortSignal | null;
}

/**
 * `until(promise)` under the time left of `b` and its signal. When the time is up it throws a
 * `Timeout` of the duration the caller asked for (not of the time left at this wait), as one
 * `Timeout` around the whole call would.
 */
function untilBound<T>(promise: PromiseLike<T>, b: Bound): Promise<T> {
  const left = b.timeout === null ? null : Math.max(0, b.deadline - b.hub.now());
  const asked = b.timeout;
  return untilWait(promise, left, b.signal, () => {
    throw new Timeout(asked);
  });
}

/**
 * Read every item of `iterable`, each `next()` (and each promise a sync iterable yields, as
 * `for await` awaits it) waited under `b`. On a Timeout, kill or abort, the iterator is closed.
 */
async function readItems(
  iterable: Iterable<unknown> | AsyncIterable<unknown>,
  b: Bound,
): Promise<unknown[]> {
  const items: unknown[] = [];
  if (Symbol.asyncIterator in iterable) {
    const it = iterable[Symbol.asyncIterator]();
    let done = false;
    try {
      for (;;) {
        const r = await untilBound(Promise.resolve(it.next()), b);
        if (r.done) {
          done = true;
          return items;
        }
        items.push(r.value);
      }
    } finally {
      if (!done && typeof it.return === 'function') {
        // Not awaited: an async generator's return() waits for the next() still running.
        Promise.resolve(it.return()).catch(() => {});
      }
    }
  }
  const it = iterable[Symbol.iterator]();
  let done = false;
  try {
    for (;;) {
      const r = it.next();
      if (r.done) {
        done = true;
        return items;
      }
      items.push(isPromiseLike(r.value) ? await untilBound(r.value, b) : r.value);
    }
  } finally {
    if (!done) it.return?.();
  }
}

/**
 * `gen` with each step's promise guarded (see `guardCancellation`): a `next()` that a kill or
 * `Timeout` ends and nobody awaits is no unhandled rejection. The same iterator every time.
 */
function guarded<T>(gen: AsyncGenerator<T, void, undefined>): AsyncIterableIterator<T> {
  const it: AsyncIterableIterator<T> = {
    next: () => guardCancellation(gen.next()),
    return: (v?: unknown) => guardCancellation(gen.return(v as undefined)),
    throw: (e?: unknown) => guardCancellation(gen.throw(e)),
    [Symbol.asyncIterator]: () => it,
  };
  return it;
}

/** A task: an absolute path, a `file:` URL string or a `URL` naming an ES module. */
export type TaskModule = string | URL;

function moduleHref(m: unknown, where: string): string {
  if (m instanceof URL) {
    if (m.protocol !== 'file:') {
      throw new TypeError(`${where} needs a file: URL or an absolute path: got ${m.href}`);
    }
    return m.href;
  }
  if (typeof m === 'string') {
    if (m.startsWith('file:')) return new URL(m).href;
    if (isAbsolute(m)) return pathToFileURL(m).href;
  }
  throw new TypeError(
    `${where} needs a task module as an absolute path, a file: URL string or a URL: got ${format('%o', m)}`,
  );
}

function checkArgsArray(args: unknown, where: string): unknown[] {
  if (!Array.isArray(args)) {
    throw new TypeError(`${where} needs the arguments as an array: got ${format('%o', args)}`);
  }
  return args;
}

function isIterable(x: unknown): x is Iterable<unknown> | AsyncIterable<unknown> {
  return x !== null && typeof x === 'object' && (Symbol.iterator in x || Symbol.asyncIterator in x);
}

/**
 * Arguments structured clone cannot copy to the worker (a function, a Symbol) rejected with
 * Node's `DataCloneError` (a DOMException), where the way back gives a TypeError naming the
 * module (_threadpool-worker.ts): the same TypeError here (found by the breaker). Any other
 * error as it is. Only the task's posting clones on this side, so the error is the arguments'.
 */
function notCloned(e: unknown, href: string, args: readonly unknown[]): unknown {
  if (!(e instanceof Error) || e.name !== 'DataCloneError') return e;
  return new TypeError(
    `Cannot send the arguments to the task module ${href}: ${e.message} (they cross by structured clone), got ${inspect(args, { depth: 1, breakLength: Number.POSITIVE_INFINITY })}`,
  );
}

/** One submitted task: its result promise and the switch that withdraws it. */
interface Submitted {
  readonly result: Promise<unknown>;
  settled: boolean;
  readonly abort: AbortController;
}

/**
 * A pool of `size` worker threads. Each task is an ES module whose default export the worker
 * runs as `await fn(...args)`; arguments and results cross by structured clone. The hub keeps
 * turning while tasks run.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { ThreadPool } from 'verdant/threadpool';
 * // A task is a module whose default export runs in a worker thread.
 * const task = join(tmpdir(), 'verdant-fib.mjs');
 * writeFileSync(task, 'const fib = (n) => (n < 2 ? n : fib(n - 1) + fib(n - 2));\nexport default fib;\n');
 * const pool = new ThreadPool(4);
 * console.log(await pool.map(task, [25, 26, 27])); // [75025, 121393, 196418]
 * await pool.kill();
 * ```
 *
 * Source: gevent.threadpool.ThreadPool.
 */
export class ThreadPool {
  /** How many tasks run at once (one per worker). */
  readonly size: number;
  #piscina: Piscina | null = null;

  /**
   * Make a pool; no worker starts until the first task.
   * @param size - the number of workers, an integer ≥ 1
   * @throws TypeError when `size` is not a number; RangeError when it is not an integer ≥ 1
   *   (unlike `Pool(0)`)
   */
  constructor(size: number) {
    if (typeof size !== 'number') {
      throw new TypeError(
        `Cannot make a ThreadPool of this size: size must be a number of workers, got ${size === null ? 'null' : typeof size}`,
      );
    }
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(
        `Cannot make a ThreadPool of this size: size must be an integer >= 1, got ${format('%o', size)}`,
      );
    }
    this.size = size;
  }

  #pool(): Piscina {
    if (this.#piscina === null) {
      this.#piscina = new Piscina({
        filename: WORKER,
        minThreads: 0,
        maxThreads: this.size,
        concurrentTasksPerWorker: 1,
        idleTimeout: Number.POSITIVE_INFINITY,
      });
    }
    return this.#piscina;
  }

  #submit(href: string, args: unknown[]): Submitted {
    const abort = new AbortController();
    const s: Submitted = {
      result: this.#pool()
        .run({ module: href, args }, { signal: abort.signal })
        .catch((e: unknown) => {
          throw notCloned(e, href, args);
        }),
      settled: false,
      abort,
    };
    const done = (): void => {
      s.settled = true;
    };
    // Registered first: `settled` is true before any waiter of this promise resumes.
    s.result.then(done, done);
    return s;
  }

  /**
   * Queue a task and return an `AsyncResult` that receives its value or error. Never waits.
   * A waiter of the result that is killed leaves the task running.
   * @param fnModule - the task module
   * @param args - its arguments (structured-cloneable: others make the result a TypeError)
   * @returns the result holder
   * @throws TypeError (as a rejection) for a bad `fnModule`
   * @example
   * ```ts
   * import { writeFileSync } from 'node:fs';
   * import { tmpdir } from 'node:os';
   * import { join } from 'node:path';
   * import { ThreadPool } from 'verdant/threadpool';
   * const task = join(tmpdir(), `verdant-square-${process.pid}.mjs`); // one per process
   * writeFileSync(task, 'export default (n) => n * n;\n');
   * const pool = new ThreadPool(2);
   * const r = await pool.spawn<number>(task, 7);
   * console.log(await r.get()); // 49
   * await pool.kill();
   * ```
   */
  spawn<T = unknown>(fnModule: TaskModule, ...args: unknown[]): Promise<AsyncResult<T>> {
    return guardCancellation(this.#spawn<T>(fnModule, args));
  }

  async #spawn<T>(fnModule: TaskModule, args: unknown[]): Promise<AsyncResult<T>> {
    const s = this.#submit(moduleHref(fnModule, 'ThreadPool.spawn'), args);
    const r = new AsyncResult<T>();
    s.result.then(
      (v) => r.set(v as T),
      // The worker wraps a thrown undefined/null in an Error; never let setException throw here.
      (e: unknown) => r.setException(e ?? new Error(`ThreadPool task failed with ${String(e)}`)),
    );
    return r;
  }

  /**
   * Run a task and wait for its value. A switch point: a kill or `Timeout` ends the wait at
   * once; the task is then removed if still queued (it never runs) or terminated with its
   * worker if running (the worker is replaced).
   * @param fnModule - the task module
   * @param args - its arguments (default none)
   * @param opts - `{timeout, signal}` or a bare timeout in ms (`timeout` throws `Timeout`)
   * @returns what the task's function returned
   * @throws the task's error (an `Error` with its message; a thrown primitive becomes one);
   *   TypeError for a bad `fnModule` or bad options (before the task is submitted), and
   *   TypeError naming the module when its arguments, or its return value (or thrown error),
   *   cannot be copied by structured clone (a function, a Symbol, an object holding one)
   * @example
   * ```ts
   * import { writeFileSync } from 'node:fs';
   * import { tmpdir } from 'node:os';
   * import { join } from 'node:path';
   * import { ThreadPool } from 'verdant/threadpool';
   * const task = join(tmpdir(), `verdant-square-${process.pid}.mjs`); // one per process
   * writeFileSync(task, 'export default (n) => n * n;\n');
   * const pool = new ThreadPool(2);
   * const n = await pool.apply<number>(task, [7]); // 49
   * await pool.kill();
   * ```
   */
  apply<T = unknown>(
    fnModule: TaskModule,
    args: readonly unknown[] = [],
    opts?: WaitOptions | number,
  ): Promise<T> {
    return guardCancellation(this.#apply<T>(fnModule, args, opts));
  }

  async #apply<T>(
    fnModule: TaskModule,
    args: readonly unknown[],
    opts: WaitOptions | number | undefined,
  ): Promise<T> {
    const href = moduleHref(fnModule, 'ThreadPool.apply');
    const list = checkArgsArray(args, 'ThreadPool.apply');
    // Bad options (or a pre-aborted signal) reject before the task is submitted: a task that
    // started would be terminated with its worker (the message named `until`; found by the
    // breaker).
    const err = readWaitOptions(opts, 'ThreadPool.apply');
    if (err !== NONE) throw err;
    const { timeout, signal } = waitArgs;
    const s = this.#submit(href, list);
    try {
      return (await until(s.result, { timeout, signal })) as T;
    } finally {
      if (!s.settled) s.abort.abort();
    }
  }

  /**
   * Run the task once per item of `iterable` (each item is its one argument) and wait for all
   * values, in input order. A switch point; a kill or `Timeout` withdraws every task not done.
   * @param fnModule - the task module
   * @param iterable - the arguments, one task each
   * @param opts - `{timeout, signal}` or a bare timeout in ms, for the whole call: one deadline
   *   counted from the call, not a timeout per item, that also bounds reading an async
   *   iterable (`timeout` throws a `Timeout` saying the timeout given; on a Timeout, kill or
   *   abort while reading, the iterable's `return()` is called)
   * @returns the values in input order
   * @throws the first failing task's error, in input order; TypeError/RangeError (as a
   *   rejection) for bad options (an unknown key too)
   * @example
   * ```ts
   * import { writeFileSync } from 'node:fs';
   * import { tmpdir } from 'node:os';
   * import { join } from 'node:path';
   * import { ThreadPool } from 'verdant/threadpool';
   * const task = join(tmpdir(), `verdant-square-${process.pid}.mjs`); // one per process
   * writeFileSync(task, 'export default (n) => n * n;\n');
   * const pool = new ThreadPool(2);
   * const squares = await pool.map<number>(task, [1, 2, 3]); // [1, 4, 9]
   * await pool.kill();
   * ```
   */
  map<T = unknown>(
    fnModule: TaskModule,
    iterable: Iterable<unknown> | AsyncIterable<unknown>,
    opts?: WaitOptions | number,
  ): Promise<T[]> {
    return guardCancellation(this.#map<T>(fnModule, iterable, opts));
  }

  async #map<T>(
    fnModule: TaskModule,
    iterable: Iterable<unknown> | AsyncIterable<unknown>,
    opts: WaitOptions | number | undefined,
  ): Promise<T[]> {
    const href = moduleHref(fnModule, 'ThreadPool.map');
    if (!isIterable(iterable)) {
      throw new TypeError(`ThreadPool.map needs an iterable: got ${format('%o', iterable)}`);
    }
    // One deadline for the whole call (not one timeout per item): read it before the items.
    const err = readWaitOptions(opts, 'ThreadPool.map');
    if (err !== NONE) throw err;
    const { timeout, signal } = waitArgs;
    const hub = getHub();
    const b: Bound = { hub, timeout, deadline: hub.now() + (timeout ?? 0), signal };
    // Reading the items is part of the call: under the same deadline and signal.
    const items = await readItems(iterable, b);
    const all = items.map((x) => this.#submit(href, [x]));
    try {
      return await untilBound(inOrder<T>(all), b);
    } finally {
      for (const s of all) if (!s.settled) s.abort.abort();
    }
  }

  /**
   * The task's values over `iterable`, in input order, as an async iterable returned at once.
   * At most `size` tasks are submitted ahead of the consumer. Each `next()` is a switch point;
   * when the consumer stops (break, kill, `Timeout`, a failure thrown at its position), the
   * tasks it did not take are withdrawn.
   * @param fnModule - the task module
   * @param iterable - the arguments, one task each
   * @returns an async iterable of the values
   * @throws TypeError at once for a bad `fnModule` or a non-iterable
   * @example
   * ```ts
   * import { writeFileSync } from 'node:fs';
   * import { tmpdir } from 'node:os';
   * import { join } from 'node:path';
   * import { ThreadPool } from 'verdant/threadpool';
   * const task = join(tmpdir(), `verdant-square-${process.pid}.mjs`); // one per process
   * writeFileSync(task, 'export default (n) => n * n;\n');
   * const pool = new ThreadPool(2);
   * for await (const v of pool.imap<number>(task, [1, 2, 3])) console.log(v); // 1, 4, 9
   * await pool.kill();
   * ```
   */
  imap<T = unknown>(
    fnModule: TaskModule,
    iterable: Iterable<unknown> | AsyncIterable<unknown>,
  ): AsyncIterable<T> {
    const href = moduleHref(fnModule, 'ThreadPool.imap');
    if (!isIterable(iterable)) {
      throw new TypeError(`ThreadPool.imap needs an iterable: got ${format('%o', iterable)}`);
    }
    return guarded(this.#imap<T>(href, iterable));
  }

  async *#imap<T>(
    href: string,
    iterable: Iterable<unknown> | AsyncIterable<unknown>,
  ): AsyncGenerator<T, void, undefined> {
    const ahead: Submitted[] = [];
    const it =
      Symbol.asyncIterator in iterable
        ? (iterable as AsyncIterable<unknown>)[Symbol.asyncIterator]()
        : (iterable as Iterable<unknown>)[Symbol.iterator]();
    let exhausted = false;
    try {
      for (;;) {
        while (!exhausted && ahead.length < this.size) {
          // Reading the items is a verdant wait, as in map(): a kill or Timeout lands there even
          // when the iterable waits on something foreign (it waited for the item; found by the
          // breaker). A promise a sync iterable yields is awaited, as `for await` (and map) do.
          const r = await until(Promise.resolve(it.next()));
          if (r.done === true) exhausted = true;
          else {
            const v = isPromiseLike(r.value) ? await until(r.value) : r.value;
            ahead.push(this.#submit(href, [v]));
          }
        }
        const s = ahead.shift();
        if (s === undefined) return;
        try {
          yield (await until(s.result)) as T;
        } finally {
          if (!s.settled) s.abort.abort();
        }
      }
    } finally {
      for (const s of ahead) if (!s.settled) s.abort.abort();
      if (!exhausted && typeof it.return === 'function') {
        // Not awaited: an async generator's return() waits for the next() still running.
        Promise.resolve(it.return()).catch(() => {});
      }
    }
  }

  /**
   * Terminate every worker. Tasks still waited for reject (their waiters get an `Error`); then
   * nothing of the pool keeps the process alive. The pool stays usable: a later task starts new
   * workers. A switch point only in that it waits for the threads to end (a foreign await).
   * @example
   * ```ts
   * import { writeFileSync } from 'node:fs';
   * import { tmpdir } from 'node:os';
   * import { join } from 'node:path';
   * import { ThreadPool } from 'verdant/threadpool';
   * const task = join(tmpdir(), `verdant-square-${process.pid}.mjs`); // one per process
   * writeFileSync(task, 'export default (n) => n * n;\n');
   * const pool = new ThreadPool(2);
   * await pool.apply(task, [2]);
   * await pool.kill(); // the workers are gone; a later task starts new ones
   * ```
   */
  kill(): Promise<void> {
    const p = this.#piscina;
    this.#piscina = null;
    return p === null ? Promise.resolve() : guardCancellation(until(p.destroy()));
  }
}

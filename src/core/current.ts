/**
 * The running greenlet and the top-level spawners: `getCurrent`, `spawn`, `spawnLater`.
 *
 * @module
 */
import { currentFiber } from './context.js';
import { Greenlet } from './greenlet.js';
import type { RawGreenlet } from './rawgreenlet.js';

/**
 * The greenlet running now: a `Greenlet`, a `RawGreenlet`, or the main greenlet (a
 * `RawGreenlet` named "main") outside any. Right after any await, foreign or not.
 * Never switches.
 *
 * Source: `gevent.getcurrent()`.
 * @example
 * ```ts
 * import { getCurrent, spawn } from 'verdant';
 * const g = spawn(() => getCurrent());
 * console.log((await g.get()) === g); // true
 * ```
 */
export function getCurrent(): Greenlet | RawGreenlet {
  return currentFiber() as Greenlet | RawGreenlet;
}

/**
 * Create a {@link Greenlet} running `fn(...args)` and start it. It returns at once; `fn` starts
 * when the caller next waits (or returns to the loop), after greenlets spawned before it.
 * Never switches.
 *
 * Source: `gevent.spawn`.
 * @throws TypeError when `fn` is not a function.
 * @example
 * ```ts
 * import { sleep, spawn } from 'verdant';
 * const g = spawn(async (n: number) => { await sleep(10); return n + 1; }, 1);
 * console.log(await g.get()); // 2
 * ```
 */
export function spawn<R, A extends unknown[]>(
  fn: (...args: A) => R | PromiseLike<R>,
  ...args: A
): Greenlet<Awaited<R>> {
  const g = new Greenlet<Awaited<R>>(fn as unknown as () => Awaited<R>, ...args);
  g.start();
  return g;
}

/**
 * Like {@link spawn}, but the greenlet starts `ms` milliseconds from now (hub clock). Never
 * switches. Ready callbacks run before timers: `spawnLater(0, f)` runs after a later `spawn(g)`.
 *
 * Source: `gevent.spawn_later`.
 * @throws TypeError when `fn` is not a function; TypeError/RangeError for a bad `ms`.
 * @example
 * ```ts
 * import { spawnLater } from 'verdant';
 * const g = spawnLater(100, () => console.log('100 ms later'));
 * await g.join();
 * ```
 */
export function spawnLater<R, A extends unknown[]>(
  ms: number,
  fn: (...args: A) => R | PromiseLike<R>,
  ...args: A
): Greenlet<Awaited<R>> {
  return Greenlet.spawnLater(ms, fn, ...args);
}

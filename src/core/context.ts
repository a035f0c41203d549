/**
 * Which greenlet is running: one `AsyncLocalStorage` context per greenlet.
 *
 * Design note: a greenlet's body runs inside `als.enterWith(g)` entered within the context of
 * the code that spawned it, so `getCurrent()` is right after any await — verdant's or a foreign
 * promise's — and a user's own stores set around `spawn` are seen inside. Code outside any
 * greenlet gets the main greenlet, which `rawgreenlet.ts` makes (it registers the factory when
 * it loads, so this module imports nothing of the fibers and no import cycle runs through it).
 * Tests: test/core/current.test.ts.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Fiber } from './_fiber.js';

/** The store that names the running greenlet. @internal */
export const als: AsyncLocalStorage<Fiber> = new AsyncLocalStorage<Fiber>();

let main: Fiber | null = null;
let makeMain: (() => Fiber) | null = null;

/**
 * The key `Local` stores a fiber's values under, made on first use. A greenlet drops it when it
 * dies ({@link dropLocalsKey}), so its values can be collected even while the dead greenlet
 * object is still referenced (a list of finished jobs): gevent #387,
 * `test_locals_collected_when_greenlet_dead_but_still_referenced`. Keyed by the fiber itself,
 * a `Local`'s WeakMap kept them as long as the greenlet object lived.
 */
const localsKeys = new WeakMap<Fiber, object>();
let localsUsed = false;

/** The key of `fiber`'s `Local` values (made on first use). @internal */
export function localsKey(fiber: Fiber): object {
  let k = localsKeys.get(fiber);
  if (k === undefined) {
    k = {};
    localsKeys.set(fiber, k);
    localsUsed = true;
  }
  return k;
}

/** A fiber died: let its `Local` values go (a later `localsKey` makes a fresh key). @internal */
export function dropLocalsKey(fiber: Fiber): void {
  if (localsUsed) localsKeys.delete(fiber);
}

/** Register how the main greenlet is made (rawgreenlet.ts, when it loads). @internal */
export function setMainFactory(factory: () => Fiber): void {
  makeMain = factory;
}

/** The running fiber: the current greenlet, or main outside any. @internal */
export function currentFiber(): Fiber {
  return als.getStore() ?? main ?? initMain();
}

function initMain(): Fiber {
  if (makeMain === null)
    throw new Error('Cannot find the main greenlet: core/rawgreenlet.js is not loaded');
  main = makeMain();
  return main;
}

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

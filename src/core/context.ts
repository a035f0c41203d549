/**
 * Which greenlet is running: one `AsyncLocalStorage` context per greenlet.
 *
 * Design note: a greenlet's body runs inside `als.enterWith(g)` entered within the context of
 * the code that spawned it, so `getCurrent()` is right after any await — verdant's or a foreign
 * promise's — and a user's own stores set around `spawn` are seen inside. Code outside any
 * greenlet gets the main greenlet. Tests: test/core/api.test.ts "getCurrent() is right after foreign awaits".
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Fiber } from './_fiber.js';
import { getMain } from './rawgreenlet.js';

/** The store that names the running greenlet. @internal */
export const als: AsyncLocalStorage<Fiber> = new AsyncLocalStorage<Fiber>();

/** The running fiber: the current greenlet, or main outside any. @internal */
export function currentFiber(): Fiber {
  return als.getStore() ?? getMain();
}

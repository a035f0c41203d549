/**
 * The async iterator of every queue class: `get()` until `QueueShutDown`.
 *
 * Design note: `next()` is one `get()` plus one `.then` — no async generator, whose extra
 * promise jobs would tax every item. A `get()` that need not wait resolves without a switch,
 * so a drained-in-one-turn loop lets no other greenlet run. Only `QueueShutDown` ends the loop;
 * any other rejection (a kill, a `Timeout`) is thrown from the `for await`. Tests:
 * test/sync/queue/_conformance.ts "iteration".
 *
 * @module
 */
import { QueueShutDown } from './errors.js';

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

function toResult<T>(value: T): IteratorResult<T> {
  return { done: false, value };
}

function endOnShutdown(err: unknown): IteratorResult<never> {
  if (err instanceof QueueShutDown) return DONE;
  throw err;
}

/** @internal */
export class QueueIterator<T> implements AsyncIterator<T> {
  #q: { get(): Promise<T> };

  constructor(q: { get(): Promise<T> }) {
    this.#q = q;
  }

  next(): Promise<IteratorResult<T>> {
    return this.#q.get().then(toResult, endOnShutdown);
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this;
  }
}

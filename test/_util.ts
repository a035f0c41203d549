// Small helpers shared by the test files (not part of the package).
import assert from 'node:assert/strict';
import { sleep, spawn } from '../src/core/api.js';
import { getHub } from '../src/core/hub.js';
import { Timeout } from '../src/core/timeout.js';

/**
 * Route the current hub's failure reports into an array (call it inside `runVirtual`: each
 * call has a fresh hub whose stream is stderr). Each element is one `write()`.
 */
export function captureReports(): string[] {
  const out: string[] = [];
  getHub().exceptionStream = {
    write(text: string): void {
      out.push(text);
    },
  };
  return out;
}

/**
 * Call `fn` (a call that can wait) and check that it does not throw synchronously, returns a
 * promise, and that the promise rejects with `expected`.
 */
export async function assertRejectsNoThrow(
  fn: () => unknown,
  expected: assert.AssertPredicate,
): Promise<void> {
  let p: unknown;
  try {
    p = fn();
  } catch (err) {
    assert.fail(`expected a rejected promise, the call threw synchronously: ${String(err)}`);
  }
  assert.ok(p instanceof Promise, 'a call that can wait returns a promise');
  await assert.rejects(p, expected);
}

/** A promise made outside verdant, with its resolve/reject. */
export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
} {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * The unhandled promise rejections seen while `fn` runs and for `settleMs` real milliseconds
 * after (a rejection left unhandled is reported a turn of Node's loop after it happens).
 */
export async function noUnhandled(fn: () => Promise<void>, settleMs = 30): Promise<unknown[]> {
  const seen: unknown[] = [];
  const on = (err: unknown): void => {
    seen.push(err);
  };
  process.on('unhandledRejection', on);
  try {
    await fn();
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    await macrotask();
  } finally {
    process.off('unhandledRejection', on);
  }
  return seen;
}

/**
 * Start `start()` and forget it (`void`, as a `Promise.race` loser is) in a new greenlet, then
 * end that greenlet: killed, or by a `Timeout` landing in the wait it makes after. What a
 * forgotten call must survive without an unhandled rejection (run it under {@link noUnhandled}).
 */
export async function forgetThenEnd(
  start: () => unknown,
  how: 'kill' | 'Timeout',
  name: string,
): Promise<void> {
  const g = spawn(async () => {
    const t = how === 'Timeout' ? Timeout.startNew(30) : null;
    try {
      void start();
      await sleep(5000);
    } catch (e) {
      if (e !== t) throw e;
    } finally {
      t?.cancel();
    }
  });
  await sleep(10);
  if (how === 'kill') await g.kill();
  assert.ok(await g.join(3000), `${name}: the greenlet ended`);
}

/** Let Node's loop turn once (a macrotask): every microtask queued before has run. */
export function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** An error a test throws on purpose, told apart from any other. */
export class ExpectedError extends Error {
  constructor(message?: string) {
    super(message);
    this.name = 'ExpectedError';
  }
}

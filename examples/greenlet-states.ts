/**
 * Greenlet states: `started`, `ready()`, `successful()`, `value`, `exception`. A failure stays
 * inside its greenlet: it does not propagate to the code that spawned or joined it.
 *
 * Ported from seed 000 (the tutorial's "Greenlet State", `win`/`fail`); seed 001 has the same
 * program with `'You failed!'` and the `ready()` lines before the `value` lines. gevent 22.10
 * prints `True True`, the failure report on stderr, then
 * `You win! / None / True / True / True / False / You fail at failing.`
 *
 * Deviations from the seed:
 * - Python values print as JS values: `true`/`false`, `undefined` for `None`, and the exception
 *   as `String(e)` (`Error: You fail at failing.`).
 * - No failure report on stderr: verdant reports a failure only when nobody is waiting for the
 *   greenlet, and `joinAll` is waiting here (gevent prints the traceback anyway).
 * - `except Exception` around `joinAll` becomes a `catch` that is never reached either.
 *
 * Run: node dist/examples/greenlet-states.js
 */
import { pathToFileURL } from 'node:url';
import { joinAll, spawn } from '../src/index.js';

function win(): string {
  return 'You win!';
}

function fail(): never {
  throw new Error('You fail at failing.');
}

export async function main(): Promise<void> {
  const winner = spawn(win);
  const loser = spawn(fail);

  console.log(winner.started); // true
  console.log(loser.started); // true

  // Exceptions thrown in the greenlet stay inside the greenlet.
  try {
    await joinAll([winner, loser]);
  } catch {
    console.log('This will never be reached');
  }

  console.log(winner.value); // 'You win!'
  console.log(loser.value); // undefined

  console.log(winner.ready()); // true
  console.log(loser.ready()); // true

  console.log(winner.successful()); // true
  console.log(loser.successful()); // false

  // The exception thrown in fail does not propagate outside the greenlet.
  console.log(String(loser.exception));

  // It can be thrown again outside with `throw loser.exception`, or with `await loser.get()`.
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

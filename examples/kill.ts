/**
 * Killing a greenlet: `kill()` wakes it at its wait and throws `GreenletExit` there, so its
 * `finally` blocks run; it ends *successfully*, with the `GreenletExit` as its value.
 *
 * Ported from seed 003, which states it in prose: "Greenlets can be killed synchronously from
 * another greenlet. Killing will resume the sleeping greenlet, but instead of continuing
 * execution, a GreenletExit will be raised." (no code sample; this port writes the program).
 * gevent 22.10 behaves the same: the greenlet is `successful()` with the `GreenletExit` as
 * `value`; another exception makes it a failure; a greenlet killed before it started never
 * runs.
 *
 * Deviations:
 * - A `catch` that logs and rethrows: `GreenletExit` is a `Cancellation`, and code that catches
 *   broadly must rethrow those (Python's `except BaseException: …; raise`).
 * - gevent 22.10 also writes `h`'s failure report (its traceback) to stderr; verdant reports a
 *   failure only when nobody waits for the greenlet, and the blocking `kill()` is waiting.
 *
 * Run: node dist/examples/kill.js
 */
import { pathToFileURL } from 'node:url';
import { GreenletExit, sleep, spawn } from '../src/index.js';

async function sleeper(name: string): Promise<void> {
  try {
    console.log(`${name}: sleeping for 10 seconds`);
    await sleep(10_000);
    console.log(`${name}: never printed`);
  } catch (e) {
    console.log(`${name}: interrupted by ${(e as Error).name}`);
    throw e; // always rethrow what you did not expect to handle
  } finally {
    console.log(`${name}: finally runs`);
  }
}

export async function main(): Promise<void> {
  const g = spawn(sleeper, 'g');
  await sleep(100);
  await g.kill(); // waits until g is dead
  console.log('g.dead:', g.dead);
  console.log('g.successful():', g.successful());
  console.log('g.value is a GreenletExit:', (g.value as unknown) instanceof GreenletExit);

  // Another exception makes the killed greenlet a failure.
  const h = spawn(sleeper, 'h');
  await sleep(100);
  await h.kill({ exception: new Error('shut down') });
  console.log('h.successful():', h.successful());
  console.log('h.exception:', String(h.exception));

  // A greenlet killed before it started never runs.
  const never = spawn(sleeper, 'never');
  await never.kill();
  console.log('never.dead:', never.dead);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

/**
 * A `Timeout` as a deadline for everything the current greenlet does: started before the
 * `join`, it is thrown at that wait when its time is up.
 *
 * Ported from seed 000 (the tutorial's "Timeouts": `Timeout(10)`, `spawn(wait).join()`) and
 * seed 001 (the same with `Timeout(2)`). gevent 22.10 prints `Could not complete`.
 *
 * Deviations from the seed:
 * - Milliseconds: 10000 for 10 s.
 * - `except Timeout:` becomes a `catch` that checks it is this timeout and rethrows anything
 *   else (TypeScript catches everything).
 *
 * Run: node dist/examples/timeout-object.js
 */
import { pathToFileURL } from 'node:url';
import { sleep, spawn, Timeout } from '../src/index.js';

async function wait(): Promise<void> {
  await sleep(10_000);
}

export async function main(): Promise<void> {
  const seconds = 10_000; // milliseconds, despite the name the tutorial gives it
  const timeout = new Timeout(seconds);
  timeout.start();

  try {
    await spawn(wait).join();
  } catch (e) {
    if (e !== timeout) throw e;
    console.log('Could not complete');
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

/**
 * Two greenlets sleeping for different times interleave on one timer clock.
 *
 * Ported from seed 000 (`func_a` sleeps 1 s, `func_b` 0.5 s, each counting down from 10).
 * gevent 22.10 prints the same order as this port: at each whole second both are due, and
 * timers with the same deadline fire in the order they were created, so `func_a` goes first.
 *
 * Deviations from the seed:
 * - Milliseconds: `sleep(1000)` and `sleep(500)` for `gevent.sleep(1)` and `gevent.sleep(0.5)`.
 * - `monkey.patch_all()` is dropped: verdant's `sleep` is cooperative without patching.
 *
 * Run: node dist/examples/sleep-interleave.js
 */
import { pathToFileURL } from 'node:url';
import { sleep, spawn } from '../src/index.js';

async function funcA(): Promise<void> {
  let count = 10;
  while (count > 0) {
    console.log(`func_a ---> ${count}`);
    count -= 1;
    await sleep(1000); // a long operation: the other greenlet runs meanwhile
  }
}

async function funcB(): Promise<void> {
  let count = 10;
  while (count > 0) {
    console.log(`func_b ---> ${count}`);
    count -= 1;
    await sleep(500);
  }
}

export async function main(): Promise<void> {
  const g1 = spawn(funcA); // create a greenlet
  const g2 = spawn(funcB);
  await g1.join(); // wait for it to finish
  await g2.join();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

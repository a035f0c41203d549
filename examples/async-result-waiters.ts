/**
 * AsyncResult with five waiters: every one of them gets the value the setter sends.
 *
 * Ported from seed 001 (its `AsyncResult` sample, which changes the `Event` sample's setter and
 * waiter: `aevt.set('Hello!')`, `message = aevt.get()`, five waiters). gevent 22.10 prints
 * `Wait for me`, five `I'll wait for you`, then after three seconds `Ok, I'm done` and five
 * `Got wake up message: Hello!`, and so does this port.
 *
 * Deviations from the seed:
 * - Milliseconds: `sleep(3000)` for 3 s.
 * - The blog's typographic quotes (`I‘ll`) are plain apostrophes.
 *
 * Run: node dist/examples/async-result-waiters.js
 */
import { pathToFileURL } from 'node:url';
import { AsyncResult, joinAll, sleep, spawn } from '../src/index.js';

export async function main(): Promise<void> {
  const aevt = new AsyncResult<string>();

  async function setter(): Promise<void> {
    console.log('Wait for me');
    await sleep(3000); // wakes every greenlet waiting on aevt after 3 seconds
    console.log("Ok, I'm done");
    aevt.set('Hello!'); // wake them, and hand them the message
  }

  async function waiter(): Promise<void> {
    console.log("I'll wait for you");
    const message = await aevt.get(); // wait, and get the message when woken
    console.log(`Got wake up message: ${message}`);
  }

  await joinAll([
    spawn(setter),
    spawn(waiter),
    spawn(waiter),
    spawn(waiter),
    spawn(waiter),
    spawn(waiter),
  ]);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

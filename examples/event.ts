/**
 * Event: one greenlet sets it, every greenlet waiting on it wakes up.
 *
 * Ported from seed 000 (the tutorial's "Events": `setter` and five `waiter`s); seed 001 has the
 * same program with other strings (`Wait for me`, `Finish waiting`). gevent 22.10 prints the
 * setter's line, five `I'll wait for you`, then after three seconds `Ok, I'm done` and five
 * `It's about time`, and so does this port.
 *
 * Deviations from the seed:
 * - Milliseconds: `sleep(3000)` for 3 s.
 *
 * Run: node dist/examples/event.js
 */
import { pathToFileURL } from 'node:url';
import { Event, joinAll, sleep, spawn } from '../src/index.js';

export async function main(): Promise<void> {
  const evt = new Event();

  /** After 3 seconds, wake all greenlets waiting on evt. */
  async function setter(): Promise<void> {
    console.log('A: Hey wait for me, I have to do something');
    await sleep(3000);
    console.log("Ok, I'm done");
    evt.set(); // the waiters see the flag set: their wait() returns
  }

  /** After 3 seconds the wait call will unblock. */
  async function waiter(): Promise<void> {
    console.log("I'll wait for you");
    await evt.wait(); // blocking
    console.log("It's about time");
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

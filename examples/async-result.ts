/**
 * AsyncResult: an Event that carries a value (a future): `get()` waits for it, `set(value)`
 * wakes every waiter with it.
 *
 * Ported from seed 000 (the tutorial's `AsyncResult` sample: one setter, one waiter). gevent
 * 22.10 prints `Hello!` after three seconds, and so does this port.
 *
 * Deviations from the seed:
 * - Milliseconds: `sleep(3000)` for 3 s.
 *
 * Run: node dist/examples/async-result.js
 */
import { pathToFileURL } from 'node:url';
import { AsyncResult, joinAll, sleep, spawn } from '../src/index.js';

export async function main(): Promise<void> {
  const a = new AsyncResult<string>();

  /** After 3 seconds set the result of a. */
  async function setter(): Promise<void> {
    await sleep(3000);
    a.set('Hello!');
  }

  /** After 3 seconds the get call will unblock after the setter puts a value into a. */
  async function waiter(): Promise<void> {
    console.log(await a.get());
  }

  await joinAll([spawn(setter), spawn(waiter)]);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

/**
 * A bounded Queue: the boss's `put` waits while three tasks are queued, the workers' `get`
 * gives up after one second without work (`QueueEmpty`).
 *
 * Ported from seed 000 (the tutorial's `Queue(maxsize=3)` sample: `boss`, workers `steve`,
 * `john`, `bob`, `tasks.get(timeout=1)`).
 *
 * Deviations from the seed:
 * - Milliseconds: `get({ timeout: 1000 })` for `get(timeout=1)`.
 * - gevent's `Empty` is `QueueEmpty`; `except Empty:` becomes a `catch` that rethrows anything
 *   else.
 *
 * Run: node dist/examples/queue-bounded.js
 */
import { pathToFileURL } from 'node:url';
import { joinAll, Queue, QueueEmpty, sleep, spawn } from '../src/index.js';

export async function main(): Promise<void> {
  const tasks = new Queue<number>(3);

  async function worker(name: string): Promise<void> {
    try {
      for (;;) {
        const task = await tasks.get({ timeout: 1000 }); // decrements queue size by 1
        console.log(`Worker ${name} got task ${task}`);
        await sleep(0);
      }
    } catch (e) {
      if (!(e instanceof QueueEmpty)) throw e;
      console.log('Quitting time!');
    }
  }

  /** Boss will wait to hand out work until an individual worker is free: maxsize is 3. */
  async function boss(): Promise<void> {
    for (let i = 1; i < 10; i++) await tasks.put(i);
    console.log('Assigned all work in iteration 1');

    for (let i = 10; i < 20; i++) await tasks.put(i);
    console.log('Assigned all work in iteration 2');
  }

  await joinAll([spawn(boss), spawn(worker, 'steve'), spawn(worker, 'john'), spawn(worker, 'bob')]);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

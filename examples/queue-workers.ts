/**
 * A boss fills a Queue, three workers take turns emptying it.
 *
 * Ported from seed 000 (the tutorial's "Queues": `boss` with `put_nowait`, workers `steve`,
 * `john`, `nancy`). gevent 22.10 prints `Worker steve got task 1`, `Worker john got task 2`,
 * `Worker nancy got task 3` … up to task 24, then `Quitting time!` three times, and so does
 * this port.
 *
 * Deviations from the seed: none beyond the spelling (`putNowait`, `await tasks.get()`).
 *
 * Run: node dist/examples/queue-workers.js
 */
import { pathToFileURL } from 'node:url';
import { joinAll, Queue, sleep, spawn } from '../src/index.js';

export async function main(): Promise<void> {
  const tasks = new Queue<number>();

  async function worker(n: string): Promise<void> {
    while (!tasks.empty()) {
      const task = await tasks.get();
      console.log(`Worker ${n} got task ${task}`);
      await sleep(0);
    }
    console.log('Quitting time!');
  }

  function boss(): void {
    for (let i = 1; i < 25; i++) tasks.putNowait(i);
  }

  await spawn(boss).join();

  await joinAll([spawn(worker, 'steve'), spawn(worker, 'john'), spawn(worker, 'nancy')]);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

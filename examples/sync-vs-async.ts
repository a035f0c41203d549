/**
 * Synchronous vs asynchronous: the same non-deterministic task run one after the other, then as
 * ten greenlets. The concurrent run takes as long as the slowest task, not the sum.
 *
 * Ported from seed 000 (the tutorial's `task(pid)`, `synchronous()`, `asynchronous()`). gevent
 * 22.10 prints `Task 1 done` … `Task 9 done` in order, then the ten asynchronous tasks in an
 * order that depends on the random sleeps.
 *
 * Deviations from the seed:
 * - Milliseconds: `sleep(randint(0, 2))` for `gevent.sleep(random.randint(0, 2) * 0.001)`.
 * - The random numbers come from a seeded generator, so every run prints the same order (the
 *   test checks it); with Python's `random` the order changes from run to run.
 * - Each half also prints how long it took on the hub clock (`getHub().now()`): that is the point
 *   of the sample, which the seed only states in prose.
 *
 * Run: node dist/examples/sync-vs-async.js
 */
import { pathToFileURL } from 'node:url';
import { getHub, joinAll, sleep, spawn } from '../src/index.js';
import { seededRandom } from './_random.js';

export async function main(): Promise<void> {
  const random = seededRandom(2024);

  /** Some non-deterministic task. */
  async function task(pid: number): Promise<void> {
    await sleep(random.randint(0, 2));
    console.log(`Task ${pid} done`);
  }

  async function synchronous(): Promise<void> {
    for (let i = 1; i < 10; i++) await task(i);
  }

  async function asynchronous(): Promise<void> {
    const threads = [];
    for (let i = 0; i < 10; i++) threads.push(spawn(task, i));
    await joinAll(threads);
  }

  const hub = getHub();
  console.log('同步执行:'); // Synchronous:
  let t0 = hub.now();
  await synchronous();
  console.log(`(${(hub.now() - t0).toFixed(1)} ms)`);
  console.log('异步执行:'); // Asynchronous:
  t0 = hub.now();
  await asynchronous();
  console.log(`(${(hub.now() - t0).toFixed(1)} ms)`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

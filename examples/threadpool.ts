/**
 * A thread pool: four blocking calls on three worker threads take two rounds, while the hub
 * stays free. gevent's examples/threadpool.py.
 *
 * Ported from gevent's examples (listed by seed 000). Deviations: `time.sleep(1)` in a thread
 * becomes a task module (`_tasks/block.ts`) that blocks its worker thread with `Atomics.wait`;
 * `gevent.wait()` becomes awaiting the four `AsyncResult`s; the tour runs it with 250 ms blocks.
 *
 * Run: node dist/examples/threadpool.js
 */
import { pathToFileURL } from 'node:url';
import { ThreadPool } from '../src/process/threadpool.js';

const block = new URL('./_tasks/block.js', import.meta.url);

export async function main(ms = 1000): Promise<void> {
  const pool = new ThreadPool(3);
  const start = performance.now();
  const results = [];
  for (let i = 0; i < 4; i++) results.push(await pool.spawn(block, ms));
  for (const r of results) await r.get();
  const delay = (performance.now() - start) / 1000;
  console.log(
    `Running "block(${ms})" 4 times with 3 threads. Should take about ${(2 * ms) / 1000} seconds: ${delay.toFixed(3)}s`,
  );
  await pool.kill();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

/**
 * A BoundedSemaphore(2) lets two workers in at a time; a `release()` wakes the next waiter in
 * FIFO order, and the woken worker runs after the releasing one's turn.
 *
 * Ported from seed 001 (its `BoundedSemaphore` sample: six workers, `sem.acquire()`,
 * `gevent.sleep(0)`, `sem.release()`). The seed quotes the output of an older gevent (with the
 * long-gone `gevent.coros` module), which ends
 *
 *     Worker 4 acquired semaphore
 *     Worker 4 released semaphore
 *     Worker 5 acquired semaphore
 *     Worker 5 released semaphore
 *
 * verdant's rules (a release never switches; the woken waiters run from the hub in FIFO order)
 * do not produce that. This port prints what gevent 22.10 prints: workers 4 and 5 acquire
 * together, like 0 and 1 and like 2 and 3:
 *
 *     Worker 4 acquired semaphore
 *     Worker 5 acquired semaphore
 *     Worker 4 released semaphore
 *     Worker 5 released semaphore
 *
 * Deviations from the seed:
 * - The output above, as said.
 * - `gevent.coros.BoundedSemaphore` is `BoundedSemaphore`; Python 2's `xrange`.
 *
 * Run: node dist/examples/bounded-semaphore.js
 */
import { pathToFileURL } from 'node:url';
import { BoundedSemaphore, joinAll, sleep, spawn } from '../src/index.js';

export async function main(): Promise<void> {
  const sem = new BoundedSemaphore(2);

  async function worker(n: number): Promise<void> {
    await sem.acquire();
    console.log(`Worker ${n} acquired semaphore`);
    await sleep(0);
    sem.release();
    console.log(`Worker ${n} released semaphore`);
  }

  const workers = [];
  for (let i = 0; i < 6; i++) workers.push(spawn(worker, i));
  await joinAll(workers);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

/**
 * A BoundedSemaphore(2) taken by hand (`acquire`/`release`) and scoped with `using`
 * (`await sem.hold()`, Python's `with sem:`), by workers a Pool maps over.
 *
 * Ported from seed 000 (the tutorial's "Locks and Semaphores": `worker1`, `worker2`,
 * `pool.map`). The seed's quoted output is also what gevent 22.10 and this port print:
 * workers 0 and 1, then 3 and 4 hold the semaphore together; 5 waits for a release.
 *
 * Deviations from the seed:
 * - `with sem:` is a block with `using _permit = await sem.hold()`, released when it ends.
 *
 * Run: node dist/examples/semaphore-pool.js
 */
import { pathToFileURL } from 'node:url';
import { BoundedSemaphore, Pool, sleep } from '../src/index.js';

export async function main(): Promise<void> {
  const sem = new BoundedSemaphore(2);

  async function worker1(n: number): Promise<void> {
    await sem.acquire();
    console.log(`Worker ${n} acquired semaphore`);
    await sleep(0);
    sem.release();
    console.log(`Worker ${n} released semaphore`);
  }

  async function worker2(n: number): Promise<void> {
    {
      using _permit = await sem.hold();
      console.log(`Worker ${n} acquired semaphore`);
      await sleep(0);
    }
    console.log(`Worker ${n} released semaphore`);
  }

  const pool = new Pool();
  await pool.map(worker1, [0, 1]);
  await pool.map(worker2, [3, 4, 5]);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

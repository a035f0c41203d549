/**
 * A Semaphore(1) used as a lock by two loops running at different paces.
 *
 * Ported from seed 000 ("如果需要在使用 gevent 的时候加锁": `f1` sleeps 1 s, `f2` 0.3 s between
 * turns). gevent 22.10 prints `run f1, this is  0`, then `f2` 0 to 3, `f1` 1, `f2` 4, `f1` 2 to
 * 4 (Python's `print` joins its arguments with a space, hence two spaces), and so does this
 * port.
 *
 * Deviations from the seed:
 * - Milliseconds: `sleep(1000)` and `sleep(300)` for 1 and 0.3 s.
 *
 * Run: node dist/examples/semaphore.js
 */
import { pathToFileURL } from 'node:url';
import { joinAll, Semaphore, sleep, spawn } from '../src/index.js';

export async function main(): Promise<void> {
  const sem = new Semaphore(1);

  async function f1(): Promise<void> {
    for (let i = 0; i < 5; i++) {
      await sem.acquire();
      console.log('run f1, this is ', i);
      sem.release();
      await sleep(1000);
    }
  }

  async function f2(): Promise<void> {
    for (let i = 0; i < 5; i++) {
      await sem.acquire();
      console.log('run f2, that is ', i);
      sem.release();
      await sleep(300);
    }
  }

  const t1 = spawn(f1);
  const t2 = spawn(f2);
  await joinAll([t1, t2]);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

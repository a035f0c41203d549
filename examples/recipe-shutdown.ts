/**
 * Cookbook: graceful shutdown on SIGTERM — stop taking new work, let the work in progress
 * finish (up to a deadline), then kill what is left, and exit with nothing lost.
 *
 * A producer feeds a queue and two workers process it. On SIGTERM (here the program sends it to
 * itself after a moment, as a supervisor would) the producer is killed, the queue is shut down
 * — the workers drain what is queued and their `for await` loops end — and the workers get
 * 2 s to finish before they are killed. The signal handler only sets an `Event`: it runs
 * outside any greenlet, and `set()` never switches.
 *
 * Written for verdant's cookbook (docs/cookbook.md).
 *
 * Run: node dist/examples/recipe-shutdown.js (or send it SIGTERM yourself with kill).
 */
import { pathToFileURL } from 'node:url';
import { Event, Group, Queue, sleep, spawn } from '../src/index.js';

export async function main(): Promise<void> {
  const stopping = new Event();
  const onTerm = (): void => stopping.set();
  process.once('SIGTERM', onTerm);
  try {
    const jobs = new Queue<number>(4);
    let put = 0;
    let done = 0;
    const producer = spawn(async () => {
      for (;;) {
        await jobs.put(put + 1); // a kill while it waits for room inserts nothing …
        put++; // … so count the job only once it is in
        await sleep(20);
      }
    });
    const workers = new Group();
    for (let w = 0; w < 2; w++) {
      await workers.spawn(async () => {
        for await (const job of jobs) {
          await sleep(30); // the work
          done++;
          jobs.taskDone();
          void job;
        }
      });
    }
    console.log('running; a supervisor will send SIGTERM');
    spawn(async () => {
      await sleep(200);
      process.kill(process.pid, 'SIGTERM');
    });

    await stopping.wait();
    console.log('SIGTERM: no new jobs, finishing the queued ones');
    await producer.kill();
    jobs.shutdown(); // the workers drain what is queued, then their loops end
    if (!(await workers.join({ timeout: 2000 }))) {
      console.log('deadline passed: killing the workers left');
      await workers.kill();
    }
    console.log(`drained: ${put} jobs put, ${done} done, ${put - done} lost`);
  } finally {
    process.off('SIGTERM', onTerm);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

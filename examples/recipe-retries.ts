/**
 * Cookbook: a worker pool with retries — workers take jobs from a queue, each attempt runs
 * under a timeout, a failed attempt is retried with exponential back-off, and a job that fails
 * every attempt is recorded, not lost.
 *
 * Written for verdant's cookbook (docs/cookbook.md). The flaky work is simulated (job 2 fails
 * twice, job 4 hangs every time, the others succeed at once), so the output is fixed.
 *
 * Run: node dist/examples/recipe-retries.js
 */
import { pathToFileURL } from 'node:url';
import { Cancellation, Group, getHub, Queue, sleep, withTimeout } from '../src/index.js';

const ATTEMPTS = 3;
const TIMEOUT = 500; // ms per attempt
const BACKOFF = 100; // ms, doubled after each failure
const TIMED_OUT: unique symbol = Symbol('timed out');

const tries = new Map<number, number>();

/** The work: job 2 fails twice then succeeds, job 4 never answers. */
async function work(job: number): Promise<string> {
  const n = (tries.get(job) ?? 0) + 1;
  tries.set(job, n);
  if (job === 2 && n <= 2) throw new Error('flaky');
  if (job === 4) await sleep(60_000);
  await sleep(10);
  return `result ${job}`;
}

export async function main(): Promise<void> {
  tries.clear();
  const t0 = getHub().now();
  const at = (): string => `${String(Math.round(getHub().now() - t0)).padStart(4)} ms`;
  const jobs = new Queue<number>();
  const failed: number[] = [];

  async function worker(name: string): Promise<void> {
    for await (const job of jobs) {
      for (let attempt = 1; ; attempt++) {
        let why: string;
        try {
          // With timeoutValue, an attempt that times out returns TIMED_OUT instead of throwing.
          const r = await withTimeout(TIMEOUT, { timeoutValue: TIMED_OUT }, work, job);
          if (typeof r === 'string') {
            console.log(`${at()} ${name}: job ${job} -> ${r}`);
            break;
          }
          why = 'timed out';
        } catch (e) {
          if (e instanceof Cancellation) throw e; // a kill or an outer Timeout: not ours to retry
          why = e instanceof Error ? e.message : String(e);
        }
        if (attempt === ATTEMPTS) {
          console.log(`${at()} ${name}: job ${job} failed ${ATTEMPTS} times (${why}), giving up`);
          failed.push(job);
          break;
        }
        const wait = BACKOFF * 2 ** (attempt - 1);
        console.log(`${at()} ${name}: job ${job} attempt ${attempt} ${why}, retry in ${wait} ms`);
        await sleep(wait);
      }
      jobs.taskDone();
    }
  }

  const workers = new Group();
  for (const name of ['w1', 'w2']) await workers.spawn(worker, name);
  for (let job = 1; job <= 5; job++) await jobs.put(job);
  await jobs.join(); // every job done or given up
  jobs.shutdown(); // the workers' for-await loops end
  await workers.join();
  console.log(`${at()} done; gave up on ${JSON.stringify(failed)}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

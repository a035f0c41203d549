/**
 * Determinism: given the same greenlets and the same inputs, verdant always produces the same
 * output — even `imapUnordered`, whose order is the finishing order.
 *
 * Ported from seed 000 (the tutorial's "Determinism": four runs of
 * `Pool(10).imap_unordered(echo, range(10))` compared). gevent 22.10 prints `True` for its pool,
 * and so does this port, with the order (`[0,1,…,9]`, as the seed's comments say).
 *
 * Deviations from the seed:
 * - Only the gevent half: the seed first runs `multiprocessing.Pool` to show a pool of processes
 *   is not deterministic; verdant's worker-thread pool is not built yet.
 * - `echo` waits with verdant's `sleep(1)`; the seed's `time.sleep(0.001)` blocks the whole
 *   process, which makes each gevent call run to completion in turn. The ten sleeps end at the
 *   same time and fire in the order they were started, so the order is the same.
 * - `True` prints as `true`; the port also prints the order as JSON.
 *
 * Run: node dist/examples/determinism.js
 */
import { pathToFileURL } from 'node:url';
import { Pool, sleep } from '../src/index.js';

async function echo(i: number): Promise<number> {
  await sleep(1);
  return i;
}

const range10 = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

export async function main(): Promise<void> {
  // Deterministic verdant Pool
  const p = new Pool(10);
  const runs: number[][] = [];
  for (let run = 0; run < 4; run++) {
    const results: number[] = [];
    for await (const a of p.imapUnordered(echo, range10)) results.push(a);
    runs.push(results);
  }
  const [run1] = runs;
  console.log(runs.every((r) => JSON.stringify(r) === JSON.stringify(run1)));
  console.log(JSON.stringify(run1));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

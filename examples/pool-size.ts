/**
 * A Pool limits concurrency: `Pool(2).map` runs at most two calls at a time.
 *
 * Ported from seed 000 (the tutorial's `Pool(2)` and `hello_from` printing `len(pool)`). gevent
 * 22.10 prints `Size of pool 2`, `Size of pool 2`, `Size of pool 1`: the third call starts
 * only when the first two are done.
 *
 * Deviations from the seed:
 * - `len(pool)` is `pool.size` (the number of live members; the capacity is `maxSize`).
 *
 * Run: node dist/examples/pool-size.js
 */
import { pathToFileURL } from 'node:url';
import { Pool } from '../src/index.js';

export async function main(): Promise<void> {
  const pool = new Pool(2);

  function helloFrom(_n: number): void {
    console.log(`Size of pool ${pool.size}`);
  }

  await pool.map(helloFrom, [0, 1, 2]);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

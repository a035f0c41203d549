/**
 * Spawning into a Pool from one of its own members, then `join()` waits for all of them —
 * including those added while it waits.
 *
 * Ported from seed 000 ("gevent 池": `func_1` spawns 100 `func_2` into an unbounded
 * `pool.Pool()`) and seed 002 (the same program with functions `a` and `b`, printing `b`).
 * gevent 22.10 prints `func_2 ---> 0` … `func_2 ---> 99`, and so does this port.
 *
 * Deviations from the seed:
 * - `Pool.spawn` returns a promise (it waits for a free slot on a full pool), so it is awaited;
 *   on this unbounded pool it never waits.
 *
 * Run: node dist/examples/pool-spawn.js
 */
import { pathToFileURL } from 'node:url';
import { Pool } from '../src/index.js';

export async function main(): Promise<void> {
  const geventPool = new Pool();

  async function func1(): Promise<void> {
    for (let index = 0; index < 100; index++) await geventPool.spawn(func2, index);
  }

  function func2(arg?: number): void {
    console.log(`func_2 ---> ${arg}`);
  }

  await geventPool.spawn(func1);
  await geventPool.join();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

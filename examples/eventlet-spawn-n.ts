/**
 * eventlet's `spawn_n`: fire-and-forget green threads, alone and through a `GreenPool`, whose
 * `spawnN` waits for a free slot (back-pressure).
 *
 * Ported from seed 004 (`eventlet.spawn_n(baz, 3)`, and the echo server's
 * `pool.spawn_n(handle, ...)` — here with timed jobs instead of connections, since verdant's
 * sockets are not there yet). The same program under Python's eventlet 0.33 prints the same
 * lines (with seconds for milliseconds), but for the first one: its `spawn_n` returns the raw
 * greenlet, which the port does not print (eventlet documents `None`; `spawnN` returns
 * `undefined`).
 *
 * Deviations from the seed:
 * - Milliseconds; `await` at every wait, including `pool.spawnN` (it may wait for a slot).
 *
 * Run: node dist/examples/eventlet-spawn-n.js
 */
import { pathToFileURL } from 'node:url';
import { GreenPool, sleep, spawnN } from '../src/compat/eventlet/index.js';

async function job(name: string, ms: number): Promise<void> {
  console.log('start', name);
  await sleep(ms);
  console.log('done', name);
}

export async function main(): Promise<void> {
  spawnN(job, 'a', 20);
  spawnN(job, 'b', 10);
  console.log('spawned two');
  await sleep(50);

  const pool = new GreenPool(2);
  for (const name of 'cdef') {
    await pool.spawnN(job, name, 10); // waits while both slots are taken
    console.log('queued', name, 'free', pool.free());
  }
  await pool.waitall();
  console.log('all done, running', pool.running());
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

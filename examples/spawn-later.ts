/**
 * `spawnLater`: a greenlet that starts after a delay. It returns the greenlet at once.
 *
 * Ported from seed 003 (`gevent.spawn_later(1, do_magic)` then `os.fork()`). In the seed, the
 * greenlet spawned before the fork runs in both processes, so gevent 22.10 prints `magic...`
 * twice; this port prints it once.
 *
 * Deviations from the seed:
 * - No `os.fork()`: Node cannot fork a running process (the seed's point is a pitfall of
 *   forking). The child's `time.sleep(3)` goes with it.
 * - `monkey.patch_all()` is dropped: nothing here needs patching.
 * - Milliseconds: 1000 for 1 s.
 * - The port prints a line before the join, to show that `spawnLater` returned at once.
 *
 * Run: node dist/examples/spawn-later.js
 */
import { pathToFileURL } from 'node:url';
import { spawnLater } from '../src/index.js';

function doMagic(): void {
  console.log('magic...');
}

export async function main(): Promise<void> {
  const g = spawnLater(1000, doMagic);
  console.log('spawned; magic in one second');
  await g.join();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

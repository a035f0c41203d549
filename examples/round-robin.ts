/**
 * Three greenlets in one thread, taking turns: each prints itself and yields with `sleep(0)`.
 *
 * Ported from seed 000 ("示例": `f(n)` printing `gevent.getcurrent()`). gevent 22.10 prints
 * `<Greenlet at 0x7f…: f(5)> 0`, the three greenlets in turn, five rounds.
 *
 * Deviations from the seed:
 * - `monkey.patch_socket()` is dropped: nothing here uses a socket, and verdant's `sleep` is
 *   cooperative without patching.
 * - `String(getCurrent())` is verdant's form, `<Greenlet "Greenlet-1" #1: f(5)>`, not gevent's
 *   `<Greenlet at 0x…: f(5)>`.
 *
 * Run: node dist/examples/round-robin.js
 */
import { pathToFileURL } from 'node:url';
import { getCurrent, sleep, spawn } from '../src/index.js';

async function f(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    console.log(String(getCurrent()), i);
    await sleep(0);
  }
}

export async function main(): Promise<void> {
  const g1 = spawn(f, 5);
  const g2 = spawn(f, 5);
  const g3 = spawn(f, 5);
  await g1.join();
  await g2.join();
  await g3.join();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

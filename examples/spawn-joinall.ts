/**
 * spawn and joinAll: two greenlets take turns at each `sleep(0)`.
 *
 * Ported from seed 001 (its first sample). The seed says the output is `12 56 34 78`; gevent
 * 22.10 prints the same, one number a line, and so does this port.
 *
 * Deviations from the seed:
 * - Python 2's `print 12` becomes `console.log(12)`.
 *
 * Run: node dist/examples/spawn-joinall.js
 */
import { pathToFileURL } from 'node:url';
import { joinAll, sleep, spawn } from '../src/index.js';

async function test1(): Promise<void> {
  console.log(12);
  await sleep(0);
  console.log(34);
}

async function test2(): Promise<void> {
  console.log(56);
  await sleep(0);
  console.log(78);
}

export async function main(): Promise<void> {
  await joinAll([spawn(test1), spawn(test2)]);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

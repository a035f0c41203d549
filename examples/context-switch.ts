/**
 * Explicit context switches: `sleep(0)` hands the turn to the next ready greenlet.
 *
 * Ported from seed 000 (the tutorial's "Synchronous & Asynchronous Execution", `foo`/`bar`).
 * The output is the one the seed quotes, and what gevent 22.10 prints:
 *
 *     Running in foo
 *     Explicit context to bar
 *     Explicit context switch to foo again
 *     Implicit context switch back to bar
 *
 * Deviations from the seed: none.
 *
 * Run: node dist/examples/context-switch.js
 */
import { pathToFileURL } from 'node:url';
import { joinAll, sleep, spawn } from '../src/index.js';

async function foo(): Promise<void> {
  console.log('Running in foo');
  await sleep(0);
  console.log('Explicit context switch to foo again');
}

async function bar(): Promise<void> {
  console.log('Explicit context to bar');
  await sleep(0);
  console.log('Implicit context switch back to bar');
}

export async function main(): Promise<void> {
  await joinAll([spawn(foo), spawn(bar)]);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

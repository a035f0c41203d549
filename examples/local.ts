/**
 * Greenlet-local data: each greenlet sees its own properties on the same `local()` object.
 *
 * Ported from seed 000 (the tutorial's "Thread Locals": `stash`) and seed 001 (`data`, the same
 * idea in Python 2). gevent 22.10 prints `1`, `2`, `x is not local to f2`, then `1`,
 * `x is not visible`, and so does this port.
 *
 * Deviations from the seed:
 * - A property this greenlet never set reads `undefined`; Python raises `AttributeError`, so
 *   `try: stash.x except AttributeError:` becomes `if (stash.x === undefined)`.
 *
 * Run: node dist/examples/local.js
 */
import { pathToFileURL } from 'node:url';
import { joinAll, local, spawn } from '../src/index.js';

export async function main(): Promise<void> {
  // seed 000
  const stash = local<{ x: number; y: number }>();

  function f1(): void {
    stash.x = 1;
    console.log(stash.x);
  }

  function f2(): void {
    stash.y = 2;
    console.log(stash.y);
    if (stash.x === undefined) console.log('x is not local to f2');
  }

  await joinAll([spawn(f1), spawn(f2)]);

  // seed 001
  const data = local<{ x: number }>();

  function g1(): void {
    data.x = 1;
    console.log(data.x);
  }

  function g2(): void {
    if (data.x === undefined) console.log('x is not visible');
    else console.log(data.x);
  }

  await joinAll([spawn(g1), spawn(g2)]);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

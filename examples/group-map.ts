/**
 * Dispatching work to a Group and collecting results: `map` (in order, all at once), `imap`
 * (in input order, as they come) and `imapUnordered` (in finishing order).
 *
 * Ported from seed 000 (the tutorial's `group.map(hello_from, range(3))` and `intensive(n)`
 * with `imap` / `imap_unordered`). gevent 22.10 prints `Size of group 3` and a
 * `Hello from Greenlet …` line for each call, then `Ordered`, the tuples `('task', 0)`,
 * `('task', 1)`, `('task', 2)`, then `Unordered`, the same tuples from 2 down to 0.
 *
 * Deviations from the seed:
 * - `id(getcurrent())` (a memory address) is the greenlet's `minimalIdent`.
 * - `len(group)` is `group.size`.
 * - Python's tuples `('task', n)` are arrays, printed as JS prints them: `[ 'task', 0 ]`.
 * - Milliseconds: `intensive(n)` sleeps `3000 - 1000 * n` for `3 - n` seconds.
 *
 * Run: node dist/examples/group-map.js
 */
import { pathToFileURL } from 'node:url';
import { type Greenlet, Group, getCurrent, sleep } from '../src/index.js';

export async function main(): Promise<void> {
  const group = new Group();

  function helloFrom(_n: number): void {
    console.log(`Size of group ${group.size}`);
    console.log(`Hello from Greenlet ${(getCurrent() as Greenlet).minimalIdent}`);
  }

  await group.map(helloFrom, [0, 1, 2]);

  async function intensive(n: number): Promise<[string, number]> {
    await sleep(3000 - 1000 * n);
    return ['task', n];
  }

  console.log('Ordered');

  const ogroup = new Group();
  for await (const i of ogroup.imap(intensive, [0, 1, 2])) console.log(i);

  console.log('Unordered');

  const igroup = new Group();
  for await (const i of igroup.imapUnordered(intensive, [0, 1, 2])) console.log(i);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

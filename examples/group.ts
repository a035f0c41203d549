/**
 * A Group: a set of greenlets managed together. `join()` waits for the group's members only —
 * but greenlets outside it that are already scheduled run meanwhile.
 *
 * Ported from seed 000 (the tutorial's "Groups and Pools": `talk`, `group.add(g1)`,
 * `group.join()`). gevent 22.10 prints `bar` three times, then `foo` and `fizz` three times
 * each (they were started before `join` waited), and so does this port.
 *
 * Deviations from the seed: none.
 *
 * Run: node dist/examples/group.js
 */
import { pathToFileURL } from 'node:url';
import { Group, spawn } from '../src/index.js';

function talk(msg: string): void {
  for (let i = 0; i < 3; i++) console.log(msg);
}

export async function main(): Promise<void> {
  const g1 = spawn(talk, 'bar');
  spawn(talk, 'foo');
  spawn(talk, 'fizz');

  const group = new Group();
  group.add(g1);
  await group.join(); // waits for g1 only; foo and fizz were scheduled before it and run too
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

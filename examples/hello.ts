/**
 * The README's first example: three greenlets sleep concurrently, then a `withTimeout` gives up
 * on a slow call and returns its `timeoutValue`.
 *
 * Not from a seed. Its test checks that README.md shows exactly this program (with the import
 * from `verdant`) and that it prints what the README says.
 *
 * Run: node dist/examples/hello.js
 */
import { pathToFileURL } from 'node:url';
import { joinAll, sleep, spawn, withTimeout } from '../src/index.js';

async function task(pid: number): Promise<number> {
  await sleep(100 * pid); // a verdant wait: other greenlets run meanwhile
  console.log(`task ${pid} done`);
  return pid * pid;
}

export async function main(): Promise<void> {
  const greenlets = [3, 1, 2].map((pid) => spawn(task, pid)); // started; they run when we wait
  await joinAll(greenlets); // task 1 done, task 2 done, task 3 done: 300 ms in all, not 600
  console.log(greenlets.map((g) => g.value)); // [ 9, 1, 4 ]
  console.log(await withTimeout(50, { timeoutValue: 'too slow' }, task, 9)); // too slow
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

/**
 * The common ways to create and start a greenlet: `Greenlet.spawn`, `spawn`, and a lambda.
 *
 * Ported from seed 000 (the tutorial's "Greenlet" wrappers: `foo(message, n)`). gevent 22.10
 * prints `Hello` after one second and `I live!` after two.
 *
 * Deviations from the seed:
 * - Milliseconds: `foo` sleeps 1000 and 2000 ms for 1 and 2 s.
 * - The port also prints `thread3.value` (3), to show the lambda's result; the seed prints
 *   nothing for it.
 *
 * Run: node dist/examples/greenlet-spawn-forms.js
 */
import { pathToFileURL } from 'node:url';
import { Greenlet, joinAll, sleep, spawn } from '../src/index.js';

/** Each greenlet is passed the message and n as arguments. */
async function foo(message: string, n: number): Promise<void> {
  await sleep(n);
  console.log(message);
}

export async function main(): Promise<void> {
  // Initialize a new Greenlet running foo and start it.
  const thread1 = Greenlet.spawn(foo, 'Hello', 1000);
  // The same through the top-level function.
  const thread2 = spawn(foo, 'I live!', 2000);
  // A lambda: a plain function's return value becomes the greenlet's value.
  const thread3 = spawn((x: number) => x + 1, 2);

  const threads = [thread1, thread2, thread3];
  // Block until all threads complete.
  await joinAll(threads);
  console.log(thread3.value);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

/**
 * Timeouts on single calls: a `Timeout` started around `join()` / `get()`, `withTimeout`, and
 * the `timeout` option (milliseconds).
 *
 * Ported from seed 000 (the tutorial's `thread1.join(timeout=timer)`, `thread2.get(timeout=timer)`,
 * `gevent.with_timeout(1, wait)`). gevent 22.10 prints `Thread 1 timed out`,
 * `Thread 2 timed out`, `Thread 3 timed out`, and so does this port.
 *
 * Deviations from the seed:
 * - Milliseconds: 1000 for 1 s, `wait` sleeps 2000.
 * - verdant's `timeout` option takes milliseconds only. To bound a call with a `Timeout`
 *   instance (the seed's `timeout=timer`) the port starts it around the call.
 * - Three lines are added to show the `timeout` option and `timeoutValue`: `join({timeout})`
 *   resolves `false` (gevent's `join(timeout)` returns `None`), `get({timeout})` throws a
 *   `Timeout`, `withTimeout(ms, {timeoutValue}, fn)` returns the value instead of throwing.
 *
 * Run: node dist/examples/timeout-calls.js
 */
import { pathToFileURL } from 'node:url';
import { sleep, spawn, Timeout, withTimeout } from '../src/index.js';

async function wait(): Promise<string> {
  await sleep(2000);
  return 'done';
}

export async function main(): Promise<void> {
  const timer = new Timeout(1000).start();
  const thread1 = spawn(wait);
  try {
    await thread1.join();
  } catch (e) {
    if (e !== timer) throw e;
    console.log('Thread 1 timed out');
  }

  // --
  const timer2 = Timeout.startNew(1000);
  const thread2 = spawn(wait);
  try {
    await thread2.get();
  } catch (e) {
    if (e !== timer2) throw e;
    console.log('Thread 2 timed out');
  }

  // --
  try {
    await withTimeout(1000, wait);
  } catch (e) {
    if (!(e instanceof Timeout)) throw e;
    console.log('Thread 3 timed out');
  }

  // -- the timeout option and timeoutValue (not in the seed)
  const thread4 = spawn(wait);
  console.log('thread 4 joined within 1 s:', await thread4.join({ timeout: 1000 }));
  try {
    await thread4.get({ timeout: 100 });
  } catch (e) {
    if (!(e instanceof Timeout)) throw e;
    console.log('thread 4 get: Timeout');
  }
  console.log(await withTimeout(1000, { timeoutValue: 'too slow' }, wait));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

/**
 * eventlet's Event: `send` once, every `wait` gets the value.
 *
 * Ported from seed 004 (eventlet's `Event` doc samples: `baz` sending `b + 1` through
 * `spawn_n`; a `waiter` that prints around its `wait`; re-sending; `send_exception`; `wait_on`).
 * Python's eventlet 0.33 prints:
 *
 *     4
 *     about to wait
 *     waited for a
 *     AssertionError: Trying to re-send() an already-triggered event.
 *     RuntimeError RuntimeError()
 *     waited for result
 *
 * and so does this port, but for the two error lines (below).
 *
 * Deviations from the seed:
 * - `await` at every wait (`evt.wait()`, `sleep(0)`); `spawnN`/`sendException` camelCased.
 * - A second `send` throws verdant's `Error` ("Cannot send() an event that was already sent:
 *   call reset() first") instead of an `AssertionError`; the port prints its name and message.
 * - `sendException(new Error('RuntimeError'))`: JavaScript has no `RuntimeError`; the port
 *   prints the error's name and message (`Error RuntimeError`).
 * - eventlet's `send_exception(*sys.exc_info())` (to keep a traceback) has no counterpart: a
 *   JavaScript error carries its stack.
 *
 * Run: node dist/examples/eventlet-event.js
 */
import { pathToFileURL } from 'node:url';
import { Event, sleep, spawn, spawnN } from '../src/compat/eventlet/index.js';

export async function main(): Promise<void> {
  // evt.send(b + 1) from a spawn_n'd thread; evt.wait() returns it.
  let evt = new Event<unknown>();
  const baz = (b: number): void => evt.send(b + 1);
  spawnN(baz, 3);
  console.log(await evt.wait());

  // send() never switches: the waiter runs at the next sleep(0).
  evt = new Event();
  const waiter = async (): Promise<void> => {
    console.log('about to wait');
    const result = await evt.wait();
    console.log(`waited for ${String(result)}`);
  };
  spawn(waiter);
  await sleep(0);
  evt.send('a');
  await sleep(0);

  // An event is sent once: a second send throws.
  try {
    evt.send('whoops');
  } catch (e) {
    console.log(`${(e as Error).name}: ${(e as Error).message}`);
  }

  // send_exception: wait() throws it.
  evt = new Event();
  evt.sendException(new Error('RuntimeError'));
  try {
    await evt.wait();
  } catch (e) {
    console.log((e as Error).name, (e as Error).message);
  }

  evt = new Event();
  const waitOn = async (): Promise<void> => {
    const retval = await evt.wait();
    console.log(`waited for ${String(retval)}`);
  };
  spawn(waitOn);
  evt.send('result');
  await sleep(0);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

/**
 * A `Timeout` scoped to a block: Python's `with Timeout(...)` is `using t = Timeout.startNew(...)`,
 * which cancels it when the block ends. The `exception` option throws your own error instead.
 *
 * Ported from seed 001 (`with Timeout(1): gevent.sleep(10)`) and seed 000 / seed 001
 * (`class TooLong(Exception)`, `with Timeout(time_to_wait, TooLong)`). In gevent 22.10 each
 * block, run on its own, ends the program with a traceback whose last line is
 * `gevent.timeout.Timeout: 1 second`, and `TooLong` for the second.
 *
 * Deviations from the seed:
 * - Milliseconds: 1000 and 5000 for 1 and 5 s.
 * - The port catches each exception and prints its name and message, so the program goes on to
 *   the second block; the seed lets it end the program.
 * - The Timeout's message is `1000 ms` (gevent: `1 second`).
 *
 * Run: node dist/examples/timeout-using.js
 */
import { pathToFileURL } from 'node:url';
import { sleep, Timeout } from '../src/index.js';

class TooLong extends Error {
  override name = 'TooLong';
}

export async function main(): Promise<void> {
  try {
    using _timeout = Timeout.startNew(1000);
    await sleep(10_000);
  } catch (e) {
    if (!(e instanceof Timeout)) throw e;
    console.log(String(e));
  }

  const timeToWait = 5000; // milliseconds
  try {
    using _timeout = Timeout.startNew(timeToWait, { exception: TooLong });
    await sleep(10_000);
  } catch (e) {
    if (!(e instanceof TooLong)) throw e;
    console.log(String(e));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

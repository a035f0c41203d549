/**
 * The greenlet library's explicit switches: a `RawGreenlet` runs only when something switches
 * to it; when its function returns, its value goes to its *parent*.
 *
 * Ported from seed 004 (`test1`/`test2` with `gr1.switch(2)`, `gr2.switch(32)`,
 * `gr1.switch(23)`). The seed's output, and greenlet's (Debian's python3-greenlet):
 *
 *     test1: 2
 *     test2: 32
 *     test1: over
 *
 * `test2: over` is never printed: when `test1` returns, control goes to its parent (main),
 * and nothing switches back to `gr2`, which stays suspended in `gr1.switch(23)`.
 *
 * Deviations from the seed:
 * - `greenlet.greenlet` is `RawGreenlet` from `verdant/greenlet`; `switch` returns a promise,
 *   awaited.
 * - The port also prints `gr1.dead` (true) and `gr2.dead` (false) to show where each ended.
 *
 * Run: node dist/examples/raw-greenlet.js
 */
import { pathToFileURL } from 'node:url';
import { getCurrent, RawGreenlet } from '../src/compat/greenlet.js';

export async function main(): Promise<void> {
  async function test1(n: number): Promise<void> {
    console.log('test1:', n);
    await gr2.switch(32);
    console.log('test1: over');
  }

  async function test2(n: number): Promise<void> {
    console.log('test2:', n);
    await gr1.switch(23);
    console.log('test2: over');
  }

  const current = getCurrent();
  const gr1 = new RawGreenlet(test1, current);
  const gr2 = new RawGreenlet(test2, current);
  await gr1.switch(2);

  console.log('gr1.dead:', gr1.dead);
  console.log('gr2.dead:', gr2.dead);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

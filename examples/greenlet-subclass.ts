/**
 * Subclassing `Greenlet`: override the protected `run()` instead of passing a function.
 *
 * Ported from seed 000 (the tutorial's `MyGreenlet` with `_run`). gevent 22.10 prints
 * `Hi there!`, then the program waits three seconds for the greenlet to finish.
 *
 * Deviations from the seed:
 * - `_run` becomes `protected run()`; `Greenlet.__init__(self)` becomes `super()`.
 * - Milliseconds: `sleep(3000)` for 3 s.
 * - The port also prints `String(g)`: a subclass shows its class name and `run()`
 *   (`<MyGreenlet "Greenlet-1" #1: run()>`; gevent shows `<MyGreenlet at 0x…: _run>`).
 *
 * Run: node dist/examples/greenlet-subclass.js
 */
import { pathToFileURL } from 'node:url';
import { Greenlet, sleep } from '../src/index.js';

class MyGreenlet extends Greenlet<void> {
  readonly message: string;
  readonly n: number;

  constructor(message: string, n: number) {
    super();
    this.message = message;
    this.n = n;
  }

  protected override async run(): Promise<void> {
    console.log(this.message);
    await sleep(this.n);
  }
}

export async function main(): Promise<void> {
  const g = new MyGreenlet('Hi there!', 3000);
  g.start();
  await g.join();
  console.log(String(g));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

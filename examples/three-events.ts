/**
 * Three greenlets in a cycle of three Events (one, two, three, one …), ten rounds each — and
 * the `LoopExit` the program ends in: after the last round two of them wait for an Event nobody
 * will ever set.
 *
 * Ported from seed 000 and seed 002 (the same program: `fun1`/`fun2`/`fun3` with `act1`,
 * `act2`, `act3`). gevent 22.10 prints the four start lines, then `进程一:111111111`,
 * `进程二:222222222`, `进程三:333333333` ten times, then ends with
 * `LoopExit: This operation would block forever` (a traceback, exit status 1). This port prints
 * the same lines, then catches the `LoopExit` and prints it, with the greenlets still blocked.
 *
 * Deviations from the seed:
 * - `time.sleep(1)` (which blocks the whole process in the seed: it is not monkey-patched) is
 *   verdant's cooperative `sleep(1000)`. The output is the same (gevent 22.10 prints the same
 *   with `gevent.sleep(1)`); the first round's three lines come together after one second.
 * - The `LoopExit` is caught and printed instead of ending the program with a traceback. Run on
 *   the real hub (`node dist/examples/three-events.js`, or the tour), main's `joinAll` gets it
 *   when Node's loop runs dry; under `runVirtual` (the test) the virtual hub rejects with it.
 *
 * Run: node dist/examples/three-events.js
 */
import { pathToFileURL } from 'node:url';
import { Event, Greenlet, joinAll, LoopExit, sleep } from '../src/index.js';

// Three greenlets need three events to go round 1 → 2 → 3 → 1: each sets the next one's event,
// clears its own and waits for it.
async function fun1(_num: number, event1: Event, event2: Event): Promise<void> {
  let i = 0;
  while (i < 10) {
    i += 1;
    await sleep(1000);
    console.log('进程一:111111111'); // greenlet one
    event2.set(); // let greenlet two run
    event1.clear();
    await event1.wait(); // until greenlet three sets event1
  }
}

async function fun2(_num: number, event2: Event, event3: Event): Promise<void> {
  let i = 0;
  while (i < 10) {
    i += 1;
    await sleep(1000);
    console.log('进程二:222222222');
    event3.set();
    event2.clear();
    await event2.wait();
  }
}

async function fun3(_num: number, event3: Event, event1: Event): Promise<void> {
  let i = 0;
  while (i < 10) {
    i += 1;
    await sleep(1000);
    console.log('进程三:333333333');
    event1.set();
    event3.clear();
    await event3.wait();
  }
}

export async function main(): Promise<void> {
  const act1 = new Event();
  const act2 = new Event();
  const act3 = new Event();
  const greenlets: Greenlet[] = [];

  let g = new Greenlet(fun1, 1, act1, act2);
  g.start();
  greenlets.push(g);
  console.log('进程一启动:'); // greenlet one started

  g = new Greenlet(fun2, 2, act2, act3);
  g.start();
  greenlets.push(g);
  console.log('进程二启动:');

  g = new Greenlet(fun3, 3, act3, act1);
  g.start();
  greenlets.push(g);
  console.log('进程三启动:');
  console.log('所有进程都已启动!'); // all started

  try {
    await joinAll(greenlets);
  } catch (e) {
    if (!(e instanceof LoopExit)) throw e;
    console.log(`LoopExit: ${e.message}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

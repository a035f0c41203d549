/**
 * A producer and three consumers share a Queue: each product is taken by exactly one consumer.
 *
 * Ported from seed 001 (its `Queue` sample: `producer`, consumers `steve`, `john`, `nancy`, all
 * passed to one `joinall`). The producer runs first and puts all nine products without
 * switching (a `put` on an unbounded queue never waits), then the consumers take turns. gevent
 * 22.10 prints `steve got product 1` … `nancy got product 9`, then `%s Quit` three times, and so
 * does this port.
 *
 * Deviations from the seed:
 * - Python 2's `xrange` and `print` statement.
 * - None in behaviour: `%s Quit` is printed as is. The seed forgot `% name` after it; the port
 *   keeps that bug, so its output matches gevent's.
 *
 * Run: node dist/examples/queue-products.js
 */
import { pathToFileURL } from 'node:url';
import { joinAll, Queue, sleep, spawn } from '../src/index.js';

export async function main(): Promise<void> {
  const products = new Queue<number>();

  async function consumer(name: string): Promise<void> {
    while (!products.empty()) {
      console.log(`${name} got product ${await products.get()}`);
      await sleep(0);
    }
    console.log('%s Quit');
  }

  async function producer(): Promise<void> {
    for (let i = 1; i < 10; i++) await products.put(i);
  }

  await joinAll([
    spawn(producer),
    spawn(consumer, 'steve'),
    spawn(consumer, 'john'),
    spawn(consumer, 'nancy'),
  ]);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

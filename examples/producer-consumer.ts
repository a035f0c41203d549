/**
 * A producer and two consumers on a `Queue(3)`: the producer's `put` waits while three items
 * are queued, each consumer's `get` waits while none is.
 *
 * Ported from seed 000 ("示例：生产者、消费者"). Its `print(..., end='')` lines interleave: a
 * consumer announces itself, waits in `get`, and finishes its line only when it got an item.
 * gevent 22.10 runs it forever.
 *
 * Deviations from the seed:
 * - The seed never stops. Here the producer makes ten items; main then waits until the queue's
 *   items are all processed (`join`, with the consumers calling `taskDone()`) and kills the
 *   consumers, which would otherwise wait forever.
 * - `print(text, end='')` is emulated with a line buffer (`write`), so each printed line is the
 *   one Python would print; what is still in the buffer at the end is printed last.
 * - The random items come from a seeded generator, so every run prints the same lines.
 * - The interleaving differs from gevent 22.10's (run with the same ten items) from the tenth
 *   line on: verdant hands an item to the oldest waiting getter when it is put, while gevent's
 *   woken getter takes whatever is at the head when it resumes. So here a consumer that runs
 *   without waiting takes the items behind the handed-off one first (`消费 ---> 0` is printed
 *   after `消费 ---> 10`). Each item is still consumed exactly once.
 * - `monkey.patch_all()` is dropped: nothing here needs patching.
 *
 * Run: node dist/examples/producer-consumer.js
 */
import { pathToFileURL } from 'node:url';
import { killAll, Queue, spawn } from '../src/index.js';
import { seededRandom } from './_random.js';

export async function main(): Promise<void> {
  const random = seededRandom(99);
  const taskQueue = new Queue<number>(3);

  // Python's print(text, end=''): the text waits for the rest of its line.
  let line = '';
  const write = (text: string): void => {
    line += text;
  };
  const print = (text: string): void => {
    console.log(line + text);
    line = '';
  };

  async function producer(index = 1): Promise<void> {
    for (let n = 0; n < 10; n++) {
      write(`生产者 [${index}]`); // producer
      const item = random.randint(0, 99);
      await taskQueue.put(item);
      print(`生产 ---> ${item}`); // produced
    }
  }

  async function consumer(index = 1): Promise<void> {
    for (;;) {
      write(`消费者 [${index}]`); // consumer
      const item = await taskQueue.get();
      print(`消费 ---> ${item}`); // consumed
      taskQueue.taskDone();
    }
  }

  const job1 = spawn(producer);
  const job2 = spawn(consumer);
  const job3 = spawn(consumer, 2);
  await job1.join();
  await taskQueue.join();
  await killAll([job2, job3]);
  if (line !== '') console.log(line);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

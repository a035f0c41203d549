import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/producer-consumer.js';
import { capture } from './_capture.js';

test('producer-consumer: each of the ten items is produced once and consumed once', async () => {
  const { lines } = await capture(main);
  const text = lines.join('\n');
  const produced = [...text.matchAll(/生产 ---> (\d+)/g)].map((m) => m[1]);
  const consumed = [...text.matchAll(/消费 ---> (\d+)/g)].map((m) => m[1]);
  assert.equal(produced.length, 10);
  assert.deepEqual([...consumed].sort(), [...produced].sort());
  // Each producer line announces itself before its put; the last line is a consumer left waiting.
  assert.equal(text.match(/生产者 \[1\]/g)?.length, 10);
  assert.match(lines.at(-1) ?? '', /^(消费者 \[[12]\])+$/);
});

test('producer-consumer: the producer is held back while three items are queued', async () => {
  const { lines } = await capture(main);
  const produced = [...lines.join('\n').matchAll(/生产 ---> (\d+)/g)].map((m) => m[1]);
  // The first three puts do not wait; the fourth waits until a consumer frees a slot, and the
  // first consumer takes the first item.
  assert.deepEqual(lines.slice(0, 4), [
    `生产者 [1]生产 ---> ${produced[0]}`,
    `生产者 [1]生产 ---> ${produced[1]}`,
    `生产者 [1]生产 ---> ${produced[2]}`,
    `生产者 [1]消费者 [1]消费 ---> ${produced[0]}`,
  ]);
});

test('producer-consumer prints the same lines on every run (its random numbers are seeded)', async () => {
  const first = await capture(main);
  const second = await capture(main);
  assert.deepEqual(second.lines, first.lines);
});

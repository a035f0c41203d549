import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/bounded-semaphore.js';
import { capture } from './_capture.js';

test('bounded-semaphore prints what gevent 22.10 prints: workers acquire two by two', async () => {
  const { lines } = await capture(main);
  const pair = (a: number, b: number): string[] => [
    `Worker ${a} acquired semaphore`,
    `Worker ${b} acquired semaphore`,
    `Worker ${a} released semaphore`,
    `Worker ${b} released semaphore`,
  ];
  assert.deepEqual(lines, [...pair(0, 1), ...pair(2, 3), ...pair(4, 5)]);
});

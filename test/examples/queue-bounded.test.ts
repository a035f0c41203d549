import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/queue-bounded.js';
import { capture } from './_capture.js';

test('queue-bounded prints what gevent 22.10 prints: put waits for a free slot', async () => {
  const { lines, ms } = await capture(main);
  const names = ['steve', 'john', 'bob'];
  const got = (task: number): string => `Worker ${names[(task - 1) % 3]} got task ${task}`;
  // Recorded from Debian's gevent 22.10 running the seed.
  assert.deepEqual(lines, [
    ...[1, 2, 3, 4, 5, 6].map(got),
    'Assigned all work in iteration 1',
    ...[7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18].map(got),
    'Assigned all work in iteration 2',
    got(19),
    ...Array<string>(3).fill('Quitting time!'),
  ]);
  // The workers give up one second after the last task.
  assert.equal(ms, 1000);
});

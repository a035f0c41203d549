import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/semaphore.js';
import { capture } from './_capture.js';

test('semaphore prints what gevent 22.10 prints: f2 takes the lock three times per f1 turn', async () => {
  const { lines, ms } = await capture(main);
  const f1 = (i: number): string => `run f1, this is  ${i}`;
  const f2 = (i: number): string => `run f2, that is  ${i}`;
  assert.deepEqual(lines, [f1(0), f2(0), f2(1), f2(2), f2(3), f1(1), f2(4), f1(2), f1(3), f1(4)]);
  // f1's five turns, each followed by a 1 s sleep.
  assert.equal(ms, 5000);
});

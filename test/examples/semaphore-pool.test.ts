import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/semaphore-pool.js';
import { capture } from './_capture.js';

test('semaphore-pool prints the output the seed quotes (and gevent 22.10 prints)', async () => {
  const { lines } = await capture(main);
  assert.deepEqual(lines, [
    'Worker 0 acquired semaphore',
    'Worker 1 acquired semaphore',
    'Worker 0 released semaphore',
    'Worker 1 released semaphore',
    'Worker 3 acquired semaphore',
    'Worker 4 acquired semaphore',
    'Worker 3 released semaphore',
    'Worker 4 released semaphore',
    'Worker 5 acquired semaphore',
    'Worker 5 released semaphore',
  ]);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/timeout-calls.js';
import { capture } from './_capture.js';

test('timeout-calls prints the three lines gevent 22.10 prints, then the timeout option forms', async () => {
  const { lines, ms } = await capture(main);
  assert.deepEqual(lines, [
    'Thread 1 timed out',
    'Thread 2 timed out',
    'Thread 3 timed out',
    'thread 4 joined within 1 s: false',
    'thread 4 get: Timeout',
    'too slow',
  ]);
  // Three 1 s timeouts, the 1 s join, the 100 ms get, the 1 s withTimeout.
  assert.equal(ms, 3000 + 1000 + 100 + 1000);
});

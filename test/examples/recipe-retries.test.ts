import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/recipe-retries.js';
import { capture } from './_capture.js';

test('recipe-retries: failed attempts are retried with back-off, a job failing every attempt is given up, none lost', async () => {
  const { lines, ms, reports } = await capture(main);
  assert.deepEqual(lines, [
    '   0 ms w2: job 2 attempt 1 flaky, retry in 100 ms',
    '  10 ms w1: job 1 -> result 1',
    '  20 ms w1: job 3 -> result 3',
    ' 100 ms w2: job 2 attempt 2 flaky, retry in 200 ms',
    ' 310 ms w2: job 2 -> result 2',
    ' 320 ms w2: job 5 -> result 5',
    ' 520 ms w1: job 4 attempt 1 timed out, retry in 100 ms',
    '1120 ms w1: job 4 attempt 2 timed out, retry in 200 ms',
    '1820 ms w1: job 4 failed 3 times (timed out), giving up',
    '1820 ms done; gave up on [4]',
  ]);
  assert.equal(ms, 1820);
  assert.deepEqual(reports, []);
});

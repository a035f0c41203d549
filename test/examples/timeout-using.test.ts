import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/timeout-using.js';
import { capture } from './_capture.js';

test('timeout-using: a scoped Timeout throws itself, or the exception class it was given', async () => {
  const { lines, ms } = await capture(main);
  assert.deepEqual(lines, ['Timeout: 1000 ms', 'TooLong']);
  assert.equal(ms, 1000 + 5000);
});

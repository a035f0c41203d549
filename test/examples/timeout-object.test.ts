import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/timeout-object.js';
import { capture } from './_capture.js';

test('timeout-object: the Timeout started first fires first and is thrown at the join', async () => {
  const { lines, ms } = await capture(main);
  assert.deepEqual(lines, ['Could not complete']);
  assert.equal(ms, 10_000);
});

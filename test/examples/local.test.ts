import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/local.js';
import { capture } from './_capture.js';

test('local: each greenlet sees only the properties it set itself', async () => {
  const { lines } = await capture(main);
  assert.deepEqual(lines, ['1', '2', 'x is not local to f2', '1', 'x is not visible']);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/spawn-later.js';
import { capture } from './_capture.js';

test('spawn-later returns at once and runs the function one second later', async () => {
  const { lines, ms } = await capture(main);
  assert.deepEqual(lines, ['spawned; magic in one second', 'magic...']);
  assert.equal(ms, 1000);
});

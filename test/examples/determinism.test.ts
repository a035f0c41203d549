import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/determinism.js';
import { capture } from './_capture.js';

test('determinism: four imapUnordered runs give the same order, 0 to 9', async () => {
  const { lines } = await capture(main);
  assert.deepEqual(lines, ['true', '[0,1,2,3,4,5,6,7,8,9]']);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/pool-size.js';
import { capture } from './_capture.js';

test('pool-size: a Pool(2) runs the third call only once the first two are done', async () => {
  const { lines } = await capture(main);
  assert.deepEqual(lines, ['Size of pool 2', 'Size of pool 2', 'Size of pool 1']);
});

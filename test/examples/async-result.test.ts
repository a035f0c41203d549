import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/async-result.js';
import { capture } from './_capture.js';

test('async-result: get() waits three seconds for the value the setter sends', async () => {
  const { lines, ms } = await capture(main);
  assert.deepEqual(lines, ['Hello!']);
  assert.equal(ms, 3000);
});

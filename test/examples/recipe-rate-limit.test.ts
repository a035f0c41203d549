import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/recipe-rate-limit.js';
import { capture } from './_capture.js';

test('recipe-rate-limit: three calls a second, in the order asked', async () => {
  const { lines, ms } = await capture(main);
  assert.deepEqual(
    lines,
    [0, 0, 0, 1000, 1000, 1000, 2000, 2000, 2000, 3000].map((t, i) => `call ${i} at ${t} ms`),
  );
  assert.equal(ms, 3000);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/group.js';
import { capture } from './_capture.js';

test('group: join waits for g1, and foo and fizz, started before, run meanwhile', async () => {
  const { lines } = await capture(main);
  assert.deepEqual(lines, ['bar', 'bar', 'bar', 'foo', 'foo', 'foo', 'fizz', 'fizz', 'fizz']);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/spawn-joinall.js';
import { capture } from './_capture.js';

test('spawn-joinall prints 12 56 34 78: the two greenlets take turns at sleep(0)', async () => {
  const { lines, reports } = await capture(main);
  assert.deepEqual(lines, ['12', '56', '34', '78']);
  assert.deepEqual(reports, []);
});

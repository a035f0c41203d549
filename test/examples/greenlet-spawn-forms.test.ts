import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/greenlet-spawn-forms.js';
import { capture } from './_capture.js';

test('greenlet-spawn-forms: Hello after 1 s, I live! after 2 s, the lambda returns 3', async () => {
  const { lines, ms } = await capture(main);
  assert.deepEqual(lines, ['Hello', 'I live!', '3']);
  assert.equal(ms, 2000);
});

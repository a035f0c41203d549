import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/raw-greenlet.js';
import { capture } from './_capture.js';

test('raw-greenlet prints the seed output: test1 returns to its parent, test2 never resumes', async () => {
  const { lines } = await capture(main);
  assert.deepEqual(lines, [
    'test1: 2',
    'test2: 32',
    'test1: over',
    'gr1.dead: true',
    'gr2.dead: false',
  ]);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/context-switch.js';
import { capture } from './_capture.js';

test('context-switch prints the tutorial output: foo and bar alternate at sleep(0)', async () => {
  const { lines } = await capture(main);
  assert.deepEqual(lines, [
    'Running in foo',
    'Explicit context to bar',
    'Explicit context switch to foo again',
    'Implicit context switch back to bar',
  ]);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/greenlet-states.js';
import { capture } from './_capture.js';

test('greenlet-states prints the states gevent prints, as JS values', async () => {
  const { lines } = await capture(main);
  assert.deepEqual(lines, [
    'true',
    'true',
    'You win!',
    'undefined',
    'true',
    'true',
    'true',
    'false',
    'Error: You fail at failing.',
  ]);
});

test('greenlet-states: the failure is not reported, since joinAll was waiting for it', async () => {
  const { reports } = await capture(main);
  assert.deepEqual(reports, []);
});

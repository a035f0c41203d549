import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/actor.js';
import { capture } from './_capture.js';

test('actor: the two actors play ping-pong through their inboxes until main stops them', async () => {
  const { lines, reports } = await capture(main);
  assert.deepEqual(lines, [
    'start',
    ...Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? 'ping' : 'pong')),
  ]);
  assert.deepEqual(reports, []);
});

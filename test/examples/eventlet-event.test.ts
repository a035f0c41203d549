import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/eventlet-event.js';
import { capture } from './_capture.js';

test("eventlet-event: seed 004's Event samples print what eventlet prints (errors in JS terms)", async () => {
  const { lines, ms, reports } = await capture(main);
  assert.deepEqual(lines, [
    '4',
    'about to wait',
    'waited for a',
    'Error: Cannot send() an event that was already sent: call reset() first',
    'Error RuntimeError',
    'waited for result',
  ]);
  assert.equal(ms, 0);
  assert.deepEqual(reports, []);
});

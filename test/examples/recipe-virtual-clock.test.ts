import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/recipe-virtual-clock.js';
import { captureReal } from './_capture.js';

test('recipe-virtual-clock: a virtual hour of heartbeats and a Timeout, in order', async () => {
  const { lines } = await captureReal(main);
  assert.deepEqual(lines, [
    ' 15 min: heartbeat',
    ' 30 min: heartbeat',
    ' 40 min: the job timed out',
    ' 45 min: heartbeat',
    ' 60 min: heartbeat stopped',
    'one virtual hour took less than a second of real time',
  ]);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/eventlet-spawn-n.js';
import { capture } from './_capture.js';

test('eventlet-spawn-n: spawnN threads run when main waits; a full pool holds spawnN back', async () => {
  const { lines, ms, reports } = await capture(main);
  // What Python's eventlet 0.33 prints for the same program (but its first line).
  assert.deepEqual(lines, [
    'spawned two',
    'start a',
    'start b',
    'done b',
    'done a',
    'queued c free 1',
    'queued d free 0',
    'start c',
    'start d',
    'done c',
    'done d',
    'queued e free 1',
    'queued f free 0',
    'start e',
    'start f',
    'done e',
    'done f',
    'all done, running 0',
  ]);
  assert.equal(ms, 70);
  assert.deepEqual(reports, []);
});

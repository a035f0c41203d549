// Real SIGTERM to this test process (node --test runs each file in its own process); the
// example's handler is installed before the signal is sent and removed after.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/recipe-shutdown.js';
import { captureReal } from './_capture.js';

test('recipe-shutdown: SIGTERM stops the producer, the workers drain the queue, nothing is lost', async () => {
  const { lines, reports } = await captureReal(main);
  assert.equal(lines[0], 'running; a supervisor will send SIGTERM');
  assert.equal(lines[1], 'SIGTERM: no new jobs, finishing the queued ones');
  const m = /^drained: (\d+) jobs put, (\d+) done, 0 lost$/.exec(lines[2] ?? '');
  assert.ok(m, lines.join('\n'));
  assert.equal(m[1], m[2]);
  assert.ok(Number(m[1]) > 0);
  assert.equal(lines.length, 3);
  assert.deepEqual(reports, []);
  assert.equal(process.listenerCount('SIGTERM'), 0, 'the handler was removed');
});

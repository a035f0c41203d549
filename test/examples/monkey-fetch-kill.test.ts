// Runs in its own process (node --test runs each file apart): patchAll() patches this process.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/monkey-fetch-kill.js';
import { captureReal } from './_capture.js';

test('monkey-fetch-kill: the killed greenlet gets GreenletExit at fetch and the server sees the connection close', async () => {
  const { lines, reports } = await captureReal(main);
  assert.deepEqual(lines, [
    'server: request for /slow',
    'killing the client',
    'client: fetch threw GreenletExit',
    'client dead: true',
    'server: connection closed',
  ]);
  assert.deepEqual(reports, []);
});

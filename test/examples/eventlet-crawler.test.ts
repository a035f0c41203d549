import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/eventlet-crawler.js';
import { captureReal } from './_capture.js';

test('eventlet-crawler: a GreenPool fetches the local site and imap prints the sizes in input order', async () => {
  const { lines, reports } = await captureReal(main);
  assert.deepEqual(lines, ['got body 8558', 'got body 54021', 'got body 1203']);
  assert.deepEqual(reports, []);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/links.js';
import { capture } from './_capture.js';

test('links: link always, linkValue on success, linkException on failure, in link order', async () => {
  const { lines } = await capture(main);
  assert.deepEqual(lines, [
    'link: ok is dead, successful: true',
    'linkValue: ok returned 42',
    'link: bad is dead, successful: false',
    'linkException: bad failed: Error: boom',
    'late link: ok had already finished',
  ]);
});

test('links: a failure with a user link is not reported', async () => {
  const { reports } = await capture(main);
  assert.deepEqual(reports, []);
});

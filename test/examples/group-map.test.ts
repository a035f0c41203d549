import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/group-map.js';
import { capture } from './_capture.js';

test('group-map: map runs all three at once, imap yields in order, imapUnordered as they finish', async () => {
  const { lines, ms } = await capture(main);
  assert.equal(lines.length, 14);
  const idents = [1, 3, 5].map((i) => /^Hello from Greenlet (\d+)$/.exec(lines[i] ?? '')?.[1]);
  assert.equal(new Set(idents).size, 3, lines.join('\n'));
  assert.deepEqual(lines, [
    'Size of group 3',
    `Hello from Greenlet ${idents[0]}`,
    'Size of group 3',
    `Hello from Greenlet ${idents[1]}`,
    'Size of group 3',
    `Hello from Greenlet ${idents[2]}`,
    'Ordered',
    "[ 'task', 0 ]",
    "[ 'task', 1 ]",
    "[ 'task', 2 ]",
    'Unordered',
    "[ 'task', 2 ]",
    "[ 'task', 1 ]",
    "[ 'task', 0 ]",
  ]);
  // imap and imapUnordered each run the three calls concurrently: 3 s each, not 6.
  assert.equal(ms, 6000);
});

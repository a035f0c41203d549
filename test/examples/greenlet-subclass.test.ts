import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/greenlet-subclass.js';
import { capture } from './_capture.js';

test('greenlet-subclass runs the overridden run() and joins it after its 3 s sleep', async () => {
  const { lines, ms } = await capture(main);
  assert.equal(lines.length, 2);
  assert.equal(lines[0], 'Hi there!');
  assert.match(lines[1] ?? '', /^<MyGreenlet "Greenlet-(\d+)" #\1: run\(\)>$/);
  assert.equal(ms, 3000);
});

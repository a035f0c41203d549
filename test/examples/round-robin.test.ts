import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/round-robin.js';
import { capture } from './_capture.js';

test('round-robin: three greenlets print themselves in turn, five rounds', async () => {
  const { lines } = await capture(main);
  assert.equal(lines.length, 15);
  const names = lines.slice(0, 3).map((line) => line.replace(/ 0$/, ''));
  for (const name of names) assert.match(name, /^<Greenlet "Greenlet-(\d+)" #\1: f\(5\)>$/);
  assert.equal(new Set(names).size, 3);
  assert.deepEqual(
    lines,
    lines.map((_, i) => `${names[i % 3]} ${Math.floor(i / 3)}`),
  );
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/queue-workers.js';
import { capture } from './_capture.js';

test('queue-workers: steve, john and nancy take tasks 1 to 24 in turn, then quit', async () => {
  const { lines } = await capture(main);
  const names = ['steve', 'john', 'nancy'];
  assert.deepEqual(lines, [
    ...Array.from({ length: 24 }, (_, i) => `Worker ${names[i % 3]} got task ${i + 1}`),
    ...Array<string>(3).fill('Quitting time!'),
  ]);
});

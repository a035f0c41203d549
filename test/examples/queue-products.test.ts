import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/queue-products.js';
import { capture } from './_capture.js';

test('queue-products: the producer puts all nine without switching, the consumers take turns', async () => {
  const { lines } = await capture(main);
  const names = ['steve', 'john', 'nancy'];
  assert.deepEqual(lines, [
    ...Array.from({ length: 9 }, (_, i) => `${names[i % 3]} got product ${i + 1}`),
    ...Array<string>(3).fill('%s Quit'),
  ]);
});

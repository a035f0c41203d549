import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/sleep-interleave.js';
import { capture } from './_capture.js';

test('sleep-interleave prints what gevent 22.10 prints: func_a first when both are due', async () => {
  const { lines, ms } = await capture(main);
  // Recorded from Debian's gevent 22.10 running the seed (with the sleeps scaled down).
  assert.deepEqual(lines, [
    'func_a ---> 10',
    'func_b ---> 10',
    'func_b ---> 9',
    'func_a ---> 9',
    'func_b ---> 8',
    'func_b ---> 7',
    'func_a ---> 8',
    'func_b ---> 6',
    'func_b ---> 5',
    'func_a ---> 7',
    'func_b ---> 4',
    'func_b ---> 3',
    'func_a ---> 6',
    'func_b ---> 2',
    'func_b ---> 1',
    'func_a ---> 5',
    'func_a ---> 4',
    'func_a ---> 3',
    'func_a ---> 2',
    'func_a ---> 1',
  ]);
  assert.equal(ms, 10_000);
});

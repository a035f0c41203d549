import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/pool-spawn.js';
import { capture } from './_capture.js';

test('pool-spawn: join waits for the hundred greenlets a member added while it waited', async () => {
  const { lines } = await capture(main);
  assert.deepEqual(
    lines,
    Array.from({ length: 100 }, (_, i) => `func_2 ---> ${i}`),
  );
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/async-result-waiters.js';
import { capture } from './_capture.js';

test('async-result-waiters: every one of the five waiters gets the message', async () => {
  const { lines, ms } = await capture(main);
  assert.deepEqual(lines, [
    'Wait for me',
    ...Array<string>(5).fill("I'll wait for you"),
    "Ok, I'm done",
    ...Array<string>(5).fill('Got wake up message: Hello!'),
  ]);
  assert.equal(ms, 3000);
});

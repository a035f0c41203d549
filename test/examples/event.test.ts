import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/event.js';
import { capture } from './_capture.js';

test('event: five waiters block until the setter sets the event, three seconds later', async () => {
  const { lines, ms } = await capture(main);
  assert.deepEqual(lines, [
    'A: Hey wait for me, I have to do something',
    ...Array<string>(5).fill("I'll wait for you"),
    "Ok, I'm done",
    ...Array<string>(5).fill("It's about time"),
  ]);
  assert.equal(ms, 3000);
});

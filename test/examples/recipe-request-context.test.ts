import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/recipe-request-context.js';
import { capture } from './_capture.js';

test("recipe-request-context: a request's id reaches the greenlets it spawns; Local stays per greenlet", async () => {
  const { lines } = await capture(main);
  assert.deepEqual(lines, [
    '[req-1] start a',
    '[req-2] start b',
    "[req-1] looked up a-cart (this greenlet's Local says a-cart)",
    "[req-2] looked up b-cart (this greenlet's Local says b-cart)",
    "[req-1] looked up a-user (this greenlet's Local says a-user)",
    "[req-2] looked up b-user (this greenlet's Local says b-user)",
    '[req-1] done a: A-USER, A-CART',
    '[req-2] done b: B-USER, B-CART',
    '[no request] outside any request',
  ]);
});

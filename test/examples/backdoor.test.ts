import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/backdoor.js';
import { printed } from './_capture.js';

test('backdoor: a client over loopback gets the banner, a local and an awaited value', async () => {
  const lines = await printed(main);
  assert.deepEqual(
    lines,
    ['Hello from verdant backdoor!', ">>> 'From defined scope!'", '>>> 42', '>>> '].map((l) =>
      l.trimEnd(),
    ),
  );
});

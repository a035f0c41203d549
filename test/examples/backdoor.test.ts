import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/backdoor.js';

test('backdoor: a client over loopback gets the banner, a local and an awaited value', async () => {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => {
    lines.push(a.join(' '));
  };
  try {
    await main();
  } finally {
    console.log = log;
  }
  assert.deepEqual(
    lines,
    ['Hello from verdant backdoor!', ">>> 'From defined scope!'", '>>> 42', '>>> '].map((l) =>
      l.trimEnd(),
    ),
  );
});

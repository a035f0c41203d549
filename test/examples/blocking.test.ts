import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/blocking.js';

test('blocking: the greedy greenlet is reported with its stack, the polite one is not', async () => {
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
  assert.equal(lines.length, 4, lines.join('\n'));
  assert.match(lines[0] as string, /^<Greenlet "greedy" #\d+: greedy\(\)> appears to be blocked$/);
  assert.match(lines[1] as string, /^ {4}at (fib|computeFor)$/);
  assert.match(lines[2] as string, /^ {4}at (fib|computeFor)$/);
  assert.equal(lines[3], 'done');
});

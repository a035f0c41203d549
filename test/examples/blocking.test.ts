import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/blocking.js';
import { printed } from './_capture.js';

test('blocking: the greedy greenlet is reported with its stack, the polite one is not', async () => {
  const lines = await printed(main);
  // The greedy greenlet's report, with its frames. (On a heavily loaded host the OS may also
  // deschedule the program for longer than the threshold: such an extra report is not checked.)
  const at = lines.findIndex((l) =>
    /^<Greenlet "greedy" #\d+: greedy\(\)> appears to be blocked$/.test(l),
  );
  assert.ok(at >= 0, lines.join('\n'));
  assert.match(lines[at + 1] as string, /^ {4}at (fib|computeFor)$/);
  assert.match(lines[at + 2] as string, /^ {4}at (fib|computeFor)$/);
  assert.equal(lines.at(-1), 'done');
});

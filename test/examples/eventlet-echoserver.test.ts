import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/eventlet-echoserver.js';
import { captureReal } from './_capture.js';

test('eventlet-echoserver: serve echoes two clients at once, StopServe stops it', async () => {
  const { lines, reports } = await captureReal(main);
  assert.equal(lines[0], 'server socket listening on 127.0.0.1');
  // Each client's lines come back in its own order (the two clients interleave freely).
  for (const name of ['a', 'b']) {
    assert.deepEqual(
      lines.filter((l) => l.startsWith(`${name} got`)),
      [`${name} got "${name}1"`, `${name} got "${name}2"`],
    );
  }
  // A line is echoed by the server before its client prints it.
  for (const text of ['a1', 'a2', 'b1', 'b2']) {
    const echoed = lines.indexOf(`echoed "${text}"`);
    assert.ok(echoed > 0 && echoed < lines.indexOf(`${text[0]} got "${text}"`), text);
  }
  assert.equal(lines.filter((l) => l === 'client connected').length, 3);
  assert.equal(lines.filter((l) => l === 'client disconnected').length, 2);
  assert.ok(!lines.some((l) => l.includes('shutdown')));
  assert.equal(lines.at(-1), 'server stopped');
  assert.deepEqual(reports, []);
});

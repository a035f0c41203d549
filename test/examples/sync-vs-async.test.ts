import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/sync-vs-async.js';
import { capture } from './_capture.js';

function parseMs(line: string | undefined): number {
  const m = /^\((\d+\.\d) ms\)$/.exec(line ?? '');
  assert.ok(m, `expected a "(N ms)" line, got ${line}`);
  return Number(m[1]);
}

test('sync-vs-async: tasks run in order synchronously, concurrently they take only the longest sleep', async () => {
  const { lines } = await capture(main);
  assert.equal(lines.length, 23);
  assert.equal(lines[0], '同步执行:');
  assert.deepEqual(
    lines.slice(1, 10),
    [1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `Task ${i} done`),
  );
  const syncMs = parseMs(lines[10]);
  assert.equal(lines[11], '异步执行:');
  const asyncTasks = lines.slice(12, 22);
  assert.deepEqual(
    [...asyncTasks].sort(),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `Task ${i} done`),
  );
  const asyncMs = parseMs(lines[22]);
  // Each task sleeps 0, 1 or 2 ms: one after the other they add up, together they overlap.
  assert.ok(asyncMs <= 2, `asynchronous took ${asyncMs} ms`);
  assert.ok(syncMs > asyncMs, `synchronous ${syncMs} ms, asynchronous ${asyncMs} ms`);
  assert.ok(syncMs <= 18);
});

test('sync-vs-async prints the same order on every run (its random numbers are seeded)', async () => {
  const first = await capture(main);
  const second = await capture(main);
  assert.deepEqual(second.lines, first.lines);
});

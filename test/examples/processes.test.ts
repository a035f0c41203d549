import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/processes.js';
import { printed } from './_capture.js';

test('processes: cron keeps printing while communicate() waits, then the child says Linux', async () => {
  const lines = await printed(main);
  assert.equal(lines.at(-1), 'Linux');
  const crons = lines.slice(0, -1);
  assert.ok(crons.length >= 3, `cron ran during the 1 s wait (${crons.length} times)`);
  assert.ok(crons.every((l) => l === 'cron'));
});

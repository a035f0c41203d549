import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/processes.js';

test('processes: cron keeps printing while communicate() waits, then the child says Linux', async () => {
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
  assert.equal(lines.at(-1), 'Linux');
  const crons = lines.slice(0, -1);
  assert.ok(crons.length >= 3, `cron ran during the 1 s wait (${crons.length} times)`);
  assert.ok(crons.every((l) => l === 'cron'));
});

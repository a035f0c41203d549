import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/threadpool.js';
import { printed } from './_capture.js';

test('threadpool: four blocking tasks on three threads take at least two rounds', async () => {
  const lines = await printed(() => main(200));
  assert.equal(lines.length, 1);
  const m =
    /^Running "block\(200\)" 4 times with 3 threads\. Should take about 0\.4 seconds: (\d+\.\d{3})s$/.exec(
      lines[0] as string,
    );
  assert.ok(m, lines[0]);
  assert.ok(Number(m[1]) >= 0.4, 'three threads cannot run four 200 ms blocks in one round');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/kill.js';
import { capture } from './_capture.js';

test('kill: GreenletExit lands at the sleep, finally runs, the greenlet ends successfully', async () => {
  const { lines, reports } = await capture(main);
  assert.deepEqual(lines, [
    'g: sleeping for 10 seconds',
    'g: interrupted by GreenletExit',
    'g: finally runs',
    'g.dead: true',
    'g.successful(): true',
    'g.value is a GreenletExit: true',
    'h: sleeping for 10 seconds',
    'h: interrupted by Error',
    'h: finally runs',
    'h.successful(): false',
    'h.exception: Error: shut down',
    'never.dead: true',
  ]);
  // h's failure had a listener (the blocking kill waited for it): nothing reported.
  assert.deepEqual(reports, []);
});

test('kill interrupts the 10 s sleeps right away', async () => {
  const { ms } = await capture(main);
  assert.equal(ms, 200);
});

// Property test of the permit engine (src/sync/_permits.ts) and its users — a semaphore's
// permits, a Lock, a pool's slots, imap's `maxsize` — and of a queue's items, under the storm of
// test/sync/_storm.ts: kills and Timeouts pending together, `Promise.all` of waits on two
// primitives. On failure fast-check prints the seed and path: pass them to fc.assert to replay.
// bench/soak.mjs runs the same storm for a million operations.
import { test } from 'node:test';
import fc from 'fast-check';
import { play, scenarioArb } from './_storm.js';

test('permits, pool slots, imap maxsize and queue items are conserved under kills and Timeouts pending together', async () => {
  await fc.assert(fc.asyncProperty(scenarioArb, play), { numRuns: 300 });
});

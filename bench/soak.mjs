// Soak: the storm of the property tests (test/sync/_storm.ts) — semaphores, Locks, pool slots,
// imap's maxsize and queue items, two at a time, under kills and Timeouts pending together and
// Promise.all of waits — played over and over until it has run a million operations (or the
// count given). Not part of CI: it takes minutes. Build first (`npm run build`).
//
// Usage: node bench/soak.mjs [operations=1000000]   (SEED=n to replay a run)
// Prints the counts; every line after "lost or duplicated" must be 0, and it exits 1 otherwise.
import fc from 'fast-check';

const { counts, play, scenarioArb } = await import('../dist/test/sync/_storm.js');

const target = Number(process.argv[2] ?? 1_000_000);
let seed = Number(process.env.SEED ?? Date.now() % 2 ** 31);
const firstSeed = seed;
let unhandled = 0;
process.on('unhandledRejection', () => {
  unhandled++;
});
let blocked = 0;
let lost = 0;
let other = 0;
const started = performance.now();
let lastReport = started;

while (counts.operations < target) {
  for (const sc of fc.sample(scenarioArb, { numRuns: 100, seed: seed++ })) {
    try {
      await play(sc);
    } catch (e) {
      const msg = String(e?.message ?? e);
      if (/every script ended/.test(msg)) blocked++;
      else if (/free|held|back|once|order|in flight|holders|members|nobody/.test(msg)) lost++;
      else other++;
      if (blocked + lost + other <= 3) console.error(`failed: ${JSON.stringify(sc)}\n${msg}`);
    }
  }
  const now = performance.now();
  if (now - lastReport > 10_000) {
    lastReport = now;
    console.log(`  ${counts.operations} operations, ${counts.scenarios} scenarios…`);
  }
}

const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(
  `soak: ${counts.operations} operations in ${counts.scenarios} scenarios, ${seconds} s (SEED=${firstSeed})`,
);
console.log(`  takes ${counts.takes}, Timeouts fired ${counts.timeouts}, kills ${counts.kills}`);
console.log('lost or duplicated (items, permits, slots, imap results):', lost);
console.log('greenlets left blocked:', blocked);
console.log('other failures:', other);
console.log('unhandled rejections:', unhandled);
process.exitCode = lost + blocked + other + unhandled === 0 ? 0 : 1;

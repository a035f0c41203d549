/**
 * Cookbook: testing with the virtual clock — `runVirtual` runs a program on a hub whose clock
 * jumps to the next timer as soon as every greenlet is blocked, so an hour of retries, timeouts
 * and sleeps takes microseconds and gives the same result every run.
 *
 * Written for verdant's cookbook (docs/cookbook.md). A heartbeat every 15 minutes, a job that
 * times out after 40 minutes: one virtual hour, printed with its virtual timestamps.
 *
 * Run: node dist/examples/recipe-virtual-clock.js
 */
import { pathToFileURL } from 'node:url';
import { getHub, sleep, spawn, Timeout } from '../src/index.js';
import { runVirtual } from '../src/testing/virtual.js';

const MIN = 60_000;

export async function main(): Promise<void> {
  const started = performance.now();
  const log = await runVirtual(async () => {
    const out: string[] = [];
    const stamp = (msg: string): void => {
      out.push(`${String(getHub().now() / MIN).padStart(3)} min: ${msg}`);
    };
    const heartbeat = spawn(async () => {
      for (;;) {
        await sleep(15 * MIN);
        stamp('heartbeat');
      }
    });
    const t = Timeout.startNew(40 * MIN);
    try {
      await sleep(24 * 60 * MIN); // a job that would take a day
    } catch (e) {
      if (e !== t) throw e;
      stamp('the job timed out');
    }
    await sleep(20 * MIN);
    await heartbeat.kill();
    stamp('heartbeat stopped');
    return out;
  });
  for (const line of log) console.log(line);
  const realMs = performance.now() - started;
  console.log(
    `one virtual hour took ${realMs < 1000 ? 'less than a second' : 'a while'} of real time`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

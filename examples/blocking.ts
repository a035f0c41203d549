/**
 * Blocking detection: with a monitor watching, a greenlet that computes for 300 ms without
 * yielding is reported with the stack it was running, while a greenlet that yields is not.
 *
 * Not from a seed sample: seed 000 lists gevent's monitor thread (`max_blocking_time`); this is
 * the program gevent's docs describe. The report normally goes to stderr (the hub's
 * `exceptionStream`); here it is printed with console.log, its timestamp and file paths cut.
 *
 * Run: node dist/examples/blocking.js
 */
import { pathToFileURL } from 'node:url';
import { getHub, joinAll, sleep, spawn } from '../src/index.js';
import { startMonitor } from '../src/tools/util.js';

function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

function computeFor(ms: number): number {
  const t0 = Date.now();
  let n = 0;
  while (Date.now() - t0 < ms) n += fib(15);
  return n;
}

export async function main(): Promise<void> {
  const hub = getHub();
  const stream = hub.exceptionStream;
  hub.exceptionStream = {
    write: (text: string) => {
      const lines = text.trimEnd().split('\n');
      // "<time> : <greenlet> appears to be blocked", then the frames, shown as "at fn".
      console.log(lines[0]?.replace(/^\S+ : /, ''));
      for (const frame of lines.slice(1, 3)) console.log(frame.replace(/ \(.*\)$/, ''));
    },
  };
  const monitor = await startMonitor({ maxBlockingTime: 100 });
  try {
    const polite = spawn(async function polite() {
      for (let i = 0; i < 20; i++) {
        computeFor(5);
        await sleep(0); // yields: never reported
      }
    });
    const greedy = spawn(async function greedy() {
      await sleep(50);
      computeFor(300); // 300 ms without a switch: reported
    });
    greedy.name = 'greedy';
    await joinAll([polite, greedy]);
    await sleep(200);
  } finally {
    monitor.stop();
    hub.exceptionStream = stream;
  }
  console.log('done');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

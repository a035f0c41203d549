/**
 * A child process the greenlets wait for cooperatively: a cron greenlet keeps printing while
 * `communicate()` waits for `sleep 1; uname`.
 *
 * Ported from seed 000 ("Subprocess", gevent.subprocess). Deviations: `shell=True` becomes an
 * explicit `sh -c`; durations in ms; the output is printed as a string (`text: true`) instead of
 * Python's bytes.
 *
 * Run: node dist/examples/processes.js
 */
import { pathToFileURL } from 'node:url';
import { sleep, spawn } from '../src/index.js';
import { PIPE, Popen } from '../src/process/subprocess.js';

async function cron(): Promise<void> {
  for (;;) {
    console.log('cron');
    await sleep(200);
  }
}

export async function main(): Promise<void> {
  const g = spawn(cron);
  const sub = new Popen<string>(['sh', '-c', 'sleep 1; uname'], { stdout: PIPE, text: true });
  const [out] = await sub.communicate();
  await g.kill();
  console.log(out?.trimEnd());
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

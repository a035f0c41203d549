/**
 * Stopping on a signal: the tutorial's `gevent.signal(signal.SIGQUIT, gevent.kill)` sample.
 * A greenlet runs forever; SIGTERM or SIGQUIT kills it, its `finally` cleans up, and the
 * program ends by itself (exit status 0) instead of being cut off mid-work.
 *
 * Ported from seed 000 ("程序停止"). Deviations: `signalHandler` runs the handler in a new
 * greenlet, which kills the worker (gevent's sample kills the current greenlet); SIGTERM is
 * handled too, the signal a service manager sends.
 *
 * Run: node dist/examples/signal.js, then `kill -TERM <pid>` (it prints its pid). In the tour
 * (`main()` with no argument) it sends itself SIGQUIT after 100 ms.
 */
import { pathToFileURL } from 'node:url';
import {
  type Greenlet,
  type SignalHandle,
  signalHandler,
  sleep,
  spawn,
  spawnLater,
} from '../src/index.js';

async function runForever(): Promise<void> {
  try {
    await sleep(1_000_000);
  } finally {
    console.log('run_forever: cleaning up');
  }
}

export async function main(selfSignal = true): Promise<void> {
  const thread: Greenlet = spawn(runForever);
  const handlers: SignalHandle[] = (['SIGTERM', 'SIGQUIT'] as const).map((sig) =>
    signalHandler(sig, () => {
      console.log(`got ${sig}: stopping`);
      return thread.kill();
    }),
  );
  try {
    if (selfSignal) spawnLater(100, () => process.kill(process.pid, 'SIGQUIT'));
    else console.log(`pid ${process.pid}: send SIGTERM or SIGQUIT to stop`);
    await thread.join();
    console.log('stopped gracefully');
  } finally {
    for (const h of handlers) h.cancel();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(false);

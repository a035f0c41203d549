/**
 * Seed 000's "Long Polling": a producer greenlet puts `Hello World` in a `Queue` every second;
 * the endpoint streams one JSON line per item, waiting up to 5 s for each
 * (`data_source.get(timeout=5)`; on `QueueEmpty` it waits again).
 *
 * Differences: the seed's queue is unbounded, so while nobody listens the producer fills it
 * forever (a server left running grows without end). Here it holds the latest `backlog` items
 * (10 by default): when it is full the producer drops the oldest before it puts, so it never
 * waits, and a listener that comes later gets the recent items first, then live ones. `main()`
 * shortens the producer's period to 50 ms, reads three lines and stops.
 */
import { pathToFileURL } from 'node:url';
import { Queue, QueueEmpty, sleep, spawn } from '../src/index.js';
import { HttpServer } from '../src/servers/http.js';

/** What the producer did: items put, items dropped unread (the oldest), items queued now. */
export interface LongPollStats {
  produced: number;
  dropped: number;
  queued: number;
}

export function createApp(
  period = 1000,
  backlog = 10,
): {
  app: (req: Request) => Response;
  stop: () => Promise<void>;
  stats: () => LongPollStats;
} {
  const dataSource = new Queue<string>(backlog);
  let produced = 0;
  let dropped = 0;
  const producer = spawn(async () => {
    for (;;) {
      if (dataSource.full()) {
        dataSource.getNowait(); // nobody took it: drop the oldest, keep the latest
        dropped++;
      }
      dataSource.putNowait('Hello World');
      produced++;
      await sleep(period);
    }
  });
  async function* stream(): AsyncGenerator<string> {
    for (;;) {
      try {
        const datum = await dataSource.get({ timeout: 5000 });
        yield `${JSON.stringify(datum)}\n`;
      } catch (err) {
        if (!(err instanceof QueueEmpty)) throw err;
      }
    }
  }
  const app = (_req: Request): Response =>
    new Response(stream() as unknown as ReadableStream, {
      headers: { 'Content-Type': 'application/json' },
    });
  return {
    app,
    stop: () => producer.kill(),
    stats: () => ({ produced, dropped, queued: dataSource.qsize() }),
  };
}

export async function main(): Promise<void> {
  const { app, stop } = createApp(50);
  const server = new HttpServer(['127.0.0.1', 0], app, { log: null });
  await server.start();
  const r = await fetch(`http://127.0.0.1:${server.serverPort}/`);
  const reader = (r.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  let printed = 0;
  while (printed < 3) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    // Two chunks may reach the client in one read: print line by line.
    for (let i = text.indexOf('\n'); i >= 0 && printed < 3; i = text.indexOf('\n')) {
      console.log(`line: ${text.slice(0, i)}`);
      text = text.slice(i + 1);
      printed++;
    }
  }
  await reader.cancel();
  await server.stop({ timeout: 100 });
  await stop();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

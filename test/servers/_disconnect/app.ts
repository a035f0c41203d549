// Run as a real process by test/servers/http.disconnect.test.ts: a server whose response body is
// a ReadableStream that sleeps (a verdant sleep) in pull(); a raw client takes the first piece and
// goes away; the server stops. Prints one JSON line, then must exit by itself: nothing (a sleep,
// a timer, a socket) may keep the process alive.
import { connect } from 'node:net';
import { sleep } from '../../../src/index.js';
import { HttpServer } from '../../../src/servers/http.js';

let pulls = 0;
let cancelled = false;
let pullEnded = false;
const server = new HttpServer(
  ['127.0.0.1', 0],
  () =>
    new Response(
      new ReadableStream<Uint8Array>({
        async pull(ctrl): Promise<void> {
          pulls++;
          try {
            await sleep(pulls === 1 ? 1 : 3_600_000);
          } finally {
            pullEnded = pulls > 1;
          }
          ctrl.enqueue(new TextEncoder().encode(`piece${pulls}\n`));
        },
        cancel(): void {
          cancelled = true;
        },
      }),
    ),
  { log: null },
);
await server.start();
const c = connect(server.serverPort as number, '127.0.0.1');
c.on('error', () => {});
c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
await new Promise<void>((resolve) => {
  let got = '';
  c.on('data', (d: Buffer) => {
    got += d.toString('latin1');
    if (got.includes('piece1')) resolve();
  });
});
await sleep(20); // the second pull sleeps now
c.destroy();
for (let i = 0; i < 100 && !cancelled; i++) await sleep(10);
await server.stop();
process.stdout.write(`${JSON.stringify({ cancelled, pullEnded })}\n`);

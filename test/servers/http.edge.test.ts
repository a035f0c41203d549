// HttpServer on requests off node:http's usual path: a client that half-closes after its
// request. gevent's pywsgi is the reference (checked side by side with /usr/bin/python3 +
// gevent 22.10: it answers a half-closed connection).
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, describe, test } from 'node:test';
import { sleep } from '../../src/index.js';
import { assertNoLiveHandles } from '../io/_net.js';
import { memoryLog, parseResponse, RawClient, serve, sleepReal } from './_http.js';

const fetchApp = async (r: Request): Promise<Response> => {
  await sleep(30); // the FIN arrives while the handler runs
  return new Response(`F ${r.method} ${new URL(r.url).pathname}`);
};
const nodeApp = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
  await sleep(30);
  res.end(`N ${req.method} ${req.url}`);
};
const kinds = [
  ['Fetch', fetchApp],
  ['Node', nodeApp],
] as const;

/** Every response in `data`, in order (the connection has closed). */
function responses(data: string): { status: number; body: string }[] {
  const out: { status: number; body: string }[] = [];
  for (let rest = data; rest.length > 0; ) {
    const r = parseResponse(rest, true);
    if (r === null) break;
    out.push({ status: r.status, body: r.body });
    rest = r.rest;
  }
  return out;
}

describe('a client that half-closes after its request', () => {
  for (const [kind, app] of kinds) {
    test(`${kind} handler: a request then shutdown(write) gets its response, then the server closes (pywsgi answers; found by review: nothing came back)`, async () => {
      const log = memoryLog();
      const server = await serve(app as never, { log });
      try {
        const c = new RawClient(server.serverPort as number);
        c.send('GET /half HTTP/1.1\r\nHost: x\r\n\r\n');
        c.sock.end(); // FIN: nothing more will be sent; the client still reads
        const got = await c.untilClosed();
        assert.deepEqual(responses(got), [{ status: 200, body: `${kind[0]} GET /half` }]);
        for (let i = 0; i < 100 && log.lines.length < 1; i++) await sleepReal(10);
        assert.match(log.lines[0] as string, /"GET \/half HTTP\/1\.1" 200 \d+ /);
      } finally {
        await server.stop();
      }
    });

    test(`${kind} handler: two pipelined requests then shutdown(write) get both responses, in order`, async () => {
      const server = await serve(app as never);
      try {
        const c = new RawClient(server.serverPort as number);
        c.send(
          'GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi',
        );
        c.sock.end();
        const got = await c.untilClosed();
        assert.deepEqual(responses(got), [
          { status: 200, body: `${kind[0]} GET /a` },
          { status: 200, body: `${kind[0]} POST /b` },
        ]);
      } finally {
        await server.stop();
      }
    });
  }
});

after(() => assertNoLiveHandles());

// HttpServer on requests node:http routes off the usual path: `OPTIONS *`, `CONNECT`. gevent's
// pywsgi is the reference (checked side by side with /usr/bin/python3 + gevent 22.10: it gives
// the app PATH_INFO '*' for `OPTIONS *` and the authority ('example.com:443') for CONNECT).
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

describe('OPTIONS *', () => {
  test("a Fetch handler gets OPTIONS * as a Request for http://host/* (pywsgi: PATH_INFO '*'; a Node handler gets req.url '*'), answered on a connection that goes on (found by review: 400 before the handler ran)", async () => {
    const log = memoryLog();
    const seen: string[] = [];
    const server = await serve(
      (r: Request) => {
        seen.push(`${r.method} ${r.url}`);
        return new Response(null, { status: 204, headers: { Allow: 'GET, OPTIONS' } });
      },
      { log },
    );
    try {
      const c = new RawClient(server.serverPort as number);
      c.send('OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n');
      const got = await c.until((d) => d.includes('\r\n\r\n'));
      assert.match(got, /^HTTP\/1\.1 204 No Content\r\n/);
      assert.match(got, /\r\nAllow: GET, OPTIONS\r\n/i);
      assert.deepEqual(seen, ['OPTIONS http://example.com/*']);
      c.take();
      c.send('GET /next HTTP/1.1\r\nHost: example.com\r\n\r\n');
      await c.until((d) => d.includes('\r\n\r\n'));
      assert.deepEqual(seen, ['OPTIONS http://example.com/*', 'GET http://example.com/next']);
      c.destroy();
      for (let i = 0; i < 100 && log.lines.length < 1; i++) await sleepReal(10);
      assert.match(log.lines[0] as string, /"OPTIONS \* HTTP\/1\.1" 204 /);
    } finally {
      await server.stop();
    }
  });

  test("a Node handler gets OPTIONS * as req.url '*' (as node:http and pywsgi)", async () => {
    const server = await serve((req: IncomingMessage, res: ServerResponse) => {
      res.end(`${req.method} ${req.url}`);
    });
    try {
      const c = new RawClient(server.serverPort as number);
      c.send('OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n');
      const got = await c.until((d) => d.endsWith('OPTIONS *'));
      assert.match(got, /^HTTP\/1\.1 200 OK\r\n/);
      c.destroy();
    } finally {
      await server.stop();
    }
  });
});

describe('CONNECT', () => {
  for (const [kind, app] of kinds) {
    test(`${kind} handler: a CONNECT request gets 501 Not Implemented and the connection closes, with its access-log line; the handler never runs (found by review: the connection was dropped without a word)`, async () => {
      const log = memoryLog();
      let ran = 0;
      const counted = (...args: unknown[]): unknown => {
        ran++;
        return (app as (...a: unknown[]) => unknown)(...args);
      };
      const server = await serve(counted as never, { log });
      try {
        const c = new RawClient(server.serverPort as number);
        c.send('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
        const got = await c.untilClosed();
        assert.match(got, /^HTTP\/1\.1 501 Not Implemented\r\n/);
        assert.match(got, /\r\nConnection: close\r\n/);
        assert.equal(ran, 0);
        for (let i = 0; i < 100 && log.lines.length < 1; i++) await sleepReal(10);
        assert.match(log.lines[0] as string, /"CONNECT example\.com:443 HTTP\/1\.1" 501 /);
      } finally {
        await server.stop();
      }
    });
  }

  test('with a websocket handler too (node:http routes upgrades through its own test): CONNECT gets 501', async () => {
    const server = await serve(fetchApp, { websocket: () => undefined });
    try {
      const c = new RawClient(server.serverPort as number);
      c.send('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
      assert.match(await c.untilClosed(), /^HTTP\/1\.1 501 Not Implemented\r\n/);
    } finally {
      await server.stop();
    }
  });

  test('a CONNECT pipelined behind a request in progress is answered after that response, whole', async () => {
    const server = await serve(fetchApp);
    try {
      const c = new RawClient(server.serverPort as number);
      c.send(
        'GET /slow HTTP/1.1\r\nHost: x\r\n\r\nCONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
      );
      const got = await c.untilClosed();
      const first = parseResponse(got);
      assert.ok(first !== null, `a whole first response: ${JSON.stringify(got)}`);
      assert.equal(first.body, 'F GET /slow');
      assert.match(first.rest, /^HTTP\/1\.1 501 Not Implemented\r\n/);
    } finally {
      await server.stop();
    }
  });

  test("a 'connect' listener of the application on server.server takes CONNECT over: no 501 is written", async () => {
    const server = await serve(fetchApp);
    try {
      server.server.on('connect', (_req: IncomingMessage, socket: import('node:stream').Duplex) => {
        socket.end('HTTP/1.1 200 Connection Established\r\n\r\n');
      });
      const c = new RawClient(server.serverPort as number);
      c.send('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
      const got = await c.untilClosed();
      assert.equal(got, 'HTTP/1.1 200 Connection Established\r\n\r\n');
    } finally {
      await server.stop();
    }
  });
});

after(() => assertNoLiveHandles());

// HttpServer's answers to heads it refuses (414/431), whatever the TCP packets the head came in,
// and after pipelined requests on the same connection (their responses go out first). gevent:
// test__pywsgi.py (a too long request line gets 414, too large headers 431).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import selfsigned from 'selfsigned';
import { sleep } from '../../src/index.js';
import { assertNoLiveHandles } from '../io/_net.js';
import { hasFullResponse, RawClient, serve, sleepReal } from './_http.js';

async function* pieces(n: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < n; i++) {
    await sleep(2);
    yield new TextEncoder().encode(`piece${i}\n`);
  }
}

/** Send `parts` as separate TCP packets (a pause between them, no Nagle). */
async function sendApart(c: RawClient, parts: string[]): Promise<void> {
  await c.connected();
  c.sock.setNoDelay(true);
  for (const p of parts) {
    if (c.closed) return;
    c.send(p);
    await sleepReal(25);
  }
}

test('a request line over the limit gets 414 however its packets split it; large headers 431', async () => {
  const server = await serve(() => new Response('ok'), { maxHeaderSize: 8192 });
  const port = server.serverPort as number;
  try {
    const a = (n: number): string => 'a'.repeat(n);
    const cases: Array<[string[], RegExp]> = [
      // The overflow comes at the end of a packet in the middle of the URI, no line start in it.
      [
        [`GET /${a(3000)}`, a(3000), a(3000), a(3000), ' HTTP/1.1\r\nHost: x\r\n\r\n'],
        /^HTTP\/1\.1 414 /,
      ],
      [['GE', `T /${a(5000)}`, a(5000), ' HTTP/1.1\r\n\r\n'], /^HTTP\/1\.1 414 /],
      // After leading empty lines (allowed before a request line).
      [['\r\n', `GET /${a(4000)}`, a(4000), a(4000), ' HTTP/1.1\r\n\r\n'], /^HTTP\/1\.1 414 /],
      // Headers over the limit, in packets that hold no line start either: 431.
      [
        ['GET / HTTP/1.1\r\nHost: x\r\nX-Big: ', a(4000), a(4000), a(4000), '\r\n\r\n'],
        /^HTTP\/1\.1 431 /,
      ],
      [
        ['GET / HTTP/1.1\r\nHost: x\r\nX-', a(4000), a(4000), a(4000), ': 1\r\n\r\n'],
        /^HTTP\/1\.1 431 /,
      ],
      [
        ['GET /', a(100), ' HTTP/1.1\r\nX-Big: ', a(4000), a(4000), a(4000), '\r\n\r\n'],
        /^HTTP\/1\.1 431 /,
      ],
      // A long value holding spaces and a request-line look-alike.
      [
        ['GET / HTTP/1.1\r\nX-Big: GET /', a(4000), a(4000), a(4000), '\r\n\r\n'],
        /^HTTP\/1\.1 431 /,
      ],
    ];
    for (const [parts, want] of cases) {
      const c = new RawClient(port);
      await sendApart(c, parts);
      const d = await c.untilClosed();
      assert.match(d, want, `${JSON.stringify(parts.map((p) => p.length))}: ${d.slice(0, 40)}`);
      assert.match(d, /\r\nConnection: close\r\n\r\n$/);
    }
    // A second request on a keep-alive connection, its URI split: 414 too.
    const k = new RawClient(port);
    k.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.ok((await k.until(hasFullResponse)).endsWith('ok'));
    k.take();
    await sendApart(k, [`GET /${a(3000)}`, a(3000), a(3000), a(3000), ' HTTP/1.1\r\n\r\n']);
    assert.match(await k.untilClosed(), /^HTTP\/1\.1 414 /);
    // The server still answers.
    const ok = new RawClient(port);
    ok.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.ok((await ok.until(hasFullResponse)).endsWith('ok'));
    ok.destroy();
  } finally {
    await server.stop();
  }
});

test('over TLS too: a request line split over packets gets 414, large headers 431', async () => {
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
  });
  const server = await serve(() => new Response('ok'), {
    maxHeaderSize: 8192,
    key: pems.private,
    cert: pems.cert,
  });
  try {
    const a = 'a'.repeat(3000);
    const run = async (parts: string[]): Promise<string> => {
      const c = tlsConnect({
        host: '127.0.0.1',
        port: server.serverPort as number,
        rejectUnauthorized: false,
      });
      let data = '';
      c.setEncoding('latin1');
      c.on('data', (d: string) => {
        data += d;
      });
      c.on('error', () => {});
      const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
      await new Promise<void>((resolve) => c.once('secureConnect', () => resolve()));
      for (const p of parts) {
        if (c.destroyed) break;
        c.write(p);
        await sleepReal(25);
      }
      const t = setTimeout(() => c.destroy(), 3000);
      await closed;
      clearTimeout(t);
      return data;
    };
    assert.match(await run([`GET /${a}`, a, a, a, ' HTTP/1.1\r\n\r\n']), /^HTTP\/1\.1 414 /);
    assert.match(await run(['GET / HTTP/1.1\r\nX-Big: ', a, a, a, '\r\n\r\n']), /^HTTP\/1\.1 431 /);
  } finally {
    await server.stop();
  }
});

test('pipelined: the responses to the valid requests go out in full first, then 414/431, then close', async () => {
  const server = await serve(async (req) => {
    const path = new URL(req.url).pathname;
    await sleep(20); // the error is found while this response is still to come
    if (path === '/stream') return new Response(pieces(3));
    return new Response(`ok ${path}`);
  });
  const port = server.serverPort as number;
  try {
    const long = `GET /${'a'.repeat(20000)} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const big = `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20000)}\r\n\r\n`;
    const c = new RawClient(port);
    c.send(`GET /one HTTP/1.1\r\nHost: x\r\n\r\n${long}`);
    let d = await c.untilClosed();
    assert.match(d, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok \/one/);
    assert.ok(d.endsWith('ok /one' + 'HTTP/1.1 414 URI Too Long\r\nConnection: close\r\n\r\n'), d);
    // Two valid requests (one streamed) before a head too large, in one packet.
    const c2 = new RawClient(port);
    c2.send(`GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /stream HTTP/1.1\r\nHost: x\r\n\r\n${big}`);
    d = await c2.untilClosed();
    const i = d.indexOf('ok /one');
    assert.ok(i > 0, d);
    const rest = d.slice(i + 'ok /one'.length);
    assert.match(rest, /^HTTP\/1\.1 200 OK\r\n[\s\S]*transfer-encoding: chunked/i);
    assert.ok(rest.includes('piece2\n\r\n0\r\n\r\n'), rest);
    assert.ok(
      rest.endsWith(
        '\r\n0\r\n\r\nHTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n',
      ),
      rest,
    );
    // A valid request whose response closes the connection (HTTP/1.0): the 200 goes out whole,
    // then the connection closes (no refusal after a response that said it closes).
    const c0 = new RawClient(port);
    c0.send(`GET /zero HTTP/1.0\r\n\r\n${long}`);
    d = await c0.untilClosed();
    assert.match(d, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok \/zero$/);
    // The valid request in one packet, the over-long one after it.
    const c3 = new RawClient(port);
    c3.send('GET /three HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleepReal(5);
    c3.send(long);
    d = await c3.untilClosed();
    assert.match(d, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok \/three/);
    assert.ok(d.endsWith('HTTP/1.1 414 URI Too Long\r\nConnection: close\r\n\r\n'), d);
  } finally {
    await server.stop();
  }
});

after(() => assertNoLiveHandles());

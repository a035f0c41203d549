// HttpServer's answers to heads it refuses (414/431), whatever the TCP packets the head came in,
// and after pipelined requests on the same connection (their responses go out first). gevent:
// test__pywsgi.py (a too long request line gets 414, too large headers 431).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import selfsigned from 'selfsigned';
import { hasFullResponse, RawClient, serve, sleepReal } from './_http.js';

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

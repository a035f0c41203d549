// HttpServer's answers to heads it refuses (414/431), whatever the TCP packets the head came in,
// and after pipelined requests on the same connection (their responses go out first). gevent:
// test__pywsgi.py (a too long request line gets 414, too large headers 431).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import selfsigned from 'selfsigned';
import { sleep } from '../../src/index.js';
import { assertNoLiveHandles } from '../io/_net.js';
import { hasFullResponse, memoryLog, RawClient, serve, sleepReal } from './_http.js';

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

test("every head node:http refuses writes its access-log line, status as sent, no body bytes (pywsgi logs its 400/414 answers): the request line when the head came alone in one packet, escaped, else '-'", async () => {
  const log = memoryLog();
  const server = await serve(() => new Response('ok'), {
    log,
    maxHeaderSize: 8192,
    headersTimeout: 300,
    requestTimeout: 600,
  });
  const port = server.serverPort as number;
  const a = 'a'.repeat(9000);
  const cases: Array<[string[], string, string]> = [
    [['GET /h HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'], '400', '"GET /h HTTP/1.1"'],
    // A stray TLS hello: its bytes escaped, a quote too.
    [['\x16\x03\x01 "hi"\r\n\r\n'], '400', '"\\x16\\x03\\x01 \\x22hi\\x22"'],
    [[`GET /${a} HTTP/1.1\r\n\r\n`], '414', `"GET /${'a'.repeat(8192 - 5)}"`],
    [[`GET /l HTTP/1.1\r\nX-Big: ${a}\r\n\r\n`], '431', '"GET /l HTTP/1.1"'],
    // Split over packets: the first line is not in the packet that failed.
    [['GET /s HTTP/1.1\r\nHost: x\r\n', 'Bad Header\r\n\r\n'], '400', '"-"'],
    // A head that stops coming: node:http's 408 at headersTimeout.
    [['GET /t HTTP/1.1\r\nHost: x\r\n'], '408', '"-"'],
    // After a request on the same connection (its own line first).
    [['GET /1 HTTP/1.1\r\nHost: x\r\n\r\n', 'GET /2 HTTP/1.1\r\nBad Header\r\n\r\n'], '400', '"-"'],
  ];
  try {
    for (const [parts, status, requestLine] of cases) {
      const c = new RawClient(port);
      await sendApart(c, parts);
      const got = await c.untilClosed();
      assert.ok(got.includes(`HTTP/1.1 ${status} `), got.slice(0, 200));
      for (let i = 0; i < 100 && log.lines.length < parts.length; i++) await sleepReal(10);
      const line = log.lines.pop() as string;
      assert.ok(line.startsWith(`127.0.0.1 - - [`), line);
      assert.ok(
        line.includes(`] ${requestLine} ${status} - `),
        `${line.slice(0, 200)} for ${requestLine.slice(0, 40)}`,
      );
      assert.match(line, / \d+\.\d{6}\n$/);
      if (parts.length === 2 && requestLine === '"-"' && parts[0]?.endsWith('\r\n\r\n')) {
        assert.match(log.lines.pop() as string, /"GET \/1 HTTP\/1\.1" 200 2 /);
      }
      assert.deepEqual(log.lines, []);
      c.destroy();
    }
  } finally {
    await server.stop();
  }
});

test('a refused head pipelined behind a response still going out writes its line once the refusal is written', async () => {
  const log = memoryLog();
  const server = await serve(() => new Response(pieces(3) as never), { log, maxHeaderSize: 8192 });
  const c = new RawClient(server.serverPort as number);
  try {
    c.send(`GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /${'a'.repeat(9000)} HTTP/1.1\r\n\r\n`);
    const d = await c.untilClosed();
    assert.ok(d.endsWith('HTTP/1.1 414 URI Too Long\r\nConnection: close\r\n\r\n'), d.slice(-200));
    for (let i = 0; i < 100 && log.lines.length < 2; i++) await sleepReal(10);
    assert.equal(log.lines.length, 2);
    const one = log.lines.find((l) => l.includes('/one'));
    assert.match(one as string, /"GET \/one HTTP\/1\.1" 200 21 /);
    assert.match(log.lines.find((l) => l !== one) as string, /"-" 414 - \d+\.\d{6}\n$/);
  } finally {
    c.destroy();
    await server.stop();
  }
});

test("an Expect other than 100-continue gets node:http's 417 (the app never runs), with Content-Length: 0 and its access-log line", async () => {
  for (const node of [true, false]) {
    const log = memoryLog();
    let ran = 0;
    const app = node
      ? (_req: unknown, res: { end(s: string): void }): void => {
          ran++;
          res.end('ok');
        }
      : (): Response => {
          ran++;
          return new Response('ok');
        };
    const server = await serve(app as never, { log });
    const c = new RawClient(server.serverPort as number);
    try {
      c.send('POST /x HTTP/1.1\r\nHost: x\r\nExpect: something\r\nContent-Length: 2\r\n\r\nhi');
      const got = await c.until((d) => d.includes('\r\n\r\n'));
      assert.match(got, /^HTTP\/1\.1 417 Expectation Failed\r\n/);
      assert.match(got, /\r\nContent-Length: 0\r\n/i);
      // The connection goes on.
      c.send('GET /y HTTP/1.1\r\nHost: x\r\n\r\n');
      await c.until((d) => d.endsWith('ok'));
      for (let i = 0; i < 100 && log.lines.length < 2; i++) await sleepReal(10);
      assert.equal(ran, 1);
      assert.match(log.lines[0] as string, /"POST \/x HTTP\/1\.1" 417 - \d+\.\d{6}\n$/);
      assert.match(log.lines[1] as string, /"GET \/y HTTP\/1\.1" 200 2 /);
    } finally {
      c.destroy();
      await server.stop();
    }
  }
});

after(() => assertNoLiveHandles());

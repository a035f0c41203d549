// A bounded loopback fuzz of HttpServer: thousands of random and malformed requests (fast-check
// generated, with a fixed seed), slowloris heads, half-closed and reset connections. Afterwards
// the server still answers a good request, the hub reported nothing (the app never failed), and
// the heap did not grow without bound.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { assertNoLiveHandles } from '../io/_net.js';
import { captureHubReports, hasFullResponse, RawClient, serve } from './_http.js';

/** Send `bytes` on a fresh connection; resolve when the server closes it or after `ms`. */
function shoot(
  port: number,
  bytes: Buffer,
  how: 'close' | 'half' | 'reset',
  ms: number,
): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const t = setTimeout(() => {
      s.destroy();
      resolve();
    }, ms);
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(t);
      resolve();
    });
    s.on('data', () => {});
    s.on('connect', () => {
      s.write(bytes);
      if (how === 'half') s.end();
      else if (how === 'reset') s.resetAndDestroy();
    });
  });
}

const methods = ['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'BREW', '', 'G\x00T'];
const versions = ['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1', 'HTTX/1.1', ''];
const headerLine = fc.oneof(
  fc.constant('Host: x'),
  fc.constant('Content-Length: 5'),
  fc.constant('Content-Length: -1'),
  fc.constant('Content-Length: 99999999999999999999'),
  fc.constant('Transfer-Encoding: chunked'),
  fc.constant('Transfer-Encoding: gzip, chunked'),
  fc.constant('Expect: 100-continue'),
  fc.constant('Connection: close'),
  fc.constant('Connection: keep-alive'),
  fc.string({ maxLength: 40 }).map((s) => `X-${s}: ${s}`),
  fc.string({ maxLength: 60 }),
);
const request = fc
  .record({
    method: fc.constantFrom(...methods),
    path: fc.oneof(
      fc.constant('/'),
      fc.string({ maxLength: 30 }).map((s) => `/${s}`),
      fc.string({ maxLength: 10 }),
    ),
    version: fc.constantFrom(...versions),
    headers: fc.array(headerLine, { maxLength: 6 }),
    eol: fc.constantFrom('\r\n', '\n', '\r'),
    body: fc.oneof(
      fc.constant(''),
      fc.string({ maxLength: 50 }),
      fc.constant('5\r\nhello\r\n0\r\n\r\n'),
      fc.constant('zz\r\n'),
    ),
    how: fc.constantFrom('close' as const, 'half' as const, 'reset' as const),
    cut: fc.nat({ max: 200 }),
  })
  .map((r) => {
    const text = `${r.method} ${r.path} ${r.version}${r.eol}${r.headers.join(r.eol)}${r.eol}${r.eol}${r.body}`;
    const bytes = Buffer.from(text, 'latin1');
    return {
      bytes: r.cut > 150 ? bytes.subarray(0, r.cut % Math.max(1, bytes.length)) : bytes,
      how: r.how,
    };
  });

test('thousands of random and malformed requests: the server stays up, reports nothing, memory bounded', async () => {
  const cap = captureHubReports();
  let appCalls = 0;
  const server = await serve(
    async (req) => {
      appCalls++;
      if (req.body !== null) await req.arrayBuffer().catch(() => undefined);
      return new Response('ok');
    },
    { headersTimeout: 500, requestTimeout: 1000, keepAliveTimeout: 200 },
  );
  const port = server.serverPort as number;
  try {
    const samples = fc.sample(request, { numRuns: 2000, seed: 1234 });
    const heap0 = process.memoryUsage().heapUsed;
    for (let i = 0; i < samples.length; i += 50) {
      await Promise.all(samples.slice(i, i + 50).map((s) => shoot(port, s.bytes, s.how, 100)));
    }
    // Slowloris: heads that trickle in a byte at a time are cut off by headersTimeout.
    const slow = Array.from({ length: 20 }, () => new RawClient(port));
    for (const c of slow) c.send('GET / HTTP/1.1\r\n');
    const t0 = Date.now();
    while (Date.now() - t0 < 700 && slow.some((c) => !c.closed)) {
      for (const c of slow) if (!c.closed) c.send('X');
      await new Promise((r) => setTimeout(r, 50));
    }
    await Promise.all(slow.map((c) => c.untilClosed(3000)));
    assert.ok(
      slow.every((c) => c.closed),
      'slow heads were cut off',
    );
    // Still serving.
    const good = new RawClient(port);
    good.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.ok((await good.until(hasFullResponse)).endsWith('ok'));
    good.destroy();
    (globalThis as { gc?: () => void }).gc?.();
    const grown = process.memoryUsage().heapUsed - heap0;
    assert.ok(grown < 64 * 1024 * 1024, `heap grew by ${grown} bytes`);
    assert.ok(appCalls > 0, 'some requests were well-formed enough to reach the app');
    assert.deepEqual(cap.reports, [], 'no failure reported');
  } finally {
    cap.restore();
    await server.stop({ timeout: 500 });
  }
});

after(() => assertNoLiveHandles());

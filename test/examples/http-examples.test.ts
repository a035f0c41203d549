// The HTTP and WebSocket examples: each main() runs on the real hub with real loopback sockets
// and prints what its header says; the demo server serves every demo from one HttpServer.
import assert from 'node:assert/strict';
import { spawn as spawnChild } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startDemo } from '../../examples/demo-server.js';
import { main as streaming } from '../../examples/http-streaming.js';
import { rewrite, main as webproxy } from '../../examples/webproxy.js';
import { main as webpy } from '../../examples/webpy.js';
import { main as echo } from '../../examples/websocket-echo.js';
import { main as hello } from '../../examples/wsgiserver.js';
import { main as helloSsl } from '../../examples/wsgiserver-ssl.js';
import { createConnection, listen } from '../../src/io/socket.js';
import { HttpServer } from '../../src/servers/http.js';
import { connect } from '../../src/servers/websocket.js';
import { printed } from './_capture.js';
import { startExample } from './_server.js';

const lines = printed;

test('wsgiserver: hello world and a 404', async () => {
  assert.deepEqual(await lines(hello), [
    'GET / -> 200 <b>hello world</b>',
    'GET /x -> 404 <h1>Not Found</h1>',
  ]);
});

test('wsgiserver-ssl: the same over TLS with a selfsigned certificate', async () => {
  assert.deepEqual(await lines(helloSsl), [
    'GET https://127.0.0.1/ -> 200 <b>hello world</b> (certificate verified: true)',
  ]);
});

// gevent's test__example_wsgiserver.py / test__example_wsgiserver_ssl.py / test__example_webproxy.py:
// the example runs as a server process (gevent's util.TestServer); _test_hello, _test_not_found
// and _do_test_a_blocking_client use verdant's own client socket (plain, then TLS through
// createConnection's tls option) and its makefile() for the half-sent request.
type Status = [status: string, body: string];

/** GET `path` with HTTP/1.0 on a verdant socket: the status ("200 OK") and the body. */
async function read(port: number, path: string, useTls: boolean): Promise<Status> {
  const conn = await createConnection(['127.0.0.1', port], {
    timeout: 5000,
    ...(useTls ? { tls: { rejectUnauthorized: false } } : {}),
  });
  try {
    await conn.sendall(`GET ${path} HTTP/1.0\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    const f = conn.makefile();
    const all = Buffer.from(await f.read()).toString();
    f.close();
    const at = all.indexOf('\r\n\r\n');
    const status = all.slice(0, all.indexOf('\r\n')).replace(/^HTTP\/1\.\d /, '');
    return [status, all.slice(at + 4)];
  } finally {
    conn.close();
  }
}

for (const useTls of [false, true]) {
  const name = useTls ? 'test__example_wsgiserver_ssl.py' : 'test__example_wsgiserver.py';
  const script = useTls ? 'wsgiserver-ssl' : 'wsgiserver';
  test(`${name} _test_hello, _test_not_found, test_a_blocking_client: the example as a process; a client that sent half a request does not hold the others`, async () => {
    const server = await startExample(script, ['0'], /Serving on https?:\/\/127\.0\.0\.1:(\d+)\//);
    const port = server.port;
    try {
      assert.deepEqual(await read(port, '/', useTls), ['200 OK', '<b>hello world</b>']);
      assert.deepEqual(await read(port, '/xxx', useTls), ['404 Not Found', '<h1>Not Found</h1>']);
      const sock = await createConnection(['127.0.0.1', port], {
        timeout: 5000,
        ...(useTls ? { tls: { rejectUnauthorized: false } } : {}),
      });
      const sockFile = sock.makefile();
      await sockFile.write('GET /xxx HTTP/1.0\r\n');
      await sockFile.flush();
      assert.deepEqual(await read(port, '/', useTls), ['200 OK', '<b>hello world</b>']);
      await sockFile.write('\r\n');
      await sockFile.flush();
      assert.equal(Buffer.from(await sockFile.readline()).toString(), 'HTTP/1.1 404 Not Found\r\n');
      sockFile.close();
      sock.close();
    } finally {
      await server.stop();
    }
    assert.match(server.out(), /"GET \/xxx HTTP\/1\.0" 404 18 /, 'the access log');
  });
}

test('test__example_webproxy.py: the example as a process; / answers 200 with the form (titled "gevent example"), /<url> 200 with that page', async () => {
  const site = new HttpServer(['127.0.0.1', 0], () => new Response('<p>google</p>'), {
    log: null,
  });
  await site.start();
  const server = await startExample('webproxy', ['0'], /Serving on http:\/\/127\.0\.0\.1:(\d+)\//);
  try {
    const [status, data] = await read(server.port, '/', false);
    assert.equal(status, '200 OK');
    assert.match(data, /gevent example/);
    const [status2, data2] = await read(server.port, `/http://127.0.0.1:${site.serverPort}`, false);
    assert.equal(status2, '200 OK');
    assert.match(data2.toLowerCase(), /google/);
  } finally {
    await server.stop();
    await site.stop();
  }
});

test('http-streaming: the generator pieces arrive as separate chunks', async () => {
  assert.deepEqual(await lines(streaming), [
    'transfer-encoding: chunked',
    'chunk: <p>Hello',
    'chunk: World</p>',
  ]);
});

test('webpy: the sleeping page does not hold the other one', async () => {
  assert.deepEqual(await lines(webpy), ['answered in order: /, /long']);
});

test('webproxy: the page comes through the proxy with its links rewritten', async () => {
  assert.deepEqual(await lines(webproxy), [
    '<a href="http://127.0.0.1:PROXY/http://127.0.0.1:SITE/page2">next</a>',
  ]);
  assert.equal(
    rewrite('<img src="/a.png">', 'http://h', 'http://p'),
    '<img src="http://p/http://h/a.png">',
  );
});

test('websocket-echo: two messages echoed', async () => {
  assert.deepEqual(await lines(echo), ['echo: hello', 'echo: world']);
});

test('the demo server serves the index and every demo, HTTP and WebSocket', async () => {
  const { server, stop } = await startDemo(0);
  const base = `http://127.0.0.1:${server.serverPort}`;
  const index = await (await fetch(`${base}/`)).text();
  const links = [...index.matchAll(/href="([^"]+)"/g)].map((m) => m[1] as string);
  assert.ok(links.length >= 8, `index links: ${links.join(' ')}`);
  for (const link of links.filter((l) => !l.startsWith('/longpoll'))) {
    const r = await fetch(base + link);
    assert.equal(r.status, 200, link);
    await r.text();
  }
  assert.equal(await (await fetch(`${base}/hello/`)).text(), '<b>hello world</b>');
  assert.equal(
    await (await fetch(`${base}/proxy/http://127.0.0.1:${server.serverPort}/hello/`)).text(),
    '<b>hello world</b>',
  );
  assert.equal((await fetch(`${base}/proxy/http://192.0.2.1/`)).status, 403, 'loopback only');
  const closed = await listen({ host: '127.0.0.1', port: 0 });
  const closedPort = (closed.getsockname() as [string, number])[1];
  closed.close();
  const down = await fetch(`${base}/proxy/http://127.0.0.1:${closedPort}/`);
  assert.equal(down.status, 502, 'an upstream that refuses: 502 Bad Gateway, as gevent');
  assert.match(await down.text(), /ECONNREFUSED/);
  assert.equal((await fetch(`${base}/proxy/http://[`)).status, 400, 'a malformed URL');
  const site = new HttpServer(
    ['127.0.0.1', 0],
    (req) =>
      new URL(req.url).pathname === '/go'
        ? new Response(null, {
            status: 302,
            headers: { Location: `http://0.0.0.0:${new URL(req.url).port}/secret` },
          })
        : new Response('page'),
    { log: null },
  );
  await site.start();
  const redirected = await fetch(`${base}/proxy/http://127.0.0.1:${site.serverPort}/go`, {
    redirect: 'manual',
  });
  assert.equal(
    redirected.status,
    302,
    'a redirect goes back to the client, not followed off loopback',
  );
  await site.stop();
  const ws = await connect(`ws://127.0.0.1:${server.serverPort}/echo/echo`, { timeout: 5000 });
  await ws.send('ping');
  assert.equal(await ws.receive({ timeout: 5000 }), 'ping');
  ws.close();
  // Chat, long polling: bob waits, alice posts.
  await fetch(`${base}/chat/join/topic1/bob`, { method: 'POST' });
  const polled = fetch(`${base}/chat/poll/bob`, { method: 'POST' }).then((r) => r.json());
  await fetch(`${base}/chat/put/topic1/alice`, { method: 'POST', body: 'hi bob' });
  assert.equal(await polled, 'alice: hi bob');
  // Chat, WebSocket: carol gets the backlog, then a new message.
  const carol = await connect(`ws://127.0.0.1:${server.serverPort}/chat/ws/topic1/carol`, {
    timeout: 5000,
  });
  assert.deepEqual(JSON.parse(String(await carol.receive({ timeout: 5000 }))), {
    backlog: ['alice: hi bob'],
  });
  await carol.send('hello all');
  const polled2 = await (await fetch(`${base}/chat/poll/bob`, { method: 'POST' })).json();
  assert.equal(polled2, 'carol: hello all');
  assert.deepEqual(JSON.parse(String(await carol.receive({ timeout: 5000 }))), {
    message: 'carol: hello all',
  });
  carol.close();
  await stop();
});

test('npm start as a process: prints its URL, serves, SIGTERM stops it; a taken port says so', async () => {
  const script = fileURLToPath(new URL('../../examples/demo-server.js', import.meta.url));
  const run = (port: number) => {
    const child = spawnChild(process.execPath, [script], {
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => {
        clearTimeout(killer);
        resolve(code);
      }),
    );
    return { child, exited, out: () => out };
  };
  const first = run(0);
  for (let i = 0; i < 400 && !/http:\/\/localhost:(\d+)\//.test(first.out()); i++)
    await new Promise((r) => setTimeout(r, 25));
  const port = Number(/http:\/\/localhost:(\d+)\//.exec(first.out())?.[1]);
  assert.ok(port > 0, first.out());
  assert.equal(await (await fetch(`http://127.0.0.1:${port}/hello/`)).text(), '<b>hello world</b>');
  const second = run(port);
  assert.equal(await second.exited, 1);
  assert.match(
    second.out(),
    new RegExp(`port ${port} is already in use.*PORT=${port + 1} npm start`),
  );
  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0, first.out());
});

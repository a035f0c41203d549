// verdant/websocket on ws: the server handler greenlet, connect(), receive() as a cancel point
// that loses no message, send() back-pressure, close, for await, max message size, and stop().
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import { test } from 'node:test';
import {
  Event,
  Greenlet,
  GreenletExit,
  Group,
  getCurrent,
  Pool,
  sleep,
  spawn,
  Timeout,
  until,
} from '../../src/index.js';
import { clientAddress, HttpServer } from '../../src/servers/http.js';
import { StreamServer } from '../../src/servers/stream.js';
import { connect, type WebSocket } from '../../src/servers/websocket.js';

async function echoServer(
  handler: (ws: WebSocket, req: Request) => unknown,
  opts: { maxMessageSize?: number; pingInterval?: number } = {},
): Promise<HttpServer> {
  const server = new HttpServer(['127.0.0.1', 0], () => new Response('plain http'), {
    log: null,
    websocket: { handler, ...opts },
  });
  await server.start();
  return server;
}

/** A server whose handler sends 'one' then 'two' once `go` is set (then `sent` is set). */
function sendsOneTwo(go: Event, sent: Event | null = null): Promise<HttpServer> {
  return echoServer(async (ws) => {
    await go.wait();
    await ws.send('one');
    await ws.send('two');
    sent?.set();
    await sleep(1000);
  });
}

/**
 * A server that sends 'one' then 'two' once `go` is set (`sent` after), and a client connected
 * to it whose socket is paused: both frames reach the client in one read.
 */
async function pausedOneTwo(): Promise<{
  go: Event;
  sent: Event;
  server: HttpServer;
  ws: WebSocket;
}> {
  const go = new Event();
  const sent = new Event();
  const server = await sendsOneTwo(go, sent);
  const ws = await connect(`ws://127.0.0.1:${server.serverPort}/`);
  ws.raw.pause();
  return { go, sent, server, ws };
}

/**
 * With `ws` paused: let the server send its two frames (`go`, then `sent`), so both reach the
 * client in one read, then resume `ws` with a listener that kills `g` from the second
 * message's event (right after the socket woke that message's receiver).
 */
async function killAtSecondMessage(
  ws: WebSocket,
  g: Greenlet,
  go: Event,
  sent: Event,
): Promise<void> {
  go.set();
  assert.ok(await sent.wait({ timeout: 2000 }));
  await sleep(20);
  let n = 0;
  ws.raw.on('message', () => {
    if (++n === 2) void g.kill({ block: false });
  });
  ws.raw.resume();
}

test("clientAddress(request) gives a WebSocket handler its client's [host, port]", async () => {
  let got: unknown = null;
  const server = new HttpServer(['127.0.0.1', 0], () => new Response('no'), {
    log: null,
    websocket: async (ws, request) => {
      got = clientAddress(request);
      await ws.send('hi');
    },
  });
  await server.start();
  const ws = await connect(`ws://127.0.0.1:${server.serverPort}/`);
  assert.equal(await ws.receive({ timeout: 2000 }), 'hi');
  const sock = (ws.raw as unknown as { _socket: import('node:net').Socket })._socket;
  assert.deepEqual(got, ['127.0.0.1', sock.localPort]);
  ws.close();
  await server.stop();
});

test('an upgraded connection runs handler(ws, request) in its own greenlet; plain HTTP still works', async () => {
  let inGreenlet = false;
  let path = '';
  const server = await echoServer(async (ws, req) => {
    inGreenlet = getCurrent() instanceof Greenlet;
    path = new URL(req.url).pathname;
    for await (const m of ws) await ws.send(m);
  });
  const url = `ws://127.0.0.1:${server.serverPort}/echo`;
  const ws = await connect(url, { timeout: 2000 });
  await ws.send('hello');
  assert.equal(await ws.receive({ timeout: 2000 }), 'hello');
  await ws.send(new Uint8Array([1, 2, 3]));
  assert.deepEqual(await ws.receive({ timeout: 2000 }), new Uint8Array([1, 2, 3]));
  ws.close();
  assert.equal(await ws.receive({ timeout: 2000 }), null, 'null once closed');
  assert.equal(ws.closed, true);
  assert.ok(inGreenlet);
  assert.equal(path, '/echo');
  assert.equal(await (await fetch(`http://127.0.0.1:${server.serverPort}/`)).text(), 'plain http');
  await server.stop();
});

test('the server closes the socket when the handler returns', async () => {
  const server = await echoServer(async (ws) => {
    await ws.send('bye');
  });
  const ws = await connect(`ws://127.0.0.1:${server.serverPort}/`);
  assert.equal(await ws.receive({ timeout: 2000 }), 'bye');
  assert.equal(await ws.receive({ timeout: 2000 }), null);
  assert.equal(ws.closeCode, 1000);
  await server.stop();
});

test('receive() is a cancel point: kill lands there and finally runs; Timeout too', async () => {
  const server = await echoServer(async (ws) => {
    await sleep(500);
    ws.close();
  });
  const ws = await connect(`ws://127.0.0.1:${server.serverPort}/`);
  let fin = false;
  const g = spawn(async () => {
    try {
      await ws.receive();
    } finally {
      fin = true;
    }
  });
  await sleep(20);
  await g.kill();
  assert.ok(fin);
  assert.ok((g.value as unknown) instanceof GreenletExit);
  await assert.rejects(ws.receive({ timeout: 20 }), Timeout);
  ws.close();
  await server.stop();
});

test('a killed receive() loses no message: a woken receiver killed before it resumes hands it back', async () => {
  const go = new Event();
  const server = await sendsOneTwo(go);
  const ws = await connect(`ws://127.0.0.1:${server.serverPort}/`);
  const got: unknown[] = [];
  const a = spawn(async () => got.push(await ws.receive()));
  await sleep(10);
  go.set();
  // Kill `a` as soon as a message arrives, before it resumes.
  for (let i = 0; i < 200 && a.dead === false; i++) {
    await sleep(1);
    if (ws.buffered > 0 || got.length > 0) break;
  }
  void a.kill({ block: false });
  await a.join();
  const rest: unknown[] = [];
  while (rest.length + got.length < 2) rest.push(await ws.receive({ timeout: 2000 }));
  assert.deepEqual([...got, ...rest], ['one', 'two'], 'both messages, in order, none lost');
  ws.close();
  await server.stop({ timeout: 100 });
});

test('for await is a cancel point that loses no message: a woken next() killed before it resumes hands it back', async () => {
  const { go, sent, server, ws } = await pausedOneTwo();
  try {
    const got1: unknown[] = [];
    const got2: unknown[] = [];
    let fin2 = false;
    const g1 = spawn(async () => {
      for await (const m of ws) got1.push(m);
    });
    const g2 = spawn(async () => {
      try {
        for await (const m of ws) got2.push(m);
      } finally {
        fin2 = true;
      }
    });
    // 'one' resumes g1 at once (the hub was free); 'two' wakes g2's next() through the hub's
    // queue (g1 holds the turn): the kill comes then, before the hub resumes g2.
    await killAtSecondMessage(ws, g2, go, sent);
    assert.ok(await g2.join({ timeout: 2000 }));
    assert.ok(fin2, 'finally ran');
    assert.ok((g2.value as unknown) instanceof GreenletExit, 'killed before it resumed');
    assert.deepEqual(got2, []);
    for (let i = 0; i < 200 && got1.length < 2; i++) await sleep(1);
    assert.deepEqual(got1, ['one', 'two'], 'the message g2 held went to g1, in order');
    void g1.kill({ block: false });
  } finally {
    ws.close();
    await server.stop({ timeout: 100 });
  }
});

test('a kill requested from the message event that woke a lone next() loses nothing: resumed at once, or handed back', async () => {
  const go = new Event();
  const server = await sendsOneTwo(go);
  const ws = await connect(`ws://127.0.0.1:${server.serverPort}/`);
  const got: unknown[] = [];
  const g = spawn(async () => {
    for await (const m of ws) got.push(m);
  });
  await sleep(10);
  ws.raw.once('message', () => void g.kill({ block: false }));
  go.set();
  await g.join();
  assert.ok((g.value as unknown) instanceof GreenletExit);
  const rest: unknown[] = [];
  while (got.length + rest.length < 2) rest.push(await ws.receive({ timeout: 2000 }));
  assert.deepEqual([...got, ...rest], ['one', 'two'], 'both messages, in order, none lost');
  ws.close();
  await server.stop({ timeout: 100 });
});

test('receives interrupted together hand their messages back in arrival order (two receives under Promise.all, killed once both are woken)', async () => {
  const { go, sent, server, ws } = await pausedOneTwo();
  try {
    const g = spawn(() => Promise.all([ws.receive(), ws.receive()]));
    // The kill comes right after the socket woke the second receive, before the hub resumes either.
    await killAtSecondMessage(ws, g, go, sent);
    assert.ok(await g.join({ timeout: 2000 }));
    assert.ok((g.value as unknown) instanceof GreenletExit, 'killed before it resumed');
    assert.equal(ws.buffered, 2);
    const rest = [await ws.receive({ timeout: 2000 }), await ws.receive({ timeout: 2000 })];
    assert.deepEqual(rest, ['one', 'two'], 'both messages, in the order they arrived');
  } finally {
    ws.close();
    await server.stop({ timeout: 100 });
  }
});

test('a send() waiting for its flush is a cancel point: Timeout and kill land there, the frame still goes out', async () => {
  const filled = new Event();
  const closed = new Event();
  let attempts = 0;
  let timedOut = false;
  let fin = false;
  let killed = false;
  const server = await echoServer(async (ws) => {
    const big = new Uint8Array(256 * 1024);
    while (attempts < 2000) {
      attempts++;
      try {
        await ws.send(big, { timeout: 50 });
      } catch (err) {
        timedOut = err instanceof Timeout;
        break;
      }
    }
    const g = spawn(async () => {
      attempts++;
      try {
        await ws.send(big);
      } finally {
        fin = true;
      }
    });
    await sleep(20);
    await g.kill();
    killed = (g.value as unknown) instanceof GreenletExit;
    filled.set();
    await closed.wait();
  });
  const ws = await connect(`ws://127.0.0.1:${server.serverPort}/`);
  ws.raw.pause();
  assert.ok(await filled.wait({ timeout: 5000 }), "the peer's buffers filled");
  assert.ok(timedOut, 'the timeout landed in a send waiting for its flush');
  assert.ok(fin && killed, 'the kill landed in a send waiting for its flush');
  ws.raw.resume();
  let n = 0;
  while (n < attempts && (await ws.receive({ timeout: 2000 })) !== null) n++;
  assert.equal(n, attempts, 'every frame went out, the interrupted ones too');
  closed.set();
  ws.close();
  await server.stop({ timeout: 100 });
});

test('keep-alive: a peer that answers pings stays, one that does not is dropped after an interval', async () => {
  const server = await echoServer(
    async (ws) => {
      for await (const m of ws) await ws.send(m);
    },
    { pingInterval: 40 },
  );
  const url = `ws://127.0.0.1:${server.serverPort}/`;
  const answers = await connect(url);
  const silent = await connect(url, { ws: { autoPong: false } });
  let pings = 0;
  answers.raw.on('ping', () => pings++);
  assert.equal(await silent.receive({ timeout: 2000 }), null, 'the silent peer was dropped');
  assert.equal(silent.closeCode, 1006);
  await sleep(120);
  assert.ok(pings >= 2, `the answering peer was pinged ${pings} times`);
  await answers.send('still here');
  assert.equal(await answers.receive({ timeout: 2000 }), 'still here');
  answers.close();
  await server.stop({ timeout: 100 });
});

test('send() takes any ArrayBufferView (a Uint16Array, a DataView) and sends its bytes, as ws does', async () => {
  const server = await echoServer(async (ws) => {
    for await (const m of ws) await ws.send(m);
  });
  const ws = await connect(`ws://127.0.0.1:${server.serverPort}/`);
  const u16 = new Uint16Array([0x0102, 0x0304]);
  await ws.send(u16);
  assert.deepEqual(
    await ws.receive({ timeout: 2000 }),
    new Uint8Array(u16.buffer, u16.byteOffset, u16.byteLength),
  );
  await ws.send(new DataView(new Uint8Array([9, 8, 7]).buffer, 1, 2));
  assert.deepEqual(await ws.receive({ timeout: 2000 }), new Uint8Array([8, 7]));
  await assert.rejects(
    ws.send({} as never),
    /data must be a string, an ArrayBuffer or an ArrayBufferView/,
  );
  ws.close();
  await server.stop({ timeout: 100 });
});

test('messages are buffered in order while nobody receives', async () => {
  const server = await echoServer(async (ws) => {
    for (let i = 0; i < 50; i++) await ws.send(`m${i}`);
    await sleep(1000);
  });
  const ws = await connect(`ws://127.0.0.1:${server.serverPort}/`);
  await sleep(100);
  const got: unknown[] = [];
  for (let i = 0; i < 50; i++) got.push(await ws.receive({ timeout: 2000 }));
  assert.deepEqual(
    got,
    Array.from({ length: 50 }, (_, i) => `m${i}`),
  );
  ws.close();
  await server.stop({ timeout: 50 });
});

test('send() resolves once flushed: a sender cannot run far ahead of a peer that does not read', async () => {
  let sent = 0;
  const server = await echoServer(async (ws) => {
    const big = new Uint8Array(256 * 1024);
    for (;;) {
      await ws.send(big);
      sent++;
    }
  });
  const ws = await connect(`ws://127.0.0.1:${server.serverPort}/`);
  ws.raw.pause();
  await sleep(300);
  assert.ok(sent > 0 && sent < 200, `sent ${sent} messages of 256 KiB to a paused peer`);
  ws.terminate();
  await server.stop({ timeout: 100 });
});

test('a message larger than maxMessageSize closes the connection with 1009', async () => {
  const server = await echoServer(
    async (ws) => {
      for await (const m of ws) await ws.send(m);
    },
    { maxMessageSize: 1000 },
  );
  const ws = await connect(`ws://127.0.0.1:${server.serverPort}/`);
  await ws.send('x'.repeat(2000));
  assert.equal(await ws.receive({ timeout: 2000 }), null);
  assert.equal(ws.closeCode, 1009);
  await server.stop();
});

test('stop() waits for websocket handlers, then kills them at the timeout', async () => {
  let killed = false;
  const server = await echoServer(async (ws) => {
    try {
      await ws.receive();
    } catch (err) {
      killed = err instanceof GreenletExit;
      throw err;
    }
  });
  const ws = await connect(`ws://127.0.0.1:${server.serverPort}/`);
  await sleep(20);
  await server.stop({ timeout: 50 });
  assert.ok(killed);
  assert.equal(await ws.receive({ timeout: 2000 }), null);
});

test("a killed handler (at stop's timeout, or by a kill) sends a close frame, 1001 Going Away, before the connection drops: the client sees 1001, not 1006 (gevent-websocket closes the socket from its handler's finally, with a close frame; found by the breaker)", async () => {
  const handlers: Greenlet[] = [];
  const server = await echoServer(async (ws) => {
    handlers.push(getCurrent() as Greenlet);
    await ws.receive();
  });
  const port = server.serverPort as number;
  const a = await connect(`ws://127.0.0.1:${port}/a`);
  const b = await connect(`ws://127.0.0.1:${port}/b`);
  const deadline = Date.now() + 2000;
  while (handlers.length < 2 && Date.now() < deadline) await sleep(5);
  assert.equal(handlers.length, 2);
  // A kill of one handler: its client gets the close frame, the other stays open.
  await (handlers[0] as Greenlet).kill();
  assert.equal(await a.receive({ timeout: 2000 }), null);
  assert.equal(a.closeCode, 1001);
  assert.equal(b.closed, false);
  // stop() kills the other at its timeout: the same close frame, and stop() is not held by it.
  const t0 = Date.now();
  await server.stop({ timeout: 50 });
  assert.ok(Date.now() - t0 < 1000, `stop() took ${Date.now() - t0} ms`);
  assert.equal(await b.receive({ timeout: 2000 }), null);
  assert.equal(b.closeCode, 1001);
});

test('a handler killed while its send of a big message is still being flushed: the message goes out whole, then the close frame 1001 (found by review: the connection was dropped with the frames Node still held, no close frame)', async () => {
  const N = 16 << 20;
  const handlers: Greenlet[] = [];
  const server = await echoServer(async (ws) => {
    handlers.push(getCurrent() as Greenlet);
    await ws.send(new Uint8Array(N)); // the client does not read yet: this waits
  });
  const port = server.serverPort as number;
  // A client that does not read until the handler is killed: the frame waits in Node's buffer.
  const c = netConnect(port, '127.0.0.1');
  try {
    c.pause();
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => chunks.push(d));
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    c.on('error', () => {});
    c.write(
      'GET /big HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const deadline = Date.now() + 3000;
    while (handlers.length < 1 && Date.now() < deadline) await sleep(5);
    await sleep(50); // the send waits for the flush
    const g = handlers[0] as Greenlet;
    assert.equal(g.dead, false, 'the send waits');
    await g.kill();
    c.resume();
    await until(closed);
    const data = Buffer.concat(chunks);
    const at = data.indexOf('\r\n\r\n') + 4;
    assert.match(data.subarray(0, at).toString('latin1'), /^HTTP\/1\.1 101 /);
    const frames = data.subarray(at);
    // 0x82 (binary, FIN), 127 (a 64-bit length), the length, the payload; then the close frame.
    assert.equal(frames[0], 0x82);
    assert.equal(frames[1], 127);
    assert.equal(Number(frames.readBigUInt64BE(2)), N);
    assert.deepEqual(
      [...frames.subarray(10 + N)],
      [0x88, 0x02, 0x03, 0xe9],
      'after the whole message: a close frame, code 1001',
    );
  } finally {
    c.destroy();
    await server.stop();
  }
});

test('connect() rejects for a refused connection and for bad options', async () => {
  const server = await echoServer(() => {});
  const port = server.serverPort as number;
  await server.stop();
  await assert.rejects(connect(`ws://127.0.0.1:${port}/`, { timeout: 2000 }), /ECONNREFUSED/);
  await assert.rejects(connect('ws://127.0.0.1:1/', 'x' as never), {
    name: 'TypeError',
    message: 'connect: options must be an object, a timeout in ms or null, got "x"',
  });
  await assert.rejects(connect('ws://127.0.0.1:1/', -1), RangeError);
  await assert.rejects(connect(undefined as never), {
    name: 'TypeError',
    message: 'connect: url must be a string or a URL, got undefined',
  });
  // An unknown option is a mistake (a typo such as {timout: 5} was ignored), named with the
  // options, before connecting.
  await assert.rejects(connect('ws://127.0.0.1:1/', { timout: 5 } as never), {
    name: 'TypeError',
    message:
      'connect: unknown option "timout"; the options are timeout, signal, protocols, headers, maxMessageSize, pingInterval, ws',
  });
  assert.throws(
    () =>
      new HttpServer(['127.0.0.1', 0], () => new Response(''), {
        log: null,
        websocket: { handler: () => {}, pingIntervl: 5 } as never,
      }),
    {
      name: 'TypeError',
      message:
        'HttpServer: websocket: unknown option "pingIntervl"; the options are handler, maxMessageSize, pingInterval',
    },
  );
  await assert.rejects(connect(42 as never), TypeError);
  assert.throws(
    () => new HttpServer(['127.0.0.1', 0], () => new Response(''), { websocket: 5 as never }),
    /websocket must be/,
  );
});

test("connect() to a URL that answers plain HTTP rejects naming the URL and the status, ws's error as cause", async () => {
  const plain = new HttpServer(['127.0.0.1', 0], () => new Response('no websockets here'), {
    log: null,
  });
  await plain.start();
  try {
    const url = `ws://127.0.0.1:${plain.serverPort}/chat`;
    const err = await connect(url, 2000).then(
      () => assert.fail('connected'),
      (e: unknown) => e as Error,
    );
    assert.equal(
      err.message,
      `WebSocket connection to ${url} failed: the server answered 200, not 101 Switching Protocols (no WebSocket handler there?)`,
    );
    assert.match((err.cause as Error).message, /^Unexpected server response: 200$/);
  } finally {
    await plain.stop();
  }
});

test('bad options and close codes throw TypeError/RangeError saying what was wrong; pingInterval Infinity means no pings', async () => {
  const handler = (): void => {};
  const make = (o: object): HttpServer =>
    new HttpServer(['127.0.0.1', 0], () => new Response(''), {
      log: null,
      websocket: { handler, ...o },
    });
  assert.throws(() => make({ pingInterval: -1 }), /websocket: pingInterval must be an integer/);
  assert.throws(() => make({ pingInterval: '5' }), TypeError);
  assert.throws(() => make({ pingInterval: 2 ** 31 }), RangeError);
  assert.throws(() => make({ maxMessageSize: 0 }), /maxMessageSize must be a positive integer/);
  assert.throws(() => make({ maxMessageSize: 'big' }), TypeError);
  // Infinity is "none" (a Node timer of Infinity fires after 1 ms: every peer was dropped).
  const server = await echoServer(
    async (ws) => {
      for await (const m of ws) await ws.send(m);
    },
    { pingInterval: Number.POSITIVE_INFINITY, maxMessageSize: Number.POSITIVE_INFINITY },
  );
  const url = `ws://127.0.0.1:${server.serverPort}/`;
  try {
    for (const [o, re] of [
      [{ pingInterval: -1 }, /connect: pingInterval must be/],
      [{ pingInterval: Number.NaN }, RangeError],
      [{ maxMessageSize: -1 }, /connect: maxMessageSize must be/],
      [{ headers: 3 }, /connect: headers must be an object, got number/],
      [{ protocols: 5 }, /connect: protocols must be a string or an array of strings/],
    ] as const) {
      await assert.rejects(connect(url, o as never), re as RegExp);
    }
    const ws = await connect(url, { timeout: 2000 });
    // A client that does not read for a while is not dropped.
    ws.raw.pause();
    await sleep(50);
    ws.raw.resume();
    await ws.send('still here');
    assert.equal(await ws.receive({ timeout: 2000 }), 'still here');
    assert.throws(() => ws.close(5000), /WebSocket.close: code must be/);
    assert.throws(() => ws.close('1000' as never), TypeError);
    assert.throws(() => ws.close(1000, 'x'.repeat(124)), /reason must be at most 123 bytes/);
    assert.throws(() => ws.close(1000, 42 as never), TypeError);
    assert.equal(ws.closed, false, 'a refused close() closes nothing');
    ws.close(4000, 'done');
    assert.equal(await ws.receive({ timeout: 2000 }), null);
  } finally {
    await server.stop({ timeout: 100 });
  }
});

test('an open websocket takes no slot of a bounded Pool (requests still run); a Group tracks it as a member', async () => {
  const pool = new Pool(1);
  const server = new HttpServer(['127.0.0.1', 0], () => new Response('http ok'), {
    log: null,
    spawn: pool,
    websocket: async (ws) => {
      for await (const m of ws) await ws.send(m);
    },
  });
  await server.start();
  const ws = await connect(`ws://127.0.0.1:${server.serverPort}/`, { timeout: 2000 });
  try {
    await ws.send('hi');
    assert.equal(await ws.receive({ timeout: 2000 }), 'hi');
    assert.equal(pool.size, 0, 'the websocket holds no slot');
    const res = await fetch(`http://127.0.0.1:${server.serverPort}/`, {
      signal: AbortSignal.timeout(3000),
    });
    assert.equal(await res.text(), 'http ok');
  } finally {
    ws.close();
    await server.stop({ timeout: 200 });
  }
  const group = new Group();
  const entered = new Event();
  const server2 = new HttpServer(['127.0.0.1', 0], () => new Response(''), {
    log: null,
    spawn: group,
    websocket: async () => {
      entered.set();
      await sleep(60000);
    },
  });
  await server2.start();
  const ws2 = await connect(`ws://127.0.0.1:${server2.serverPort}/`, { timeout: 2000 });
  try {
    assert.ok(await entered.wait({ timeout: 2000 }));
    assert.equal(group.size, 1);
  } finally {
    ws2.close();
    await server2.stop({ timeout: 100 });
  }
});

test('an iterator ended by return() (a break out of for await) takes no more messages: receive() gets them', async () => {
  const server = await echoServer(async (ws) => {
    for await (const m of ws) await ws.send(m);
  });
  const ws = await connect(`ws://127.0.0.1:${server.serverPort}/`, { timeout: 2000 });
  const it = ws[Symbol.asyncIterator]();
  assert.deepEqual(await it.return?.(), { value: undefined, done: true });
  // As an async generator's: a next() after return() is done at once and waits for nothing.
  assert.deepEqual(await it.next(), { value: undefined, done: true });
  await ws.send('m');
  assert.equal(await ws.receive({ timeout: 2000 }), 'm');
  ws.close();
  await server.stop();
});

/**
 * Send 256 KiB frames from `ws` to a peer that does not read, each with a 50 ms timeout, until
 * one times out waiting for its flush; returns how many frames were handed over.
 */
async function fillUntilTimeout(ws: WebSocket): Promise<number> {
  const big = new Uint8Array(randomBytes(256 * 1024)); // random: deflate cannot shrink it
  for (let attempts = 1; attempts <= 2000; attempts++) {
    try {
      // 300 ms, not less: with permessage-deflate, zlib's thread pool compresses each frame, and
      // on a loaded host the first frames took over 50 ms while the peer still took everything.
      await ws.send(big, { timeout: 300 });
    } catch (err) {
      assert.ok(err instanceof Timeout, `the send failed with ${String(err)}`);
      return attempts;
    }
  }
  assert.fail('2000 frames of 256 KiB went out to a peer that does not read');
}

test('client send() back-pressure: a send to a peer that does not read waits for its flush, and every frame still goes out', async () => {
  const reading = new Event();
  let received = 0;
  const server = await echoServer(async (ws) => {
    ws.raw.pause();
    await reading.wait();
    ws.raw.resume();
    while ((await ws.receive({ timeout: 2000 })) !== null) received++;
  });
  const ws = await connect(`ws://127.0.0.1:${server.serverPort}/`, { timeout: 2000 });
  assert.equal(ws.raw.extensions, '', 'no extension: frames go straight to the socket');
  const attempts = await fillUntilTimeout(ws);
  assert.ok(attempts > 1, `${attempts} frames: the first ones were flushed at once`);
  reading.set();
  await ws.send('last', { timeout: 5000 });
  ws.close();
  const deadline = Date.now() + 5000;
  while (received < attempts + 1 && Date.now() < deadline) await sleep(10);
  assert.equal(received, attempts + 1, 'every frame went out, the timed-out one too');
  await server.stop({ timeout: 100 });
});

test('with permessage-deflate negotiated, send() still waits for its flush and keeps the order', async () => {
  const { WebSocketServer } = await import('ws');
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: true });
  await new Promise((resolve) => wss.once('listening', resolve));
  const got: string[] = [];
  let resume = (): void => {};
  wss.on('connection', (peer) => {
    peer.pause(); // reads nothing until resumed
    resume = () => peer.resume();
    peer.on('message', (m, binary) => {
      if (!binary) got.push(m.toString());
    });
  });
  try {
    const port = (wss.address() as { port: number }).port;
    const ws = await connect(`ws://127.0.0.1:${port}/`, { timeout: 2000 });
    assert.match(ws.raw.extensions, /permessage-deflate/);
    for (let i = 0; i < 20; i++) await ws.send(`m${i}`, { timeout: 2000 });
    const attempts = await fillUntilTimeout(ws);
    assert.ok(attempts > 1, `${attempts} frames: the first ones were flushed at once`);
    resume();
    for (let i = 20; i < 40; i++) await ws.send(`m${i}`, { timeout: 5000 });
    const deadline = Date.now() + 5000;
    while (got.length < 40 && Date.now() < deadline) await sleep(10);
    assert.deepEqual(
      got,
      Array.from({ length: 40 }, (_, i) => `m${i}`),
    );
  } finally {
    for (const c of wss.clients) c.terminate();
    await new Promise((resolve) => wss.close(resolve));
  }
});

test('receive back-pressure: a handler that does not receive stops the sender; once it receives, every message arrives once, in order', async () => {
  const N = 80;
  const SIZE = 256 * 1024;
  const go = new Event();
  let srv: WebSocket | null = null;
  let maxBuffered = 0;
  const got: number[] = [];
  const server = await echoServer(
    async (ws) => {
      srv = ws;
      await go.wait();
      for (let i = 0; i < N; i++) {
        maxBuffered = Math.max(maxBuffered, ws.buffered);
        const m = await ws.receive({ timeout: 5000 });
        assert.ok(m instanceof Uint8Array && m.byteLength === SIZE);
        got.push(new DataView(m.buffer, m.byteOffset, 4).getUint32(0));
      }
      await ws.send('done');
    },
    { pingInterval: 50 }, // keep-alive ticks while the socket is paused drop no live peer
  );
  const ws = await connect(`ws://127.0.0.1:${server.serverPort}/`, { timeout: 2000 });
  try {
    let sent = 0;
    const sender = spawn(async () => {
      for (let i = 0; i < N; i++) {
        const m = new Uint8Array(SIZE);
        new DataView(m.buffer).setUint32(0, i);
        await ws.send(m);
        sent++;
      }
    });
    await sleep(400);
    assert.ok(sent < N, `the sender was not stopped: ${sent} of ${N} messages of 256 KiB sent`);
    assert.ok(srv !== null);
    const held = (srv as WebSocket).buffered;
    assert.ok(held * SIZE <= 2 * 256 * 1024, `the server holds ${held} unread messages of 256 KiB`);
    go.set();
    assert.equal(await ws.receive({ timeout: 10000 }), 'done');
    await sender.join({ timeout: 2000 });
    assert.equal(sent, N);
    assert.deepEqual(
      got,
      Array.from({ length: N }, (_, i) => i),
    );
    assert.ok(maxBuffered * SIZE <= 2 * 256 * 1024, `at most ${maxBuffered} unread messages`);
  } finally {
    ws.terminate();
    await server.stop({ timeout: 100 });
  }
});

test('an absolute-form request target gives the handler that URL, as the Fetch handler gets it', async () => {
  let seen: string | null = null;
  const server = await echoServer((_ws, req) => {
    seen = req.url;
  });
  const key = randomBytes(16).toString('base64');
  try {
    const reply = await new Promise<string>((resolve) => {
      const s = netConnect(Number(server.serverPort), '127.0.0.1', () => {
        s.write(
          `GET http://example.invalid/ws?q=1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
      let text = '';
      s.on('data', (d) => {
        text += d.toString('latin1');
      });
      s.on('error', () => {});
      s.on('close', () => resolve(text));
      setTimeout(() => s.destroy(), 500);
    });
    assert.match(reply, /^HTTP\/1\.1 101 /);
    assert.equal(seen, 'http://example.invalid/ws?q=1');
  } finally {
    await server.stop({ timeout: 100 });
  }
});

test('connect() takes a bare timeout in ms as its last argument, and null for none, as every blocking call does', async () => {
  // A server that accepts and never answers the upgrade: connect() waits until its timeout.
  const silent = new StreamServer(['127.0.0.1', 0], async (sock) => {
    while ((await sock.recv(4096)).length > 0);
  });
  await silent.start();
  const server = await echoServer(async (ws) => {
    for await (const m of ws) await ws.send(m);
  });
  try {
    const t0 = Date.now();
    await assert.rejects(connect(`ws://127.0.0.1:${silent.serverPort}/`, 300), Timeout);
    assert.ok(Date.now() - t0 >= 250, 'it waited for the timeout');
    const url = `ws://127.0.0.1:${server.serverPort}/`;
    for (const ws of [await connect(url, 2000), await connect(url, null)]) {
      await ws.send('hi');
      assert.equal(await ws.receive(2000), 'hi');
      ws.close();
    }
  } finally {
    await server.stop({ timeout: 100 });
    await silent.stop({ timeout: 100 });
  }
});

test('the side that closes for an oversized message or invalid UTF-8 reports the code it sent (1009, 1007), as its peer does', async () => {
  const seen: (number | null)[] = [];
  const server = await echoServer(
    async (ws) => {
      if ((await ws.receive(2000)) === 'big please') await ws.send('y'.repeat(2000));
      assert.equal(await ws.receive(2000), null);
      seen.push(ws.closeCode);
    },
    { maxMessageSize: 1000 },
  );
  const url = `ws://127.0.0.1:${server.serverPort}/`;
  try {
    // The server enforces its maxMessageSize: 1009 on both ends.
    let ws = await connect(url, 2000);
    await ws.send('x'.repeat(1001));
    assert.equal(await ws.receive(2000), null);
    assert.equal(ws.closeCode, 1009);
    // A text frame of invalid UTF-8: 1007 on both ends.
    ws = await connect(url, 2000);
    ws.raw.send(Buffer.from([0x61, 0xff, 0x62]), { binary: false });
    assert.equal(await ws.receive(2000), null);
    assert.equal(ws.closeCode, 1007);
    // The client enforces its own maxMessageSize: 1009 on both ends.
    ws = await connect(url, { timeout: 2000, maxMessageSize: 1000 });
    await ws.send('big please');
    assert.equal(await ws.receive(2000), null);
    assert.equal(ws.closeCode, 1009);
    const deadline = Date.now() + 2000;
    while (seen.length < 3 && Date.now() < deadline) await sleep(10);
    assert.deepEqual(seen, [1009, 1007, 1009]);
  } finally {
    await server.stop({ timeout: 100 });
  }
});

test('an upgraded request writes one access-log line, status 101, when its handler returns (as pywsgi does)', async () => {
  const lines: string[] = [];
  const go = new Event();
  const server = new HttpServer(['127.0.0.1', 0], () => new Response('plain'), {
    log: { write: (l: string) => lines.push(l) },
    websocket: async (ws) => {
      await ws.send('hello');
      await go.wait();
    },
  });
  await server.start();
  try {
    const ws = await connect(`ws://127.0.0.1:${server.serverPort}/chat?room=1`, 2000);
    assert.equal(await ws.receive(2000), 'hello');
    await sleep(50);
    assert.deepEqual(lines, [], 'nothing is written while the handler runs');
    go.set();
    assert.equal(await ws.receive(2000), null);
    const deadline = Date.now() + 2000;
    while (lines.length < 1 && Date.now() < deadline) await sleep(10);
    assert.equal(lines.length, 1);
    assert.match(
      lines[0] as string,
      /^127\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/chat\?room=1 HTTP\/1\.1" 101 - \d+\.\d{6}\n$/,
    );
    const seconds = Number((lines[0] as string).trim().split(' ').pop());
    assert.ok(seconds >= 0.04, `the line times the whole handler: ${seconds} s`);
  } finally {
    await server.stop({ timeout: 100 });
  }
});

/** Send `head` on a raw loopback connection; what the server sent until it closed (or 1 s). */
function rawExchange(port: number, head: string): Promise<string> {
  return new Promise<string>((resolve) => {
    const s = netConnect(port, '127.0.0.1', () => s.write(head));
    let text = '';
    s.on('data', (d) => {
      text += d.toString('latin1');
    });
    s.on('error', () => {});
    s.on('close', () => resolve(text));
    setTimeout(() => s.destroy(), 1000);
  });
}

test('a refused WebSocket handshake writes one access-log line, with the status and body bytes sent (405 for POST, 400 for a bad key, version, subprotocol list or Host), as any answered request does (found by the breaker: no line)', async () => {
  const lines: string[] = [];
  const server = new HttpServer(['127.0.0.1', 0], () => new Response('plain'), {
    log: { write: (l: string) => lines.push(l) },
    websocket: (): void => {},
  });
  await server.start();
  const key = randomBytes(16).toString('base64');
  const up = (first: string, extra: string): string =>
    `${first}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${extra}\r\n`;
  const ok = `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n`;
  const cases: Array<[string, RegExp, string]> = [
    [up('POST /a HTTP/1.1\r\nHost: x', ok), /^HTTP\/1\.1 405 /, '"POST /a HTTP/1.1" 405 19 '],
    [
      up('GET /b HTTP/1.1\r\nHost: x', 'Sec-WebSocket-Key: nope\r\nSec-WebSocket-Version: 13\r\n'),
      /^HTTP\/1\.1 400 /,
      '"GET /b HTTP/1.1" 400 43 ',
    ],
    [
      up('GET /c HTTP/1.1\r\nHost: x', `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 7\r\n`),
      /^HTTP\/1\.1 400 /,
      '"GET /c HTTP/1.1" 400 47 ',
    ],
    [
      up('GET /d HTTP/1.1\r\nHost: x', `${ok}Sec-WebSocket-Protocol: a,,b\r\n`),
      /^HTTP\/1\.1 400 /,
      '"GET /d HTTP/1.1" 400 37 ',
    ],
    // A Host the Fetch API refuses in a URL: the server's own 400, no body.
    [up('GET /e HTTP/1.1\r\nHost: a b', ok), /^HTTP\/1\.1 400 /, '"GET /e HTTP/1.1" 400 - '],
    // A Host that is not host[:port] (it would move the path): 400 too, as for plain requests.
    [up('GET /f HTTP/1.1\r\nHost: x/admin?', ok), /^HTTP\/1\.1 400 /, '"GET /f HTTP/1.1" 400 - '],
  ];
  try {
    for (const [head, status, field] of cases) {
      const reply = await rawExchange(Number(server.serverPort), head);
      assert.match(reply, status);
      // The body bytes logged are the body sent.
      const body = reply.slice(reply.indexOf('\r\n\r\n') + 4);
      const logged = field.split(' ')[4] as string;
      assert.equal(logged === '-' ? 0 : Number(logged), Buffer.byteLength(body, 'latin1'));
      const deadline = Date.now() + 2000;
      while (lines.length < 1 && Date.now() < deadline) await sleep(10);
      assert.equal(lines.length, 1, field);
      assert.ok((lines[0] as string).includes(field), `${lines[0]} has ${field}`);
      assert.match(
        lines.shift() as string,
        /^127\.0\.0\.1 - - \[.*\] ".*" \d{3} (\d+|-) \d+\.\d{6}\n$/,
      );
    }
    // A handshake taken still writes its one line, at the handler's end.
    const ws = await connect(`ws://127.0.0.1:${server.serverPort}/ok`, 2000);
    assert.equal(await ws.receive(2000), null);
    const deadline = Date.now() + 2000;
    while (lines.length < 1 && Date.now() < deadline) await sleep(10);
    assert.equal(lines.length, 1);
    assert.match(lines[0] as string, /"GET \/ok HTTP\/1\.1" 101 - /);
  } finally {
    await server.stop({ timeout: 100 });
  }
});

test('an upgrade request on a connection accepted before stop() gets 426 and its access-log line', async () => {
  const lines: string[] = [];
  const server = new HttpServer(['127.0.0.1', 0], () => new Response('plain'), {
    log: { write: (l: string) => lines.push(l) },
    websocket: (): void => {},
  });
  await server.start();
  const key = randomBytes(16).toString('base64');
  const s = netConnect(Number(server.serverPort), '127.0.0.1');
  let text = '';
  s.on('data', (d) => {
    text += d.toString('latin1');
  });
  s.on('error', () => {});
  const closed = new Promise<void>((resolve) => s.on('close', () => resolve()));
  try {
    await new Promise<void>((resolve) => s.once('connect', () => resolve()));
    await sleep(20); // the server has accepted it
    const stopped = spawn(() => server.stop({ timeout: 1000 }));
    await sleep(20);
    s.write(
      `GET /late HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
    assert.match(text, /^HTTP\/1\.1 426 Upgrade Required\r\n/);
    await stopped.join({ timeout: 2000 });
    assert.equal(lines.length, 1);
    assert.match(lines[0] as string, /"GET \/late HTTP\/1\.1" 426 - \d+\.\d{6}\n$/);
  } finally {
    s.destroy();
    await server.stop({ timeout: 100 });
  }
});

test('a request with Upgrade: h2c reaches the app as a normal request, with or without a websocket option (as pywsgi and node:http serve it)', async () => {
  const head =
    'GET /h2 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n';
  for (const websocket of [undefined, (): void => {}]) {
    const server = new HttpServer(
      ['127.0.0.1', 0],
      (req) => new Response(`app saw ${new URL(req.url).pathname} ${req.headers.get('upgrade')}`),
      { log: null, websocket },
    );
    await server.start();
    try {
      const reply = await new Promise<string>((resolve) => {
        const s = netConnect(Number(server.serverPort), '127.0.0.1', () => s.write(head));
        let text = '';
        s.on('data', (d) => {
          text += d.toString('latin1');
          if (text.includes('app saw')) s.destroy();
        });
        s.on('error', () => {});
        s.on('close', () => resolve(text));
        setTimeout(() => s.destroy(), 1000);
      });
      assert.match(reply, /^HTTP\/1\.1 200 /, `websocket option: ${websocket !== undefined}`);
      assert.match(reply, /app saw \/h2 h2c$/);
      if (websocket !== undefined) {
        // A WebSocket upgrade still goes to the handler.
        const ws = await connect(`ws://127.0.0.1:${server.serverPort}/`, 2000);
        assert.equal(await ws.receive(2000), null);
        assert.equal(ws.closeCode, 1000);
      }
    } finally {
      await server.stop({ timeout: 100 });
    }
  }
});

/** Access-log lines without client, time and duration: `"GET /x HTTP/1.1" 200 3`. */
function loggedLines(lines: string[]): string[] {
  return lines.map((l) => {
    const m = /^127\.0\.0\.1 - - \[[^\]]+\] (".*" \d{3} (?:\d+|-)) \d+\.\d{6}\n$/.exec(l);
    assert.ok(m, `an access-log line: ${JSON.stringify(l)}`);
    return m[1] as string;
  });
}

/** A raw connection: what it received so far, and whether it closed. */
function rawConn(port: number): {
  write(s: string): void;
  text(): string;
  closed: Promise<void>;
  destroy(): void;
} {
  const s = netConnect(port, '127.0.0.1');
  let text = '';
  s.on('data', (d) => {
    text += d.toString('latin1');
  });
  s.on('error', () => {});
  const closed = new Promise<void>((resolve) => s.on('close', () => resolve()));
  const t = setTimeout(() => s.destroy(), 3000);
  void closed.then(() => clearTimeout(t));
  return {
    write: (x) => s.write(x, 'latin1'),
    text: () => text,
    closed,
    destroy: () => s.destroy(),
  };
}

const WS_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const wsHead = (method: string, path: string): string =>
  `${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: ${WS_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`;

/**
 * A server whose `/slow` answers after `release` is set (its 'x' body), a WebSocket handler that
 * answers its first message `m` with `hi:m`.
 */
async function slowAndWs(release: Event, entered: Event): Promise<[HttpServer, string[]]> {
  const lines: string[] = [];
  const server = new HttpServer(
    ['127.0.0.1', 0],
    async (req) => {
      if (new URL(req.url).pathname === '/slow') {
        entered.set();
        await release.wait();
      }
      return new Response('x');
    },
    {
      log: { write: (l: string) => lines.push(l) },
      websocket: async (ws) => {
        await ws.send(`hi:${String(await ws.receive(3000))}`);
        ws.close();
      },
    },
  );
  await server.start();
  return [server, lines];
}

for (const method of ['GET', 'POST'] as const) {
  test(`a WebSocket handshake (${method === 'GET' ? 'taken' : 'refused, 405'}) pipelined behind a request in progress is answered after that response went out whole, never in its middle; each logged as sent`, async () => {
    const release = new Event();
    const entered = new Event();
    const [server, lines] = await slowAndWs(release, entered);
    try {
      const c = rawConn(Number(server.serverPort));
      c.write(`GET /slow HTTP/1.1\r\nHost: x\r\n\r\n${wsHead(method, '/ws')}`);
      assert.ok(await entered.wait({ timeout: 3000 }));
      await sleep(30);
      // A first message sent before the handshake's answer (a masked frame, mask 0): kept.
      if (method === 'GET') c.write('\x81\x82\x00\x00\x00\x00yo');
      await sleep(30);
      assert.equal(c.text(), '', 'nothing written while /slow runs');
      release.set();
      if (method === 'GET') {
        const deadline = Date.now() + 3000;
        while (!c.text().includes('hi:yo') && Date.now() < deadline) await sleep(10);
        c.destroy();
      }
      await c.closed;
      const text = c.text();
      const second = text.indexOf('HTTP/1.1', 1);
      assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
      assert.ok(second > 0, text);
      // /slow's response whole (its 1-byte body) before the handshake's answer.
      assert.equal(text.slice(second - 5, second), '\r\n\r\nx');
      if (method === 'GET') {
        assert.match(text.slice(second), /^HTTP\/1\.1 101 Switching Protocols\r\n/);
        assert.ok(text.includes('\x81\x05hi:yo'), 'the WebSocket works after it');
      } else {
        assert.match(text.slice(second), /^HTTP\/1\.1 405 Method Not Allowed\r\n/);
      }
      const deadline = Date.now() + 2000;
      while (lines.length < 2 && Date.now() < deadline) await sleep(10);
      assert.deepEqual(loggedLines(lines), [
        '"GET /slow HTTP/1.1" 200 1',
        method === 'GET' ? '"GET /ws HTTP/1.1" 101 -' : '"POST /ws HTTP/1.1" 405 19',
      ]);
    } finally {
      release.set();
      await server.stop();
    }
  });
}

test('a WebSocket handshake sent during stop() behind a request in progress on the same connection: that response goes out whole (Connection: close), nothing after it; the handshake is logged 000', async () => {
  const release = new Event();
  const entered = new Event();
  const [server, lines] = await slowAndWs(release, entered);
  const c = rawConn(Number(server.serverPort));
  c.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.ok(await entered.wait({ timeout: 3000 }));
  const stopping = spawn(() => server.stop({ timeout: 2000 }));
  await sleep(30);
  c.write(wsHead('GET', '/ws'));
  await sleep(30);
  assert.equal(c.text(), '', 'no 426 in the middle of /slow');
  release.set();
  await stopping.join({ timeout: 3000 });
  await c.closed;
  const text = c.text();
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(text, /\r\nconnection: close\r\n/i);
  assert.ok(text.endsWith('\r\n\r\nx'), text);
  const deadline = Date.now() + 2000;
  while (lines.length < 2 && Date.now() < deadline) await sleep(10);
  assert.deepEqual(loggedLines(lines), ['"GET /slow HTTP/1.1" 200 1', '"GET /ws HTTP/1.1" 000 -']);
});

test('a WebSocket handshake pipelined behind a request in progress whose client leaves: nothing written, both logged 000', async () => {
  const release = new Event();
  const entered = new Event();
  const [server, lines] = await slowAndWs(release, entered);
  try {
    const c = rawConn(Number(server.serverPort));
    c.write(`GET /slow HTTP/1.1\r\nHost: x\r\n\r\n${wsHead('GET', '/ws')}`);
    assert.ok(await entered.wait({ timeout: 3000 }));
    await sleep(30);
    c.destroy();
    await c.closed;
    const deadline = Date.now() + 2000;
    while (lines.length < 2 && Date.now() < deadline) await sleep(10);
    await sleep(30);
    assert.equal(c.text(), '');
    assert.deepEqual(loggedLines(lines), [
      '"GET /slow HTTP/1.1" 000 -',
      '"GET /ws HTTP/1.1" 000 -',
    ]);
  } finally {
    release.set();
    await server.stop();
  }
});

// StreamServer (ported from gevent's src/gevent/tests/test__server.py where it applies: the
// listener forms, spawn as Pool/size/Group, a failing handler reported while the server goes
// on, stop/close semantics, a full pool not accepting) plus graceful stop({timeout}) and
// clients that vanish, send garbage, half-close or stall.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { after, describe, test } from 'node:test';
import {
  Event,
  type Greenlet,
  GreenletExit,
  Group,
  getCurrent,
  getHub,
  Pool,
  sleep,
  spawn,
  Timeout,
  withTimeout,
} from '../../src/index.js';
import { type Address, createConnection, listen, Socket, wrapSocket } from '../../src/io/socket.js';
import { StreamServer, type StreamServerOptions } from '../../src/servers/index.js';
import { assertNoLiveHandles, recvExactly, testCert, unixPath } from '../io/_net.js';
import { FlakyGroup } from './_flaky.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString();

async function echo(sock: Socket): Promise<void> {
  for (let d = await sock.recv(4096); d.length > 0; d = await sock.recv(4096))
    await sock.sendall(d);
}

/** Route the hub's failure reports into an array for the duration of `fn`. */
async function withReports(fn: (reports: string[]) => Promise<void>): Promise<void> {
  const hub = getHub();
  const saved = hub.exceptionStream;
  const reports: string[] = [];
  hub.exceptionStream = { write: (t: string) => void reports.push(t) };
  try {
    await fn(reports);
  } finally {
    hub.exceptionStream = saved;
  }
}

async function roundTrip(port: number, msg: string): Promise<string> {
  const c = await createConnection(['127.0.0.1', port], { timeout: 2000 });
  try {
    await c.sendall(msg);
    return text(await recvExactly(c, msg.length));
  } finally {
    c.close();
  }
}

describe('StreamServer', () => {
  test('serves each connection in its own greenlet with (socket, [host, port]); states and address', async () => {
    const seen: unknown[] = [];
    const server = new StreamServer(['127.0.0.1', 0], async (sock, address) => {
      seen.push(address);
      await echo(sock);
    });
    assert.equal(server.started, false);
    assert.equal(server.closed, false);
    await server.start();
    assert.equal(server.started, true);
    const port = server.serverPort as number;
    assert.ok(port > 0);
    assert.deepEqual(server.address, ['127.0.0.1', port]);
    assert.equal(String(server), `<StreamServer 127.0.0.1:${port}>`);
    assert.equal(await roundTrip(port, 'hello'), 'hello');
    assert.equal(await roundTrip(port, 'again'), 'again');
    assert.equal(seen.length, 2);
    assert.equal((seen[0] as [string, number])[0], '127.0.0.1');
    await server.stop();
    assert.equal(server.started, false);
    assert.equal(server.closed, true);
  });

  test('the client socket is closed when the handler returns', async () => {
    const server = new StreamServer(['127.0.0.1', 0], async (sock) => {
      await sock.sendall('bye');
    });
    await server.start();
    const c = await createConnection(['127.0.0.1', server.serverPort as number]);
    assert.equal(text(await recvExactly(c, 3)), 'bye');
    assert.equal((await c.recv(10, { timeout: 2000 })).length, 0);
    c.close();
    await server.stop();
  });

  test('the client connection closes when the handler returns or is killed by stop(), also with a makefile() file left open (gevent do_close)', async () => {
    const server = new StreamServer(['127.0.0.1', 0], async (sock) => {
      for await (const line of sock.makefile()) await sock.sendall(line);
    });
    await server.start();
    const a = await createConnection(['127.0.0.1', server.serverPort as number]);
    await a.sendall('hi\n');
    a.shutdown('write');
    assert.equal(text(await recvExactly(a, 3)), 'hi\n');
    assert.equal(
      (await a.recv(10, { timeout: 2000 })).length,
      0,
      'closed when the handler returned',
    );
    const b = await createConnection(['127.0.0.1', server.serverPort as number]);
    await b.sendall('x\n');
    assert.equal(text(await recvExactly(b, 2)), 'x\n');
    await server.stop({ timeout: 50 });
    assert.equal((await b.recv(10, { timeout: 2000 })).length, 0, 'closed when stop() killed it');
    a.close();
    b.close();
  });

  test('STARTTLS: a handler that wraps its plain socket in TLS and returns leaves no connection open (the TLS socket that now owns it is closed, as gevent closes the socket)', async () => {
    const { key, cert } = await testCert();
    let wrapped: Socket | null = null;
    const server = new StreamServer(['127.0.0.1', 0], async (sock) => {
      assert.equal(text(await recvExactly(sock, 9)), 'STARTTLS\n');
      await sock.sendall('OK\n');
      wrapped = await wrapSocket(sock, { serverSide: true, key, cert, timeout: 5000 });
      await wrapped.sendall('secure hello');
      // Returns without closing the TLS socket.
    });
    await server.start();
    const c = await createConnection(['127.0.0.1', server.serverPort as number]);
    try {
      await c.sendall('STARTTLS\n');
      assert.equal(text(await recvExactly(c, 3)), 'OK\n');
      const t = await wrapSocket(c, { ca: cert, servername: 'localhost', timeout: 5000 });
      try {
        assert.equal(text(await recvExactly(t, 12)), 'secure hello');
        assert.equal((await t.recv(10, { timeout: 2000 })).length, 0, 'end of stream');
        assert.equal(
          (wrapped as Socket | null)?.closed,
          true,
          "the handler's TLS socket is closed",
        );
      } finally {
        t.close();
      }
    } finally {
      c.close();
      await server.stop();
    }
  });

  test("an empty host ('' in [host, port], ':port', {port}) is every interface, as gevent's '': the address Node's listen(port) picks; a loopback client is served", async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, resolve));
    const any = (probe.address() as net.AddressInfo).address;
    await new Promise((resolve) => probe.close(resolve));
    for (const listener of [['', 0], ':0', { port: 0 }] as const) {
      const server = new StreamServer(listener as never, echo);
      await server.start();
      try {
        assert.equal((server.address as [string, number])[0], any, JSON.stringify(listener));
        assert.equal(await roundTrip(server.serverPort as number, 'any'), 'any');
      } finally {
        await server.stop();
      }
    }
  });

  test('a handler that throws is reported and the server goes on; its socket is closed', async () => {
    await withReports(async (reports) => {
      const server = new StreamServer(['127.0.0.1', 0], async (sock) => {
        const d = await sock.recv(100);
        if (text(d) === 'boom') throw new Error('handler failed');
        await sock.sendall(d);
      });
      await server.start();
      const c = await createConnection(['127.0.0.1', server.serverPort as number]);
      await c.sendall('boom');
      assert.equal((await c.recv(10, { timeout: 2000 })).length, 0, 'closed after the failure');
      c.close();
      assert.equal(await roundTrip(server.serverPort as number, 'fine'), 'fine');
      await server.stop();
      assert.equal(reports.filter((r) => r.includes('handler failed')).length, 1);
      assert.ok(reports.some((r) => / failed with Error\n/.test(r)));
    });
  });

  test('listener forms: "host:port", a listening Socket, {path}', async () => {
    const s1 = new StreamServer('127.0.0.1:0', echo);
    await s1.start();
    assert.equal(await roundTrip(s1.serverPort as number, 'a'), 'a');
    await s1.stop();

    const l = await listen({ host: '127.0.0.1', port: 0 });
    const s2 = new StreamServer(l, echo);
    await s2.start();
    assert.deepEqual(s2.address, l.getsockname());
    assert.equal(await roundTrip(s2.serverPort as number, 'b'), 'b');
    await s2.stop();
    assert.equal(l.closed, true, 'stop closes the listener it was given');

    const path = unixPath();
    const s3 = new StreamServer({ path }, async (sock, address) => {
      assert.deepEqual(address, { path: '' });
      await echo(sock);
    });
    await s3.start();
    assert.deepEqual(s3.address, { path });
    assert.equal(s3.serverPort, undefined);
    const c = await createConnection({ path });
    await c.sendall('c');
    assert.equal(text(await c.recv(1)), 'c');
    c.close();
    await s3.stop();
  });

  test('spawn as a number: a full pool stops accepting until a handler ends', async () => {
    const release = new Event();
    let running = 0;
    let most = 0;
    const server = new StreamServer(
      ['127.0.0.1', 0],
      async (sock) => {
        running++;
        most = Math.max(most, running);
        await release.wait();
        await sock.sendall('done');
        running--;
      },
      { spawn: 1 },
    );
    await server.start();
    assert.ok(server.pool instanceof Pool);
    const port = server.serverPort as number;
    const clients = await Promise.all([
      createConnection(['127.0.0.1', port]),
      createConnection(['127.0.0.1', port]),
    ]);
    await sleep(50);
    assert.equal(running, 1, 'the second connection waits in the backlog');
    release.set();
    for (const c of clients) assert.equal(text(await recvExactly(c, 4)), 'done');
    assert.equal(most, 1);
    for (const c of clients) c.close();
    await server.stop();
  });

  test('connections waiting in the backlog when the server starts each get their own handler and address (plain and with a full pool)', async () => {
    for (const spawnOpt of [undefined, 2]) {
      const l = await listen({ host: '127.0.0.1', port: 0 });
      const addr = l.getsockname() as [string, number];
      // Connected before the server accepts: they wait in the listener's backlog, which the
      // accept loop then drains without a wait per connection.
      const clients = await Promise.all(
        Array.from({ length: 12 }, () => createConnection(addr, { timeout: 2000 })),
      );
      await sleep(20);
      let most = 0;
      let running = 0;
      const server = new StreamServer(
        l,
        async (sock, address) => {
          running++;
          most = Math.max(most, running);
          await sleep(5);
          await sock.sendall(`${(address as [string, number])[1]}\n`);
          await echo(sock);
          running--;
        },
        { spawn: spawnOpt },
      );
      await server.start();
      for (const c of clients) {
        const line = await c.recv(64, { timeout: 2000 });
        assert.equal(text(line), `${(c.getsockname() as [string, number])[1]}\n`);
        await c.sendall('ping');
        assert.equal(text(await recvExactly(c, 4)), 'ping');
        c.close();
      }
      if (spawnOpt === 2) assert.equal(most, 2, 'a full pool leaves the rest in the backlog');
      else assert.ok(most > 2, `handlers ran side by side (most ${most})`);
      await server.stop();
    }
  });

  test('a connection accepted while the loop then waits for a slot of a pool shared with other work is closed when the server stops', async () => {
    const pool = new Pool(1);
    const server = new StreamServer(['127.0.0.1', 0], (sock) => sock.sendall('hi'), {
      spawn: pool,
    });
    await server.start();
    await sleep(20); // the loop saw a free slot and waits in accept()
    const other = await pool.spawn(sleep, 60000); // other work takes that slot
    const client = await createConnection(['127.0.0.1', server.serverPort as number]);
    try {
      await sleep(50); // accepted: the loop waits for a slot, holding the connection
      await server.stop({ timeout: 100 });
      assert.ok(other.dead, 'stop() kills the pool, as gevent does');
      const got = await client.recv(10, { timeout: 2000 });
      assert.equal(got.length, 0, 'the server closed the connection (no handler ever owned it)');
    } finally {
      client.close();
    }
  });

  test('spawn as a Group or a Pool: handlers are its members', async () => {
    const group = new Group();
    const server = new StreamServer(
      ['127.0.0.1', 0],
      async (sock) => {
        await sock.recv(1);
      },
      { spawn: group },
    );
    await server.start();
    const c = await createConnection(['127.0.0.1', server.serverPort as number]);
    await sleep(30);
    assert.equal(group.size, 1);
    c.close();
    await group.join({ timeout: 2000 });
    assert.equal(group.size, 0);
    await server.stop();
    const pool = new Pool(3);
    const s2 = new StreamServer(['127.0.0.1', 0], echo, { spawn: pool });
    assert.equal(s2.pool, pool);
  });

  test('stop() closes the listener at once, lets a handler finish within the timeout', async () => {
    const server = new StreamServer(['127.0.0.1', 0], async (sock) => {
      await sock.recv(10);
      await sleep(100);
      await sock.sendall('finished');
    });
    await server.start();
    const port = server.serverPort as number;
    const c = await createConnection(['127.0.0.1', port]);
    await c.sendall('go');
    await sleep(20);
    const stopping = spawn(() => server.stop({ timeout: 2000 }));
    await sleep(10);
    await assert.rejects(createConnection(['127.0.0.1', port]), { code: 'ECONNREFUSED' });
    assert.equal(text(await recvExactly(c, 8)), 'finished', 'the live handler was not cut');
    await stopping.get({ timeout: 3000 });
    c.close();
  });

  test('stop({timeout}) kills a handler still running at the timeout, runs its finally, then resolves', async () => {
    const log: string[] = [];
    const server = new StreamServer(['127.0.0.1', 0], async (sock) => {
      try {
        await sock.recv(10); // a client that stalls
      } finally {
        log.push('finally');
      }
    });
    await server.start();
    const c = await createConnection(['127.0.0.1', server.serverPort as number]);
    await sleep(20);
    const t0 = performance.now();
    await server.stop({ timeout: 50 });
    assert.ok(performance.now() - t0 >= 40, 'it waited for the timeout first');
    assert.deepEqual(log, ['finally']);
    assert.equal(server.pool.size, 0);
    assert.equal(
      (await c.recv(10, { timeout: 2000 })).length,
      0,
      'the stalled client was disconnected',
    );
    c.close();
  });

  test('serveForever() resolves once the server has stopped; close() leaves handlers running', async () => {
    const inHandler = new Event();
    const finish = new Event();
    const server = new StreamServer(['127.0.0.1', 0], async (sock) => {
      inHandler.set();
      await finish.wait();
      await sock.sendall('late');
    });
    const forever = spawn(() => server.serveForever());
    await sleep(20);
    const c = await createConnection(['127.0.0.1', server.serverPort as number]);
    await inHandler.wait({ timeout: 2000 });
    await server.close();
    assert.equal(server.closed, true);
    assert.equal(server.started, false);
    await forever.get({ timeout: 1000 });
    finish.set();
    assert.equal(text(await recvExactly(c, 4)), 'late', 'the handler went on after close()');
    c.close();
    await server.stop();
    await assert.rejects(server.start(), /closed/);
  });

  test('clients that vanish, send garbage, half-close or stall never stop the server nor leak a socket', async () => {
    await withReports(async () => {
      const server = new StreamServer(['127.0.0.1', 0], async (sock) => {
        const f = sock.makefile();
        try {
          for (let line = await f.readline(); line.length > 0; line = await f.readline())
            await sock.sendall(line);
        } finally {
          f.close();
        }
      });
      await server.start();
      const port = server.serverPort as number;
      // vanishes at once
      (await createConnection(['127.0.0.1', port])).close();
      // garbage, then vanishes mid-line
      const g = await createConnection(['127.0.0.1', port]);
      await g.sendall(Buffer.from([0, 255, 13, 10, 7, 7, 7]));
      g.close();
      // half-closes after a line: still gets its answer
      const h = await createConnection(['127.0.0.1', port]);
      await h.sendall('half\n');
      h.shutdown('write');
      assert.equal(text(await recvExactly(h, 5)), 'half\n');
      assert.equal((await h.recv(10, { timeout: 2000 })).length, 0);
      h.close();
      // stalls forever
      const s = await createConnection(['127.0.0.1', port]);
      await s.sendall('no newline');
      assert.equal(await roundTrip(port, 'ok\n'), 'ok\n', 'the server still serves');
      await server.stop({ timeout: 50 });
      s.close();
    });
  });

  test("a handler greenlet holds only its socket, is named as the handler and gets the peer's address (TCP and TLS)", async () => {
    const { key, cert } = await testCert();
    for (const tls of [false, true]) {
      const seen: unknown[] = [];
      const server = new StreamServer(
        ['127.0.0.1', 0],
        async function greet(sock: Socket, address) {
          seen.push(
            address,
            sock.getpeername(),
            (getCurrent() as Greenlet).args,
            String(getCurrent()),
          );
          await sock.sendall('hi');
        },
        tls ? { tls: { key, cert } } : {},
      );
      await server.start();
      const c = await createConnection(
        ['127.0.0.1', server.serverPort as number],
        tls ? { tls: { ca: cert, servername: 'localhost' } } : {},
      );
      assert.equal(text(await recvExactly(c, 2)), 'hi');
      const [address, peer, args, name] = seen as [unknown, unknown, unknown[], string];
      assert.deepEqual(address, c.getsockname());
      assert.deepEqual(peer, address);
      assert.equal(args.length, 1);
      assert.match(
        name,
        new RegExp(`: greet\\(<Socket ${tls ? 'tls' : 'tcp'} 127\\.0\\.0\\.1:\\d+>\\)>$`),
      );
      c.close();
      await server.stop();
    }
  });

  test('a Group subclass given as spawn is used through its own spawn, and the client still closes when the handler ends', async () => {
    const added: Greenlet[] = [];
    class Counting extends Group {
      override async spawn<R, A extends unknown[]>(
        fn: (...args: A) => R | PromiseLike<R>,
        ...args: A
      ): Promise<Greenlet<Awaited<R>>> {
        const g = await super.spawn(fn, ...args);
        added.push(g);
        return g;
      }
    }
    const group = new Counting();
    const server = new StreamServer(
      ['127.0.0.1', 0],
      async (sock: Socket) => {
        await sock.sendall('bye');
      },
      { spawn: group },
    );
    await server.start();
    const c = await createConnection(['127.0.0.1', server.serverPort as number]);
    assert.equal(text(await recvExactly(c, 3)), 'bye');
    // The handler ended: the server closed the client, so the peer reads the end of stream.
    assert.equal((await c.recv(10)).length, 0);
    assert.equal(added.length, 1);
    assert.equal(group.size, 0);
    c.close();
    await server.stop();
  });

  test('a TLS server serves TLS clients', async () => {
    const { key, cert } = await testCert();
    const server = new StreamServer(['127.0.0.1', 0], echo, { tls: { key, cert } });
    await server.start();
    const c = await createConnection(['127.0.0.1', server.serverPort as number], {
      tls: { ca: cert, servername: 'localhost' },
    });
    await c.sendall('secure');
    assert.equal(text(await recvExactly(c, 6)), 'secure');
    c.close();
    await server.stop();
  });

  test('a TLS server: a client whose handshake fails (plain text, or gone mid-handshake) never reaches the handler nor stops the server (test__server.py test_wrap_socket_and_handle_wrap_failure)', async () => {
    const { key, cert } = await testCert();
    let handled = 0;
    await withReports(async (reports) => {
      const server = new StreamServer(
        ['127.0.0.1', 0],
        async (sock) => {
          handled++;
          await echo(sock);
        },
        { tls: { key, cert } },
      );
      await server.start();
      const port = server.serverPort as number;
      const plain = await createConnection(['127.0.0.1', port]);
      await plain.sendall('GET / HTTP/1.0\r\n\r\n');
      const end = await (async () => {
        for (let i = 0; i < 10; i++) {
          if ((await plain.recv(100, { timeout: 2000 })).length === 0) return 'eof';
        }
        return 'data';
      })().catch((e: NodeJS.ErrnoException) => e.code);
      assert.ok(end === 'eof' || end === 'ECONNRESET', `the server ends it, got ${end}`);
      plain.close();
      const gone = await createConnection(['127.0.0.1', port]);
      gone.close();
      const c = await createConnection(['127.0.0.1', port], {
        tls: { ca: cert, servername: 'localhost' },
      });
      await c.sendall('still serving');
      assert.equal(text(await recvExactly(c, 13)), 'still serving');
      c.close();
      await server.stop();
      assert.equal(handled, 1, 'only the TLS client reached the handler');
      assert.deepEqual(reports, []);
    });
  });

  test('start() on a port in use rejects with EADDRINUSE naming the address', async () => {
    const a = new StreamServer(['127.0.0.1', 0], echo);
    await a.start();
    const b = new StreamServer(['127.0.0.1', a.serverPort as number], echo);
    await assert.rejects(
      b.start(),
      (e: NodeJS.ErrnoException) =>
        e.code === 'EADDRINUSE' && e.message.includes(`127.0.0.1:${a.serverPort}`),
    );
    assert.equal(b.started, false);
    await a.stop();
  });

  test("a handler's address is typed by the listener form: [host, port] for TCP, {path} for Unix, either for a listening Socket (checked by the compiler)", async () => {
    const seen: unknown[] = [];
    const tcp = (_s: Socket, address: [host: string, port: number]): void => {
      seen.push(address[0], address[1]);
    };
    new StreamServer(['127.0.0.1', 0], (s, address) => tcp(s, address));
    new StreamServer('127.0.0.1:0', (s, address) => tcp(s, address));
    new StreamServer({ host: '127.0.0.1', port: 0 }, (s, address) => tcp(s, address));
    new StreamServer({ path: unixPath() }, (_s, address) => {
      seen.push(address.path);
      // @ts-expect-error a Unix peer has no port
      seen.push(address[1]);
    });
    const l = await listen({ host: '127.0.0.1', port: 0 });
    // A Socket's kind (TCP or Unix) is known only when it runs: the handler gets the union.
    const onSocket = new StreamServer(l, (_s, address) => {
      // @ts-expect-error [host, port] or {path}
      seen.push(address.path);
    });
    // A handler written for every kind fits every server, and each server is a StreamServer.
    const any = (_s: Socket, address: Address): void => {
      seen.push(address);
    };
    const servers: StreamServer[] = [
      onSocket,
      new StreamServer(['127.0.0.1', 0], any),
      new StreamServer({ path: unixPath() }, any),
    ];
    assert.equal(servers.length, 3);
    l.close();
  });

  test('bad arguments throw TypeError/RangeError', async () => {
    assert.throws(() => new StreamServer(['127.0.0.1', 70000], echo), RangeError);
    assert.throws(() => new StreamServer(42 as never, echo), TypeError);
    assert.throws(
      () => new StreamServer(['127.0.0.1', 0], 'nope' as never),
      /handle must be a function/,
    );
    assert.throws(
      () => new StreamServer(['127.0.0.1', 0], echo, { spawn: 'x' as never }),
      /spawn must be/,
    );
    assert.throws(() => new StreamServer(['127.0.0.1', 0], echo, { spawn: -1 }), {
      name: 'RangeError',
      message: 'StreamServer: spawn must be a pool size of at least 1, got -1',
    });
    assert.throws(() => new StreamServer(['127.0.0.1', 0], echo, { spawn: 1.5 }), RangeError);
    assert.throws(
      () => new StreamServer(['127.0.0.1', 0], echo, { spawn: 0 }),
      /spawn must be a pool size of at least 1, got 0/,
    );
    for (const [opts, cls, msg] of [
      [{ reusePort: 'yes' }, TypeError, 'reusePort must be a boolean, got string'],
      [
        { tls: null },
        TypeError,
        'tls must be an object of TLS server options (key, cert …), got null',
      ],
      [
        { tls: 'cert.pem' },
        TypeError,
        'tls must be an object of TLS server options (key, cert …), got string',
      ],
      [{ backlog: '5' }, TypeError, 'backlog must be a number of connections, got string'],
      [{ backlog: 2.5 }, RangeError, 'backlog must be an integer from 0 to 2147483647, got 2.5'],
    ] as const) {
      assert.throws(() => new StreamServer(['127.0.0.1', 0], echo, opts as never), {
        name: cls.name,
        message: `StreamServer: ${msg}`,
      });
    }
    // An unknown option is a mistake (a typo such as {backlg: 5} was ignored), named with the
    // options; every documented one is taken.
    assert.throws(() => new StreamServer(['127.0.0.1', 0], echo, { backlg: 5 } as never), {
      name: 'TypeError',
      message:
        'StreamServer: unknown option "backlg"; the options are spawn, backlog, reusePort, tls',
    });
    new StreamServer(['127.0.0.1', 0], echo, {
      spawn: 2,
      backlog: 5,
      reusePort: false,
      tls: {},
    });
    const s = new StreamServer(['127.0.0.1', 0], echo);
    await assert.rejects(s.stop({ timeout: -1 }), RangeError);
    await assert.rejects(s.stop({ timeout: '5' as never }), {
      name: 'TypeError',
      message: 'Server.stop: timeout must be a number of ms, got string',
    });
    await assert.rejects(s.stop('5' as never), /Server.stop: options must be \{timeout\}/);
  });

  test("a subclass with options of its own lists them in optionKeys, as BaseServer's TSDoc shows; the error names the subclass", () => {
    interface RetryOptions extends StreamServerOptions {
      retries?: number;
    }
    class RetryServer extends StreamServer {
      protected static override readonly optionKeys = [...StreamServer.optionKeys, 'retries'];
      readonly retries: number;
      constructor(listener: [string, number], opts: RetryOptions = {}) {
        super(listener, () => {}, opts);
        this.retries = opts.retries ?? 0;
      }
    }
    assert.equal(new RetryServer(['127.0.0.1', 0], { retries: 3, backlog: 5 }).retries, 3);
    assert.throws(() => new RetryServer(['127.0.0.1', 0], { retrys: 3 } as never), {
      name: 'TypeError',
      message:
        'RetryServer: unknown option "retrys"; the options are spawn, backlog, reusePort, tls, retries',
    });
    // A subclass that adds none takes its parent's.
    class Plain extends StreamServer {}
    assert.throws(() => new Plain(['127.0.0.1', 0], () => {}, { retries: 3 } as never), {
      name: 'TypeError',
      message: 'Plain: unknown option "retries"; the options are spawn, backlog, reusePort, tls',
    });
  });

  test('a kill or Timeout that lands in serveForever stops the server first, with its stop timeout (gevent serve_forever: finally stop)', async () => {
    let fin = false;
    const server = new StreamServer(['127.0.0.1', 0], async (sock) => {
      try {
        await sleep(10_000);
      } finally {
        fin = true;
        sock.close();
      }
    });
    const g = spawn(() => server.serveForever({ timeout: 20 }));
    await sleep(20);
    const port = server.serverPort as number;
    const c = await createConnection(['127.0.0.1', port]);
    await sleep(20);
    await g.kill();
    assert.ok((g.value as unknown) instanceof GreenletExit);
    assert.equal(server.started, false);
    assert.equal(server.closed, true);
    assert.ok(fin, 'the live handler was killed after the stop timeout');
    await assert.rejects(createConnection(['127.0.0.1', port]), { code: 'ECONNREFUSED' });
    c.close();

    const server2 = new StreamServer(['127.0.0.1', 0], echo);
    await assert.rejects(
      withTimeout(50, () => server2.serveForever()),
      Timeout,
    );
    assert.equal(server2.closed, true, 'a Timeout stops it too');
  });

  test('serveForever checks its stop timeout before it starts the server', async () => {
    const server = new StreamServer(['127.0.0.1', 0], echo);
    await assert.rejects(server.serveForever(-1), {
      name: 'RangeError',
      message: 'StreamServer.serveForever: timeout must be a non-negative number of ms, got -1',
    });
    await assert.rejects(server.serveForever('5' as never), TypeError);
    assert.equal(server.started, false);
    assert.equal(server.closed, false);
  });
  test("stop() without a timeout gives live handlers gevent's stop_timeout, 1000 ms, then kills them (their finally runs)", async () => {
    let ended = false;
    const inHandler = new Event();
    const server = new StreamServer(['127.0.0.1', 0], async (sock) => {
      inHandler.set();
      try {
        await sock.recv(1);
      } finally {
        ended = true;
      }
    });
    await server.start();
    const c = await createConnection(['127.0.0.1', server.serverPort as number]);
    try {
      await inHandler.wait({ timeout: 2000 });
      const stopping = spawn(() => server.stop());
      await sleep(500);
      assert.equal(ended, false, 'still within its time to finish');
      assert.equal(server.closed, true, 'the listener closed at once');
      await stopping.get({ timeout: 5000 });
      assert.equal(ended, true, 'killed at the timeout');
    } finally {
      c.close();
    }
  });

  test('a {host, port} object is a listener too; started is true from the start() call, before it resolves', async () => {
    const server = new StreamServer({ host: '127.0.0.1', port: 0 }, echo);
    const starting = server.start();
    assert.equal(server.started, true);
    assert.equal(server.closed, false);
    await starting;
    assert.equal(await roundTrip(server.serverPort as number, 'obj'), 'obj');
    const s2 = new StreamServer(['127.0.0.1', 0], echo);
    const serving = spawn(() => s2.serveForever());
    await sleep(0);
    assert.equal(s2.started, true, 'serveForever() sets it at once too');
    await Promise.all([server.stop(), s2.stop()]);
    await serving.get({ timeout: 2000 });
  });

  test('a listening Socket given as listener is not served before start(): a client connects (the kernel queues it) and gets nothing; then start() serves it (test__server.py test_subclass_just_create, test_subclass_with_socket)', async () => {
    const l = await listen({ host: '127.0.0.1', port: 0 });
    const server = new StreamServer(l, async (sock) => {
      await sock.sendall('served');
    });
    const c = await createConnection(l.getsockname());
    try {
      await assert.rejects(c.recv(10, { timeout: 50 }), { name: 'SocketTimeout' });
      await server.start();
      assert.equal(text(await recvExactly(c, 6)), 'served', 'the queued client is served');
    } finally {
      c.close();
      await server.stop();
    }
  });

  test("a start() shared by two greenlets: the first one's kill is not thrown in the second (it gets an Error saying so), and the second's own kill lands at its start (found by the breaker: it got the first one's GreenletExit, and could not be killed)", async () => {
    const server = new StreamServer(['127.0.0.1', 0], echo);
    const first = spawn(() => server.start());
    const second = spawn(() => server.start());
    await sleep(0);
    void first.kill({ block: false });
    await first.join({ timeout: 2000 });
    await second.join({ timeout: 2000 });
    assert.ok((first.value as unknown) instanceof GreenletExit);
    const err = second.exception as Error;
    assert.ok(err instanceof Error && !(err instanceof GreenletExit), String(err));
    assert.match(
      err.message,
      /start under way in another greenlet was interrupted \(GreenletExit\)/,
    );
    assert.equal(err.cause, first.value);
    assert.equal(server.closed, true);

    const other = new StreamServer(['127.0.0.1', 0], echo);
    const starter = spawn(() => other.start());
    const waiter = spawn(() => other.start());
    await sleep(0);
    void waiter.kill({ block: false });
    await waiter.join({ timeout: 2000 });
    assert.ok((waiter.value as unknown) instanceof GreenletExit, 'its own kill lands there');
    await starter.get({ timeout: 2000 });
    try {
      assert.equal(await roundTrip(other.serverPort as number, 'ping'), 'ping');
    } finally {
      await other.stop();
    }
  });

  test('a failed accept (EMFILE) is reported and the server accepts again after a short pause (gevent BaseServer._do_read; found by the breaker: the server closed for good)', async () => {
    await withReports(async (reports) => {
      const l = await listen({ host: '127.0.0.1', port: 0 });
      const server = new StreamServer(l, async (sock) => {
        await sock.sendall('served');
      });
      await server.start();
      try {
        await sleep(10);
        const err = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' });
        (l._handle as net.Server).emit('error', err);
        await sleep(30);
        assert.deepEqual([server.started, server.closed], [true, false]);
        assert.equal(reports.filter((r) => r.includes('accept EMFILE')).length, 1);
        const c = await createConnection(l.getsockname());
        try {
          assert.equal(text(await recvExactly(c, 6)), 'served');
        } finally {
          c.close();
        }
      } finally {
        await server.stop();
      }
    });
  });

  test("a listening Socket with its own timeout (settimeout) is served as long as the server runs: the timeout is the socket's waits', not the accept loop's (found by the breaker: the loop timed out, reported it and closed the server; gevent accepts whenever the listener is readable)", async () => {
    await withReports(async (reports) => {
      const l = await listen({ host: '127.0.0.1', port: 0 });
      l.settimeout(20);
      const server = new StreamServer(l, async (sock) => {
        await sock.sendall('served');
      });
      await server.start();
      try {
        await sleep(100);
        assert.deepEqual([server.started, server.closed], [true, false]);
        const c = await createConnection(l.getsockname());
        try {
          assert.equal(text(await recvExactly(c, 6)), 'served');
        } finally {
          c.close();
        }
        assert.deepEqual(reports, []);
      } finally {
        await server.stop();
      }
    });
  });

  test('an address is bound only by start(): connections are refused before it and again after stop() (test__server.py test_subclass_with_address, assertConnectionRefused)', async () => {
    const probe = await listen({ host: '127.0.0.1', port: 0 });
    const [, port] = probe.getsockname() as [string, number];
    probe.close();
    await sleep(10);
    const server = new StreamServer(['127.0.0.1', port], echo);
    assert.deepEqual(server.address, ['127.0.0.1', port]);
    await assert.rejects(createConnection(['127.0.0.1', port]), { code: 'ECONNREFUSED' });
    await server.start();
    assert.equal(await roundTrip(port, 'ping'), 'ping');
    await server.stop();
    await assert.rejects(createConnection(['127.0.0.1', port]), { code: 'ECONNREFUSED' });
    await assert.rejects(server.start(), /the server was closed and cannot start again/);
  });

  test('serveForever() after start() serves on the same listener; stop() makes started false, refuses connections and ends serveForever (test__server.py test_serve_forever_after_start, test_serve_forever)', async () => {
    const server = new StreamServer(['127.0.0.1', 0], echo);
    assert.equal(server.started, false);
    await server.start();
    assert.equal(server.started, true);
    const port = server.serverPort as number;
    const g = spawn(() => server.serveForever());
    await sleep(10);
    assert.equal(g.dead, false);
    assert.equal(await roundTrip(port, 'ping'), 'ping');
    await server.stop();
    assert.equal(server.started, false);
    await assert.rejects(createConnection(['127.0.0.1', port]), { code: 'ECONNREFUSED' });
    await g.get({ timeout: 2000 });
    assert.equal(g.dead, true);
  });

  test('a spawn that fails is reported, closes the connection it was for, and the server goes on (test__server.py test_error_in_spawn)', async () => {
    await withReports(async (reports) => {
      const server = new StreamServer(['127.0.0.1', 0], echo, { spawn: new FlakyGroup() });
      await server.start();
      const c = await createConnection(['127.0.0.1', server.serverPort as number]);
      assert.equal((await c.recv(10, { timeout: 2000 })).length, 0, 'closed: no handler got it');
      c.close();
      assert.equal(server.started, true);
      assert.equal(await roundTrip(server.serverPort as number, 'next'), 'next');
      await server.stop();
      assert.equal(reports.filter((r) => r.includes('test_error_in_spawn')).length, 1);
    });
  });

  test('reusePort: two servers share a port where Node has SO_REUSEPORT (>= 22.12, 23.1); elsewhere start() rejects with an Error naming the Node needed', async () => {
    const [maj = 0, min = 0] = process.versions.node.split('.').map(Number);
    const supported = maj > 23 || (maj === 23 && min >= 1) || (maj === 22 && min >= 12);
    const a = new StreamServer(['127.0.0.1', 0], echo, { reusePort: true });
    if (!supported) {
      await assert.rejects(a.start(), {
        name: 'Error',
        message: `listen: reusePort needs Node 22.12 or later (23.1 in the 23 line), got Node ${process.versions.node}`,
      });
      return;
    }
    await a.start();
    const b = new StreamServer(['127.0.0.1', a.serverPort as number], echo, { reusePort: true });
    await b.start();
    assert.equal(b.serverPort, a.serverPort);
    assert.equal(await roundTrip(a.serverPort as number, 'shared'), 'shared');
    await a.stop();
    assert.equal(await roundTrip(b.serverPort as number, 'still'), 'still', 'b serves alone');
    await b.stop();
  });

  test('backlog, reusePort and tls with a listening Socket throw TypeError: they configure the listener the server makes (test__server.py test_backlog_is_not_accepted_for_socket)', async () => {
    const l = await listen({ host: '127.0.0.1', port: 0 });
    try {
      assert.throws(() => new StreamServer(l, echo, { backlog: 25 }), {
        name: 'TypeError',
        message:
          'StreamServer: backlog must be omitted when the listener is a listening Socket (give it to listen()), got 25',
      });
      assert.throws(() => new StreamServer(l, echo, { reusePort: true }), TypeError);
      assert.throws(() => new StreamServer(l, echo, { tls: {} }), TypeError);
      const s = new StreamServer(['127.0.0.1', 0], echo, { backlog: 25 });
      await s.start();
      assert.equal(await roundTrip(s.serverPort as number, 'ok'), 'ok');
      await s.stop();
    } finally {
      l.close();
    }
  });

  test('a listener Socket that is not a listening stream socket throws TypeError at construction (found by the breaker: a UDP socket was taken and the server failed once serving)', async () => {
    const udp = new Socket({ type: 'udp4' });
    const l = await listen({ host: '127.0.0.1', port: 0 });
    const c = await createConnection(l.getsockname());
    try {
      await udp.bind(['127.0.0.1', 0]);
      assert.throws(() => new StreamServer(udp, echo), {
        name: 'TypeError',
        message:
          'StreamServer: the listener socket must be a listening stream socket (from listen()), got a udp4 socket that is not listening',
      });
      assert.throws(() => new StreamServer(c, echo), {
        name: 'TypeError',
        message:
          'StreamServer: the listener socket must be a listening stream socket (from listen()), got a tcp socket that is not listening',
      });
    } finally {
      udp.close();
      c.close();
      l.close();
    }
  });
});

after(() => assertNoLiveHandles());

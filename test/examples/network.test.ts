// The network examples (gevent's examples/ and seed 002's DNS forwarder), each run on loopback:
// echoserver, portforwarder (also as a child process stopped by SIGTERM), udp-server/udp-client,
// unixsocket-server/unixsocket-client, dns-mass-resolve and dns-forwarder against a local DNS
// server this test starts (node:dgram + dns-packet), concurrent-download against a local
// node:http server, geventsendfile.
import assert from 'node:assert/strict';
import { spawn as spawnChild } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as dns from 'node:dns';
import { once } from 'node:events';
import * as http from 'node:http';
import * as net from 'node:net';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as packet from 'dns-packet';
import { queryA, tableServer } from '../../examples/_dns.js';
import { main as concurrentDownload, downloadAll } from '../../examples/concurrent-download.js';
import { DnsForwarder, main as dnsForwarder } from '../../examples/dns-forwarder.js';
import { main as dnsMassResolve, massResolve } from '../../examples/dns-mass-resolve.js';
import { main as echoserver } from '../../examples/echoserver.js';
import { main as sendfileDemo } from '../../examples/geventsendfile.js';
import { bytesRepr, portForwarder, main as portforwarder } from '../../examples/portforwarder.js';
import { ask, main as udpClient } from '../../examples/udp-client.js';
import { echoServer } from '../../examples/udp-server.js';
import { main as unixClient } from '../../examples/unixsocket-client.js';
import { joinAll, sleep, spawn } from '../../src/index.js';
import { createConnection, Socket, SocketTimeout } from '../../src/io/socket.js';
import { DatagramServer, StreamServer } from '../../src/servers/index.js';
import { assertNoLiveHandles } from '../io/_net.js';
import { printed } from './_capture.js';
import { startExample } from './_server.js';

/** The portforwarder's first line (gevent's), with the port it listens on. */
const STARTED = /^Starting port forwarder 127\.0\.0\.1:(\d+) -> /m;

/** A local DNS server on node:dgram answering A queries from `table`; counts the queries. */
async function localDns(
  table: Record<string, string>,
): Promise<{ port: number; queries: () => number; close(): void }> {
  const sock = dgram.createSocket('udp4');
  let n = 0;
  sock.on('message', (msg, rinfo) => {
    n++;
    const q = packet.decode(msg);
    const question = q.questions?.[0];
    const ip = question === undefined ? undefined : table[question.name];
    const res = packet.encode({
      type: 'response',
      id: q.id,
      flags: packet.AUTHORITATIVE_ANSWER | (ip === undefined ? 3 : 0),
      questions: q.questions,
      answers:
        ip === undefined || question === undefined
          ? []
          : [{ type: 'A', name: question.name, ttl: 60, data: ip }],
    });
    sock.send(res, rinfo.port, rinfo.address);
  });
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  return { port: sock.address().port, queries: () => n, close: () => sock.close() };
}

/** gevent's test server for udp_client.py: logs each datagram and answers 'reply-from-server'. */
async function replyServer(): Promise<{ server: DatagramServer; log: string[] }> {
  const log: string[] = [];
  const server: DatagramServer = new DatagramServer(['127.0.0.1', 0], async (message, address) => {
    log.push(Buffer.from(message).toString());
    await server.sendto('reply-from-server', address);
  });
  await server.start();
  return { server, log };
}

/** Send gevent's test datagram from a plain node:dgram client to 127.0.0.1:`port`; the answer. */
async function askUdp(port: number): Promise<string> {
  const sock = dgram.createSocket('udp4');
  try {
    sock.connect(port, '127.0.0.1');
    await once(sock, 'connect');
    sock.send('Test udp_server');
    const [data] = (await once(sock, 'message')) as [Buffer];
    return data.toString();
  } finally {
    sock.close();
  }
}
describe('network examples', () => {
  test('echoserver: welcome line, echoed lines, quit closes the connection', async () => {
    const lines = await printed(echoserver);
    assert.ok(lines.includes('client got "Welcome to the echo server! Type quit to exit.\\r\\n"'));
    assert.ok(lines.includes('client got "hello\\r\\n"'));
    assert.ok(lines.includes('client quit'));
    assert.ok(!lines.includes('client got "quit\\r\\n"'), 'quit is not echoed, as gevent');
    assert.ok(!lines.some((l) => l.startsWith('echoed "quit')));
    assert.equal(lines.at(-1), 'client sees end of stream: true');
    assert.match(
      lines.find((l) => l.startsWith('New connection')) ?? '',
      /^New connection from 127\.0\.0\.1:\d+$/,
    );
  });

  test('portforwarder demo: bytes go through the forwarder both ways, each chunk logged as gevent does', async () => {
    const lines = await printed(portforwarder);
    assert.ok(lines.includes('client got "through the forwarder"'));
    assert.ok(
      lines.some((l) => /^127\.0\.0\.1:\d+ accepted$/.test(l)),
      lines.join('\n'),
    );
    const chunk = /^127\.0\.0\.1:\d+->127\.0\.0\.1:\d+: b'through the forwarder'$/;
    assert.equal(lines.filter((l) => chunk.test(l)).length, 2, 'there and back');
  });

  test("portforwarder's bytesRepr is Python's repr of bytes (gevent logs chunks with %r)", () => {
    const enc = (s: string): Uint8Array => Buffer.from(s, 'latin1');
    assert.equal(bytesRepr(new Uint8Array()), "b''");
    assert.equal(bytesRepr(enc('GET / HTTP/1.0\r\n\t')), "b'GET / HTTP/1.0\\r\\n\\t'");
    assert.equal(bytesRepr(enc("it's")), 'b"it\'s"');
    assert.equal(bytesRepr(enc('\'"')), "b'\\'\"'");
    assert.equal(bytesRepr(enc('a\\b\x00\xff')), "b'a\\\\b\\x00\\xff'");
  });

  test('portforwarder: a client that resets its connection ends both directions: the connection to the destination is closed and the handler ends (found by the breaker: the other direction waited on the destination for good, and a graceful stop never ended)', async () => {
    let destClosed = false;
    const dest = new StreamServer(['127.0.0.1', 0], async (sock) => {
      try {
        for (let d = await sock.recv(4096); d.length > 0; d = await sock.recv(4096)) {
          await sock.sendall(d); // never closes first
        }
      } catch {
        // the forwarder reset or closed it
      } finally {
        destClosed = true;
      }
    });
    await dest.start();
    const fwd = portForwarder('127.0.0.1:0', ['127.0.0.1', dest.serverPort as number]);
    try {
      await printed(async () => {
        await fwd.start();
        const client = net.connect(fwd.serverPort as number, '127.0.0.1');
        await once(client, 'connect');
        client.write('ping');
        await once(client, 'data'); // through the forwarder and back
        client.resetAndDestroy(); // RST: the forwarder's recv fails with ECONNRESET
        for (let i = 0; i < 100 && (fwd.pool.size > 0 || !destClosed); i++) await sleep(20);
        assert.equal(fwd.pool.size, 0, 'the handler ended');
        assert.ok(destClosed, 'the connection to the destination was closed');
      });
    } finally {
      await fwd.stop({ timeout: 100 });
      await dest.stop({ timeout: 100 });
    }
  });

  test('portforwarder as a process: SIGTERM stops listening, the live connection finishes, exit 0', async () => {
    const echo = new StreamServer(['127.0.0.1', 0], async (sock) => {
      for (let d = await sock.recv(4096); d.length > 0; d = await sock.recv(4096))
        await sock.sendall(d);
    });
    await echo.start();
    const script = fileURLToPath(new URL('../../examples/portforwarder.js', import.meta.url));
    const child = spawnChild(
      process.execPath,
      [script, '127.0.0.1:0', `127.0.0.1:${echo.serverPort}`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    try {
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      for (let i = 0; i < 200 && !STARTED.test(out); i++)
        await new Promise((r) => setTimeout(r, 25));
      const port = Number(STARTED.exec(out)?.[1]);
      const live = await createConnection(['127.0.0.1', port]);
      await live.sendall('before');
      assert.equal(Buffer.from(await live.recv(100)).toString(), 'before');
      child.kill('SIGTERM');
      for (let i = 0; i < 200 && !out.includes('Closing listener socket'); i++)
        await new Promise((r) => setTimeout(r, 25));
      await assert.rejects(
        createConnection(['127.0.0.1', port]),
        { code: 'ECONNREFUSED' },
        'no longer listening',
      );
      await live.sendall('after');
      assert.equal(
        Buffer.from(await live.recv(100)).toString(),
        'after',
        'the live connection still works',
      );
      live.close();
      const [code] = (await once(child, 'exit')) as [number];
      assert.equal(code, 0);
      assert.match(out, /All connections closed, exiting/);
    } finally {
      clearTimeout(killer);
      await echo.stop();
    }
  });

  test('udp-client talks to udp-server', async () => {
    const lines = await printed(udpClient);
    assert.ok(lines.includes('127.0.0.1: got "Hello, UDP!"'), 'the server');
    assert.ok(
      lines.some((l) => /^127\.0\.0\.1:\d+: got "Received 11 bytes"$/.test(l)),
      "the client, as gevent's: host:port: got …",
    );
  });

  test('test__example_echoserver.py: the example as a process; two clients at once each read the welcome, get their line back with read(n), then a recv times out', async () => {
    const server = await startExample('echoserver', ['0'], /port (\d+)/);
    try {
      const testClient = async (message: string) => {
        const conn = await createConnection(['127.0.0.1', server.port]);
        conn.settimeout(200);
        const rfile = conn.makefile();
        const welcome = Buffer.from(await rfile.readline()).toString();
        assert.match(welcome, /Welcome/);
        await conn.sendall(message);
        const received = Buffer.from(await rfile.read(message.length)).toString();
        assert.equal(received, message);
        await assert.rejects(conn.recv(1), SocketTimeout);
        rfile.close();
        conn.close();
      };
      const client1 = spawn(testClient, 'hello\r\n');
      const client2 = spawn(testClient, 'world\r\n');
      await joinAll([client1, client2], { raiseError: true });
      assert.ok(client1.successful() && client2.successful());
    } finally {
      await server.stop();
    }
    assert.equal(server.out().match(/New connection from/g)?.length, 2, server.out());
  });

  test('test__example_portforwarder.py: a message before SIGTERM and one after both reach the destination; the client closing lets the forwarder exit 0', async () => {
    const log: string[] = [];
    const dest = new StreamServer(['127.0.0.1', 0], async (sock) => {
      for (let d = await sock.recv(1024); d.length > 0; d = await sock.recv(1024))
        log.push(Buffer.from(d).toString());
    });
    await dest.start();
    const script = fileURLToPath(new URL('../../examples/portforwarder.js', import.meta.url));
    const child = spawnChild(
      process.execPath,
      [script, '127.0.0.1:0', `127.0.0.1:${dest.serverPort}`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const exited = once(child, 'exit') as Promise<[number | null]>;
    try {
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      for (let i = 0; i < 200 && !STARTED.test(out); i++) await sleep(25);
      const port = Number(STARTED.exec(out)?.[1]);
      assert.equal(
        out.split('\n')[0],
        `Starting port forwarder 127.0.0.1:${port} -> 127.0.0.1:${dest.serverPort}`,
      );
      const conn = await createConnection(['127.0.0.1', port]);
      const [, client] = conn.getsockname() as [string, number];
      await conn.sendall('msg1');
      await sleep(100);
      child.kill('SIGTERM');
      await sleep(100);
      await conn.sendall('msg2');
      conn.close();
      // gevent waits 2.1 s for the exit; 10 s here, for a loaded machine.
      let bound: NodeJS.Timeout | undefined;
      const [code] = await Promise.race([
        exited,
        new Promise<[string]>((r) => {
          bound = setTimeout(() => r(['still running 10 s after the client closed']), 10_000);
        }),
      ]);
      clearTimeout(bound);
      assert.equal(code, 0);
      // gevent's log lines, in order: the accept, each chunk as Python's repr (b'' at the end
      // of stream), the close of the listener on SIGTERM.
      const lines = out.split('\n');
      const from = `127.0.0.1:${client}`;
      const to = `127.0.0.1:${dest.serverPort}`;
      const at = (line: string): number => {
        const i = lines.indexOf(line);
        assert.ok(i >= 0, `${JSON.stringify(line)} in:\n${out}`);
        return i;
      };
      const order = [
        at(`${from} accepted`),
        at(`${from}->${to}: b'msg1'`),
        at('Closing listener socket'),
        at(`${from}->${to}: b'msg2'`),
        at(`${from}->${to}: b''`),
      ];
      assert.deepEqual(
        order,
        [...order].sort((a, b) => a - b),
        out,
      );
    } finally {
      clearTimeout(killer);
      await dest.stop();
    }
    assert.deepEqual(log, ['msg1', 'msg2']);
  });

  test('portforwarder: a second SIGTERM aborts with "Multiple exit signals received - aborting." and exit 1 (gevent)', async () => {
    const dest = new StreamServer(['127.0.0.1', 0], async (sock) => {
      for (let d = await sock.recv(1024); d.length > 0; d = await sock.recv(1024));
    });
    await dest.start();
    const script = fileURLToPath(new URL('../../examples/portforwarder.js', import.meta.url));
    const child = spawnChild(
      process.execPath,
      [script, '127.0.0.1:0', `127.0.0.1:${dest.serverPort}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const exited = once(child, 'exit') as Promise<[number | null]>;
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    try {
      for (let i = 0; i < 200 && !STARTED.test(out); i++) await sleep(25);
      const conn = await createConnection(['127.0.0.1', Number(STARTED.exec(out)?.[1])]);
      await conn.sendall('x'); // a live connection: the first signal does not end the process
      for (let i = 0; i < 200 && !out.includes("b'x'"); i++) await sleep(25);
      child.kill('SIGTERM');
      for (let i = 0; i < 200 && !out.includes('Closing listener socket'); i++) await sleep(25);
      child.kill('SIGTERM');
      const [code] = await exited;
      conn.close();
      assert.equal(code, 1);
      assert.equal(err, 'Multiple exit signals received - aborting.\n');
      assert.equal(out.match(/Closing listener socket/g)?.length, 1, out);
    } finally {
      clearTimeout(killer);
      await dest.stop();
    }
  });

  test('test__example_udp_client.py: the client sends its message to a DatagramServer and gets the reply', async () => {
    const { server, log } = await replyServer();
    try {
      const lines = await printed(async () => {
        assert.equal(
          await ask('Test_udp_client', ['127.0.0.1', server.serverPort as number]),
          'reply-from-server',
        );
      });
      const port = server.serverPort as number;
      assert.deepEqual(lines, [
        `Sending 15 bytes to 127.0.0.1:${port}`,
        `127.0.0.1:${port}: got "reply-from-server"`,
      ]);
    } finally {
      await server.stop();
    }
    assert.deepEqual(log, ['Test_udp_client']);
  });

  test('test__example_udp_client.py as a process: the example run with a message and the server address sends it there and prints the reply', async () => {
    const { server, log } = await replyServer();
    try {
      const script = fileURLToPath(new URL('../../examples/udp-client.js', import.meta.url));
      const child = spawnChild(
        process.execPath,
        [script, 'Test_udp_client', `127.0.0.1:${server.serverPort}`],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const [code] = (await once(child, 'exit')) as [number | null];
      clearTimeout(killer);
      assert.equal(code, 0);
      const port = server.serverPort as number;
      assert.equal(
        out,
        `Sending 15 bytes to 127.0.0.1:${port}\n127.0.0.1:${port}: got "reply-from-server"\n`,
      );
    } finally {
      await server.stop();
    }
    assert.deepEqual(log, ['Test_udp_client']);
  });

  test('test__example_udp_server.py: a plain node:dgram client sending 15 bytes is answered "Received 15 bytes"', async () => {
    const server = echoServer(0);
    await printed(async () => {
      await server.start();
      try {
        assert.equal(await askUdp(server.serverPort as number), 'Received 15 bytes');
      } finally {
        await server.stop();
      }
    });
  });

  test('test__example_udp_server.py as a process: the example run with a port answers a datagram', async () => {
    const server = await startExample('udp-server', ['0'], /on :(\d+)/);
    try {
      assert.equal(await askUdp(server.port), 'Received 15 bytes');
    } finally {
      await server.stop();
    }
  });

  test('unixsocket-client talks to unixsocket-server', async () => {
    const lines = await printed(unixClient);
    assert.deepEqual(lines, [
      'server got "hello over a unix socket"',
      'client got "HELLO OVER A UNIX SOCKET"',
    ]);
  });

  test('dns-mass-resolve resolves through a local DNS server the test started, 10 at a time', async () => {
    const table: Record<string, string> = {};
    for (let i = 0; i < 30; i++) if (i % 10 !== 3) table[`n${i}.test`] = `10.1.0.${i}`;
    const srv = await localDns(table);
    try {
      const names = Array.from({ length: 30 }, (_, i) => `n${i}.test`);
      const lines = await printed(async () => {
        const got = await massResolve(names, ['127.0.0.1', srv.port]);
        assert.equal(got.get('n5.test'), '10.1.0.5');
        assert.equal(got.get('n13.test'), null);
      });
      assert.deepEqual(lines, ['finished within 2000 ms: 30/30, failed: 3']);
      assert.equal(srv.queries(), 30);
    } finally {
      srv.close();
    }
    const demo = await printed(dnsMassResolve);
    assert.deepEqual(demo, [
      'finished within 10000 ms: 100/100, failed: 10',
      'host-42.test → 10.0.0.42',
    ]);
  });

  test('concurrent-download fetches every URL of a local HTTP server at once', async () => {
    let inFlight = 0;
    let most = 0;
    const server = http.createServer((req, res) => {
      inFlight++;
      most = Math.max(most, inFlight);
      setTimeout(() => {
        inFlight--;
        res.end('y'.repeat(Number(req.url?.slice(1))));
      }, 50);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    try {
      const urls = [10, 200, 3000].map((n) => `http://127.0.0.1:${port}/${n}`);
      const lines = await printed(async () => {
        assert.deepEqual(
          (await downloadAll(urls)).map(([, n]) => n),
          [10, 200, 3000],
        );
      });
      assert.equal(lines.length, 3);
      assert.equal(most, 3, 'the three downloads ran concurrently');
    } finally {
      server.close();
    }
    const demo = await printed(concurrentDownload);
    assert.deepEqual(
      demo.map((l) => l.replace(/:\d+\//, ':PORT/')),
      [
        'http://127.0.0.1:PORT/1: 1000 bytes',
        'http://127.0.0.1:PORT/5: 5000 bytes',
        'http://127.0.0.1:PORT/20: 20000 bytes',
      ],
    );
  });

  test('geventsendfile sends a whole file cooperatively', async () => {
    const lines = await printed(sendfileDemo);
    assert.deepEqual(lines, ['server sent 1048576 bytes', 'client received 1048576 bytes']);
  });

  test('dns-forwarder: concurrent identical misses share one upstream query; later ones hit the cache (Node dns.Resolver as client)', async () => {
    const up = await localDns({ 'cached.test': '198.51.100.9' });
    const fwd = new DnsForwarder(['127.0.0.1', 0], ['127.0.0.1', up.port]);
    await printed(async () => {
      await fwd.start();
      const resolver = new dns.promises.Resolver({ timeout: 3000, tries: 1 });
      resolver.setServers([`127.0.0.1:${fwd.serverPort}`]);
      const { until } = await import('../../src/index.js');
      const both = await until(
        Promise.all([resolver.resolve4('cached.test'), resolver.resolve4('cached.test')]),
      );
      assert.deepEqual(both, [['198.51.100.9'], ['198.51.100.9']]);
      assert.equal(up.queries(), 1, 'one upstream query for two concurrent misses');
      assert.deepEqual(await until(resolver.resolve4('cached.test')), ['198.51.100.9']);
      assert.equal(up.queries(), 1, 'the third answer came from the cache');
      await fwd.stop();
    });
    up.close();
    const demo = await printed(dnsForwarder);
    assert.ok(demo.includes('queries that reached upstream: 1'));
    assert.ok(demo.includes("two concurrent answers: [ [ '192.0.2.7' ], [ '192.0.2.7' ] ]"));
  });

  test('dns-forwarder: a miss upstream never answers gets SERVFAIL, and the next query for the name goes upstream again; a response from another address is not cached (found by the breaker: one lost upstream datagram left the name SERVFAIL for good, and anyone could fill the cache)', async () => {
    let drop = true;
    const up = tableServer((name) => (name === 'lost.test' ? '192.0.2.1' : null));
    const quiet = new Socket({ type: 'udp4' });
    await quiet.bind(['127.0.0.1', 0]); // the upstream that loses the first query
    await up.start();
    const upPort = (quiet.getsockname() as [string, number])[1];
    const relay = spawn(async () => {
      for (;;) {
        const [data] = await quiet.recvfrom(4096);
        if (drop) {
          drop = false;
          continue;
        }
        const asker = new Socket({ type: 'udp4' });
        try {
          await asker.sendto(data, ['127.0.0.1', up.serverPort as number]);
          const [answer] = await asker.recvfrom(4096, { timeout: 2000 });
          await quiet.sendto(answer, ['127.0.0.1', fwd.serverPort as number]);
        } finally {
          asker.close();
        }
      }
    });
    const fwd = new DnsForwarder(['127.0.0.1', 0], ['127.0.0.1', upPort], 100);
    const spoofer = new Socket({ type: 'udp4' });
    try {
      await printed(async () => {
        await fwd.start();
        const at: [string, number] = ['127.0.0.1', fwd.serverPort as number];
        assert.deepEqual(await queryA('lost.test', at, 2000), [], 'SERVFAIL after 100 ms');
        assert.deepEqual(await queryA('lost.test', at, 2000), ['192.0.2.1'], 'asked again');
        assert.equal(fwd.forwarded, 2);
        await spoofer.sendto(
          packet.encode({
            type: 'response',
            id: 0,
            questions: [{ type: 'A', name: 'evil.test' }],
            answers: [{ type: 'A', name: 'evil.test', ttl: 60, data: '203.0.113.66' }],
          }),
          at,
        );
        await sleep(50);
        assert.deepEqual(await queryA('evil.test', at, 2000), [], 'upstream has no evil.test');
      });
    } finally {
      spoofer.close();
      await relay.kill();
      quiet.close();
      await fwd.stop();
      await up.stop();
    }
  });
});

after(() => assertNoLiveHandles());

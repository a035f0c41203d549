/**
 * A port forwarder, as gevent's examples/portforwarder.py: a StreamServer whose handler opens a
 * connection to the destination and pumps bytes both ways, one greenlet per direction. On
 * SIGTERM (or SIGINT) it stops listening at once, lets the live connections finish, and exits 0;
 * a second signal aborts (exit 1).
 *
 * Ported from gevent's examples/portforwarder.py (`server.close()` on the signal, then
 * `gevent.wait()` for the live connections: here `server.pool.join()`). Its log lines are
 * gevent's, for whoever greps for them: `Starting port forwarder <host>:<port> -> <host>:<port>`,
 * `<host>:<port> accepted`, `<host>:<port> failed to connect to <host>:<port>: <error>`, one
 * `<from>-><to>: b'<bytes>'` per chunk (Python's repr of the bytes; `b''` at end of stream),
 * `Closing listener socket`, and `Multiple exit signals received - aborting.` on a second
 * signal. gevent writes them to stderr; here they go to stdout with `console.log`, as every
 * example's output (the abort message goes to stderr, as `sys.exit(message)` writes it). Added:
 * `All connections closed, exiting`.
 *
 * Run: node dist/examples/portforwarder.js 127.0.0.1:8080 127.0.0.1:80
 * (no arguments: a demo forwarding to a local echo server)
 */
import { pathToFileURL } from 'node:url';
import { Cancellation, Greenlet, joinAll } from '../src/index.js';
import { type Address, createConnection, type Socket } from '../src/io/socket.js';
import { StreamServer } from '../src/servers/index.js';

/** `host:port` (gevent's `'%s:%s' % address[:2]`), or a Unix socket's path. */
function hostPort(a: Address): string {
  return Array.isArray(a) ? `${a[0]}:${a[1]}` : a.path;
}

/** Python's `repr()` of bytes, as gevent's `%r` logs a chunk: `b'hi\n'`. */
export function bytesRepr(data: Uint8Array): string {
  const quote = data.includes(0x27) && !data.includes(0x22) ? '"' : "'";
  let out = '';
  for (const b of data) {
    if (b === 0x5c) out += '\\\\';
    else if (b === quote.charCodeAt(0)) out += `\\${quote}`;
    else if (b === 0x09) out += '\\t';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return `b${quote}${out}${quote}`;
}

/**
 * Copy from `source` to `dest` until end of stream, then half-close `dest`. On an error (a
 * side reset the connection) close both, as gevent's `forward` does in its `finally`: the other
 * direction's wait then ends too (it waited on the destination for good when the client reset).
 */
async function forward(source: Socket, dest: Socket): Promise<void> {
  let from: string;
  let to: string;
  try {
    from = hostPort(source.getpeername());
    to = hostPort(dest.getpeername());
  } catch (e) {
    // One side is gone already (gevent: racing a signal that closed the server).
    console.log('Failed to get all peer names: %s', (e as Error).message);
    return;
  }
  try {
    for (;;) {
      const data = await source.recv(65536);
      console.log('%s->%s: %s', from, to, bytesRepr(data));
      if (data.length === 0) break;
      await dest.sendall(data);
    }
    dest.shutdown('write');
  } catch (e) {
    if (e instanceof Cancellation) throw e;
    source.close();
    dest.close();
  }
}

/** A StreamServer forwarding every connection to `dest`. */
export function portForwarder(listener: string, dest: Address | string): StreamServer {
  return new StreamServer(listener, async (source, address) => {
    console.log('%s accepted', hostPort(address));
    let target: Socket;
    try {
      target = await createConnection(dest as Address);
    } catch (e) {
      if (e instanceof Cancellation) throw e;
      const to = typeof dest === 'string' ? dest : hostPort(dest);
      console.log('%s failed to connect to %s: %s', hostPort(address), to, (e as Error).message);
      return;
    }
    try {
      await joinAll([
        Greenlet.spawn(forward, source, target),
        Greenlet.spawn(forward, target, source),
      ]);
    } finally {
      target.close();
    }
  });
}

/**
 * Serve until SIGTERM/SIGINT, then stop listening and let live connections finish; a second
 * signal exits at once with status 1 (gevent's `sys.exit('Multiple exit signals received -
 * aborting.')`).
 */
export async function serveUntilSignal(server: StreamServer, dest: string): Promise<void> {
  await server.start();
  console.log('Starting port forwarder %s -> %s', hostPort(server.address), dest);
  let closing = false;
  const stop = (): void => {
    if (closing) {
      console.error('Multiple exit signals received - aborting.');
      process.exit(1);
    }
    closing = true;
    console.log('Closing listener socket');
    void server.close();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  try {
    await server.serveForever();
    await server.pool.join();
    console.log('All connections closed, exiting');
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
}

export async function main(): Promise<void> {
  const echo = new StreamServer(['127.0.0.1', 0], async (sock) => {
    for (let d = await sock.recv(4096); d.length > 0; d = await sock.recv(4096))
      await sock.sendall(d);
  });
  await echo.start();
  const fwd = portForwarder('127.0.0.1:0', ['127.0.0.1', echo.serverPort as number]);
  await fwd.start();
  const c = await createConnection(['127.0.0.1', fwd.serverPort as number]);
  await c.sendall('through the forwarder');
  console.log('client got %j', Buffer.from(await c.recv(100)).toString());
  c.close();
  await fwd.stop();
  await echo.stop();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [source, dest] = process.argv.slice(2);
  if (source === undefined || dest === undefined) await main();
  else await serveUntilSignal(portForwarder(source, dest), dest);
}

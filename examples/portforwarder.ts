/**
 * A port forwarder, as gevent's examples/portforwarder.py: a StreamServer whose handler opens a
 * connection to the destination and pumps bytes both ways, one greenlet per direction. On
 * SIGTERM (or SIGINT) it stops listening at once, lets the live connections finish, and exits 0.
 *
 * Ported from gevent's examples/portforwarder.py (`server.close()` on the signal, then
 * `gevent.wait()` for the live connections: here `server.pool.join()`).
 *
 * Run: node dist/examples/portforwarder.js 127.0.0.1:8080 127.0.0.1:80
 * (no arguments: a demo forwarding to a local echo server)
 */
import { pathToFileURL } from 'node:url';
import { Cancellation, Greenlet, joinAll } from '../src/index.js';
import { type Address, createConnection, type Socket } from '../src/io/socket.js';
import { StreamServer } from '../src/servers/index.js';

/**
 * Copy from `source` to `dest` until end of stream, then half-close `dest`. On an error (a
 * side reset the connection) close both, as gevent's `forward` does in its `finally`: the other
 * direction's wait then ends too (it waited on the destination for good when the client reset).
 */
async function forward(source: Socket, dest: Socket): Promise<void> {
  try {
    for (let data = await source.recv(65536); data.length > 0; data = await source.recv(65536)) {
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
    const target = await createConnection(dest as Address);
    console.log('%s accepted from %j', listener, address);
    try {
      await joinAll([
        Greenlet.spawn(forward, source, target),
        Greenlet.spawn(forward, target, source),
      ]);
    } finally {
      target.close();
      console.log('%j closed', address);
    }
  });
}

/** Serve until SIGTERM/SIGINT, then stop listening and let live connections finish. */
export async function serveUntilSignal(server: StreamServer): Promise<void> {
  await server.start();
  console.log('Starting port forwarder on port %d', server.serverPort);
  const stop = (sig: string): void => {
    console.log(
      'Received %s: closing the listener, waiting for %d connection(s)',
      sig,
      server.pool.size,
    );
    void server.close();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
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
  else await serveUntilSignal(portForwarder(source, dest));
}

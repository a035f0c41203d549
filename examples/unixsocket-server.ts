/**
 * A Unix socket server, as gevent's examples/unixsocket_server.py: accept connections on a
 * socket file and answer each with what it sent, upper-cased.
 *
 * Ported from gevent's examples/unixsocket_server.py (a StreamServer on `{path}` instead of a
 * hand-made accept loop). unixsocket-client.ts talks to it.
 *
 * Run: node dist/examples/unixsocket-server.js [path]
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StreamServer } from '../src/servers/index.js';

/** A server on the Unix socket `path` (a stale file there is removed first). */
export function unixServer(path: string): StreamServer {
  rmSync(path, { force: true });
  return new StreamServer({ path }, async (sock) => {
    const data = await sock.recv(1024);
    console.log('server got %j', Buffer.from(data).toString());
    await sock.sendall(Buffer.from(data).toString().toUpperCase());
  });
}

/** A fresh socket path in the temp dir. */
export function socketPath(): string {
  return join(tmpdir(), `verdant-example-${process.pid}.sock`);
}

export async function main(): Promise<void> {
  const server = unixServer(process.argv[2] ?? socketPath());
  await server.start();
  console.log('Listening on %s', (server.address as { path: string }).path);
  await server.serveForever();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

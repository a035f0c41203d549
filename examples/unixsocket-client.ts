/**
 * A Unix socket client, as gevent's examples/unixsocket_client.py: connect to the socket file,
 * send a line, print the answer.
 *
 * Ported from gevent's examples/unixsocket_client.py. `main()` starts unixsocket-server.ts's
 * server first, so the demo is self-contained.
 *
 * Run: node dist/examples/unixsocket-client.js
 */
import { pathToFileURL } from 'node:url';
import { createConnection } from '../src/io/socket.js';
import { socketPath, unixServer } from './unixsocket-server.js';

/** Send `message` over the Unix socket at `path`; resolve the answer. */
export async function talk(path: string, message: string): Promise<string> {
  const sock = await createConnection({ path });
  try {
    await sock.sendall(message);
    const reply = Buffer.from(await sock.recv(1024)).toString();
    console.log('client got %j', reply);
    return reply;
  } finally {
    sock.close();
  }
}

export async function main(): Promise<void> {
  const path = socketPath();
  const server = unixServer(path);
  await server.start();
  try {
    await talk(path, 'hello over a unix socket');
  } finally {
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

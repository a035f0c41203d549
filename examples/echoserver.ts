/**
 * An echo server, as gevent's examples/echoserver.py: each connection gets a welcome line,
 * then every line it sends comes back, until it sends `quit` (not echoed: the server closes the
 * connection). One greenlet per client.
 *
 * Ported from gevent's examples/echoserver.py (the port is 0 here, any free one, so the demo
 * never collides; gevent listens on 16000). `main()` starts the server, talks to it as a client
 * would, and stops it. Given a port, the script serves on 127.0.0.1 until it is killed, as
 * gevent's does (port 0: a free one, printed).
 *
 * Run: node dist/examples/echoserver.js [port]   (then: nc 127.0.0.1 <port>)
 */
import { pathToFileURL } from 'node:url';
import { createConnection, type Socket } from '../src/io/socket.js';
import { StreamServer } from '../src/servers/index.js';

/** The handler: `socket.makefile()` for lines, as gevent's example does. */
export async function echo(socket: Socket, address: unknown): Promise<void> {
  // gevent prints 'New connection from %s:%s' % address.
  if (Array.isArray(address)) console.log('New connection from %s:%s', ...address);
  else console.log('New connection from %o', address);
  await socket.sendall('Welcome to the echo server! Type quit to exit.\r\n');
  const file = socket.makefile();
  try {
    for (;;) {
      const line = await file.readline();
      if (line.length === 0) {
        console.log('client disconnected');
        break;
      }
      const text = Buffer.from(line).toString().trim();
      if (text.toLowerCase() === 'quit') {
        console.log('client quit');
        break;
      }
      await file.write(line);
      await file.flush();
      console.log('echoed %j', text);
    }
  } finally {
    file.close();
  }
}

export async function main(): Promise<void> {
  const server = new StreamServer(['127.0.0.1', 0], echo);
  await server.start();
  console.log('Starting echo server on 127.0.0.1');
  const client = await createConnection(['127.0.0.1', server.serverPort as number]);
  const f = client.makefile();
  console.log('client got %j', Buffer.from(await f.readline()).toString());
  await client.sendall('hello\r\n');
  console.log('client got %j', Buffer.from(await f.readline()).toString());
  await client.sendall('quit\r\n'); // not echoed: the server closes the connection
  console.log('client sees end of stream:', (await f.readline()).length === 0);
  f.close();
  client.close();
  await server.stop();
}

/** Serve on 127.0.0.1:`port` until the process is killed (gevent's `serve_forever()`). */
export async function serve(port: number): Promise<void> {
  const server = new StreamServer(['127.0.0.1', port], echo);
  await server.start();
  console.log('Starting echo server on port %d', server.serverPort);
  await server.serveForever();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv[2] === undefined) await main();
  else await serve(Number(process.argv[2]));
}

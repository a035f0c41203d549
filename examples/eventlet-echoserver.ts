/**
 * eventlet's echo server, with `eventlet.serve`: every line a client sends comes back; a
 * client that sends `shutdown` stops the server.
 *
 * Ported from eventlet's examples/echoserver.py (its `handle` reading lines from
 * `sock.makefile('rw')`) written with `eventlet.serve(eventlet.listen(addr), handle)`, as
 * eventlet's documentation of `serve` shows. `main()` is server and clients at once: two
 * clients talk at the same time (each handler runs in a thread of serve's `GreenPool`), then a
 * third sends `shutdown`, whose handler raises `StopServe`, so `serve` returns. It prints, as
 * eventlet does for the same program (the two clients' lines may interleave differently):
 *
 *     server socket listening on 127.0.0.1
 *     client connected
 *     client connected
 *     echoed "a1"
 *     a got "a1"
 *     …
 *     client disconnected
 *     server stopped
 *
 * Deviations from eventlet's example:
 * - Port 0 on 127.0.0.1 (any free port, loopback only) instead of 0.0.0.0:6000.
 * - `await` at every wait; `raise StopServe()` is `throw new StopServe()`.
 *
 * Run: node dist/examples/eventlet-echoserver.js
 */
import { pathToFileURL } from 'node:url';
import { connect, listen, StopServe, serve, spawn } from '../src/compat/eventlet/index.js';
import type { Socket } from '../src/io/socket.js';

/** eventlet's `handle(sock, addr)`: echo every line until end of stream or `shutdown`. */
export async function handle(sock: Socket): Promise<void> {
  console.log('client connected');
  const fd = sock.makefile();
  try {
    for (;;) {
      const x = await fd.readline(); // pass through every non-eof line
      if (x.length === 0) break;
      const text = Buffer.from(x).toString().trimEnd();
      if (text === 'shutdown') throw new StopServe();
      console.log('echoed %j', text);
      await fd.write(x);
      await fd.flush();
    }
    console.log('client disconnected');
  } finally {
    fd.close();
  }
}

/** A client: send each line, print its echo, then close. */
async function client(name: string, port: number, lines: string[]): Promise<void> {
  const sock = await connect(['127.0.0.1', port]);
  const fd = sock.makefile();
  try {
    for (const line of lines) {
      await sock.sendall(`${line}\n`);
      console.log(
        '%s got %j',
        name,
        Buffer.from(await fd.readline())
          .toString()
          .trimEnd(),
      );
    }
  } finally {
    fd.close();
    sock.close();
  }
}

export async function main(): Promise<void> {
  const server = await listen(['127.0.0.1', 0]);
  const [, port] = server.getsockname() as [string, number];
  console.log('server socket listening on 127.0.0.1');
  const serving = spawn(serve, server, handle); // serve blocks: give it a thread
  try {
    const a = spawn(client, 'a', port, ['a1', 'a2']);
    const b = spawn(client, 'b', port, ['b1', 'b2']);
    await a.wait();
    await b.wait();
    const stopper = await connect(['127.0.0.1', port]);
    await stopper.sendall('shutdown\n');
    await serving.wait({ timeout: 5000 }); // resolves: the handler raised StopServe
    stopper.close();
    console.log('server stopped');
  } finally {
    await serving.kill();
    server.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

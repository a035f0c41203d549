/**
 * A cooperative `sendfile`, as gevent's examples/geventsendfile.py: send a file over a socket
 * in chunks, waiting for the socket to be writable between them (`waitWrite`), so other
 * greenlets run while a big file goes out.
 *
 * Ported from gevent's examples/geventsendfile.py (which wraps `os.sendfile` and `wait_write`).
 * Node has no `sendfile`: the chunks are read with `fs` and sent with `sendall`. `main()` serves
 * a temporary file to a client and checks the byte count.
 *
 * Run: node dist/examples/geventsendfile.js
 */
import { open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { until } from '../src/index.js';
import { createConnection, type Socket, waitWrite } from '../src/io/socket.js';
import { StreamServer } from '../src/servers/index.js';

/** Send `count` bytes of the file at `path` from `offset` over `sock`; resolves bytes sent. */
export async function sendfile(
  sock: Socket,
  path: string,
  offset = 0,
  count = Number.POSITIVE_INFINITY,
): Promise<number> {
  const fh = await until(open(path, 'r'));
  try {
    const buf = Buffer.alloc(64 * 1024);
    let sent = 0;
    while (sent < count) {
      const { bytesRead } = await until(
        fh.read(buf, 0, Math.min(buf.length, count - sent), offset + sent),
      );
      if (bytesRead === 0) break;
      await waitWrite(sock);
      await sock.sendall(buf.subarray(0, bytesRead));
      sent += bytesRead;
    }
    return sent;
  } finally {
    await until(fh.close());
  }
}

export async function main(): Promise<void> {
  const path = join(tmpdir(), `verdant-sendfile-${process.pid}.bin`);
  await until(writeFile(path, Buffer.alloc(1024 * 1024, 0x61)));
  const server = new StreamServer(['127.0.0.1', 0], async (sock) => {
    const n = await sendfile(sock, path);
    console.log('server sent %d bytes', n);
  });
  await server.start();
  try {
    const c = await createConnection(['127.0.0.1', server.serverPort as number]);
    let got = 0;
    for (let d = await c.recv(65536); d.length > 0; d = await c.recv(65536)) got += d.length;
    c.close();
    console.log('client received %d bytes', got);
  } finally {
    await server.stop();
    await until(rm(path, { force: true }));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

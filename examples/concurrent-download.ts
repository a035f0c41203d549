/**
 * Download several URLs at once, as gevent's examples/concurrent_download.py: one greenlet per
 * URL, `joinAll`, then the size of each page. The HTTP/1.0 client is written on verdant
 * sockets (what monkey-patched `urllib` does under gevent).
 *
 * Ported from gevent's examples/concurrent_download.py. Difference: the URLs point at a local
 * `node:http` server (`main()` starts one; the test too), never the internet.
 *
 * Run: node dist/examples/concurrent-download.js
 */

import { once } from 'node:events';
import * as http from 'node:http';
import { pathToFileURL } from 'node:url';
import { joinAll, spawn } from '../src/index.js';
import { createConnection } from '../src/io/socket.js';

/** GET `url` (http only) over a verdant socket; resolves the body. */
export async function download(url: string): Promise<Uint8Array> {
  const u = new URL(url);
  const sock = await createConnection([u.hostname, Number(u.port || 80)]);
  try {
    await sock.sendall(`GET ${u.pathname}${u.search} HTTP/1.0\r\nHost: ${u.host}\r\n\r\n`);
    const f = sock.makefile();
    const all = await f.read();
    f.close();
    const text = Buffer.from(all);
    const head = text.indexOf('\r\n\r\n');
    return head < 0 ? new Uint8Array(0) : text.subarray(head + 4);
  } finally {
    sock.close();
  }
}

/** Download every URL concurrently; print and resolve [url, bytes] in the given order. */
export async function downloadAll(urls: string[]): Promise<[string, number][]> {
  const jobs = urls.map((url) => spawn(download, url));
  await joinAll(jobs, { raiseError: true });
  const sizes = jobs.map(
    (g, i) => [urls[i] as string, (g.value as Uint8Array).length] as [string, number],
  );
  for (const [url, n] of sizes) console.log('%s: %d bytes', url, n);
  return sizes;
}

export async function main(): Promise<void> {
  const server = http.createServer((req, res) =>
    res.end('x'.repeat(1000 * Number(req.url?.slice(1) ?? 1))),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  try {
    await downloadAll([1, 5, 20].map((n) => `http://127.0.0.1:${port}/${n}`));
  } finally {
    server.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

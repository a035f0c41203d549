/**
 * Seed 000's "Streaming server": a handler written as a generator, its pieces sent one chunk
 * each (`<p>Hello`, then `World</p>`), as pywsgi streams a generator WSGI app.
 *
 * `main()` serves on a free port, reads the response chunk by chunk, prints each, and stops.
 */
import { pathToFileURL } from 'node:url';
import { sleep } from '../src/index.js';
import { HttpServer } from '../src/servers/http.js';

async function* body(): AsyncGenerator<string> {
  yield '<p>Hello';
  await sleep(100); // the first chunk is already on the wire
  yield 'World</p>';
}

export function app(_req: Request): Response {
  return new Response(body() as unknown as ReadableStream, {
    headers: { 'Content-Type': 'text/html' },
  });
}

export async function main(): Promise<void> {
  const server = new HttpServer(['127.0.0.1', 0], app, { log: null });
  await server.start();
  const r = await fetch(`http://127.0.0.1:${server.serverPort}/`);
  console.log(`transfer-encoding: ${r.headers.get('transfer-encoding')}`);
  const decoder = new TextDecoder();
  for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
    console.log(`chunk: ${decoder.decode(chunk)}`);
  }
  await server.stop();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

/**
 * gevent's `examples/wsgiserver.py`: a hello-world HTTP server. `app` answers `/` with
 * `Hello World` and anything else with a 404, as the original.
 *
 * `main()` starts it on a free port, asks it for `/` and `/x` with `fetch`, prints the answers
 * and stops (so the tour can run it). Run with a port to keep it serving:
 * `node dist/examples/wsgiserver.js 8088`.
 */
import { pathToFileURL } from 'node:url';
import { HttpServer } from '../src/servers/http.js';

export function app(req: Request): Response {
  if (new URL(req.url).pathname === '/') {
    return new Response('<b>hello world</b>', { headers: { 'Content-Type': 'text/html' } });
  }
  return new Response('<h1>Not Found</h1>', {
    status: 404,
    headers: { 'Content-Type': 'text/html' },
  });
}

export async function main(): Promise<void> {
  const server = new HttpServer(['127.0.0.1', 0], app, { log: null });
  await server.start();
  const base = `http://127.0.0.1:${server.serverPort}`;
  for (const path of ['/', '/x']) {
    const r = await fetch(base + path);
    console.log(`GET ${path} -> ${r.status} ${await r.text()}`);
  }
  await server.stop();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv[2] === undefined) await main();
  else {
    const server = new HttpServer(['127.0.0.1', Number(process.argv[2])], app);
    await server.start();
    console.log(`Serving on http://127.0.0.1:${server.serverPort}/`);
    await server.serveForever();
  }
}

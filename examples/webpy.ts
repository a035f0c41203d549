/**
 * gevent's `examples/webpy.py`: a web.py-style app — a table of URL patterns to handler
 * classes — where one page sleeps: other requests go on meanwhile. web.py itself is not used;
 * a ten-line router stands in for it.
 *
 * `main()` asks for `/long` and `/` at once: `/` answers first, though asked second.
 */
import { pathToFileURL } from 'node:url';
import { sleep } from '../src/index.js';
import { HttpServer } from '../src/servers/http.js';

type Handler = { GET(req: Request, ...groups: string[]): Response | Promise<Response> };

class Index implements Handler {
  GET(): Response {
    return new Response('<html><body><a href="long">long</a></body></html>', {
      headers: { 'Content-Type': 'text/html' },
    });
  }
}

class Long implements Handler {
  async GET(): Promise<Response> {
    await sleep(300); // only this request waits
    return new Response('Hello, 300 ms later');
  }
}

const urls: Array<[RegExp, Handler]> = [
  [/^\/$/, new Index()],
  [/^\/long$/, new Long()],
];

export function app(req: Request): Response | Promise<Response> {
  const path = new URL(req.url).pathname;
  for (const [re, h] of urls) {
    const m = re.exec(path);
    if (m !== null && req.method === 'GET') return h.GET(req, ...m.slice(1));
  }
  return new Response('not found', { status: 404 });
}

export async function main(): Promise<void> {
  const server = new HttpServer(['127.0.0.1', 0], app, { log: null });
  await server.start();
  const base = `http://127.0.0.1:${server.serverPort}`;
  const order: string[] = [];
  await Promise.all(
    ['/long', '/'].map(async (p) => {
      const r = await fetch(base + p);
      await r.text();
      order.push(p);
    }),
  );
  console.log(`answered in order: ${order.join(', ')}`);
  await server.stop();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

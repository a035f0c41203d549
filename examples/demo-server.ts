/**
 * The demo server (`npm start`): every HTTP and WebSocket example on one `HttpServer`, at
 * http://localhost:8080/ (the `PORT` environment variable changes the port), with an index page
 * linking each. It listens on 127.0.0.1 only. Ctrl-C stops it gracefully (`stop({timeout})`).
 *
 * Each example is mounted under a path prefix; the request it sees has the prefix removed (and
 * an `X-Forwarded-Prefix` header), so the examples stay the same programs as when run alone.
 */
import { pathToFileURL } from 'node:url';
import { spawn } from '../src/index.js';
import { HttpServer } from '../src/servers/http.js';
import type { WebSocket } from '../src/servers/websocket.js';
import { createChat } from './chat.js';
import { app as streaming } from './http-streaming.js';
import { createApp as createLongPolling } from './long-polling.js';
import { setLoopbackOnly, app as webproxy } from './webproxy.js';
import { app as webpy } from './webpy.js';
import { app as echoPage, websocket as echoSocket } from './websocket-echo.js';
import { app as hello } from './wsgiserver.js';

type App = (req: Request) => Response | Promise<Response>;
type Ws = (ws: WebSocket, req: Request) => unknown;

interface Demo {
  prefix: string;
  title: string;
  source: string;
  app: App;
  websocket?: Ws;
}

function unmount(req: Request, prefix: string): Request {
  const u = new URL(req.url);
  const rest = u.pathname.slice(prefix.length) || '/';
  const headers = new Headers(req.headers);
  headers.set('x-forwarded-prefix', prefix);
  const init: RequestInit & { duplex?: 'half' } = {
    method: req.method,
    headers,
    signal: req.signal,
  };
  if (req.body !== null) {
    init.body = req.body;
    init.duplex = 'half';
  }
  return new Request(u.origin + rest + u.search, init);
}

export function createDemo(): { app: App; websocket: Ws; stop: () => Promise<void> } {
  const chat = createChat();
  const longPolling = createLongPolling(1000);
  setLoopbackOnly(true);
  const demos: Demo[] = [
    { prefix: '/hello', title: 'Hello world', source: 'gevent examples/wsgiserver.py', app: hello },
    {
      prefix: '/stream',
      title: 'Streaming generator',
      source: 'seed 000, "Streaming server"',
      app: streaming,
    },
    {
      prefix: '/longpoll',
      title: 'Long polling (a JSON line a second)',
      source: 'seed 000, "Long Polling"',
      app: longPolling.app,
    },
    {
      prefix: '/webpy',
      title: 'web.py-style app (/webpy/long sleeps)',
      source: 'gevent examples/webpy.py',
      app: webpy,
    },
    {
      prefix: '/proxy',
      // {origin} becomes this server's own origin on the index page.
      title: 'Web proxy (of this server: try /proxy/{origin}/hello/)',
      source: 'gevent examples/webproxy.py',
      app: webproxy,
    },
    {
      prefix: '/echo',
      title: 'WebSocket echo',
      source: 'seed 000, "Websockets"',
      app: echoPage,
      websocket: echoSocket,
    },
    {
      prefix: '/chat',
      title: 'Chat: long polling',
      source: 'seed 000, "Chat Server"',
      app: chat.app,
      websocket: chat.websocket,
    },
  ];
  const find = (path: string): Demo | undefined =>
    demos.find((d) => path === d.prefix || path.startsWith(`${d.prefix}/`));
  const index = (origin: string): Response => {
    const items = demos
      .map(
        (d) =>
          `<li><a href="${d.prefix}/">${d.title.replace('{origin}', origin)}</a> <small>(${d.source})</small></li>`,
      )
      .join('\n');
    const html = `<!doctype html><html><head><meta charset="utf-8"><title>verdant demos</title></head>
<body style="font-family:sans-serif;max-width:45em;margin:2em auto"><h1>verdant demo server</h1>
<p>Each demo runs its requests in greenlets on one <code>HttpServer</code> (<code>verdant/http</code>, <code>verdant/websocket</code>).</p>
<ul>
${items}
<li><a href="/chat/?mode=ws">Chat: WebSocket</a> <small>(seed 000, "Chat Server")</small></li>
</ul><p><small>${origin}</small></p></body></html>`;
    return new Response(html, { headers: { 'Content-Type': 'text/html; charset=utf-8' } });
  };
  const app: App = (req) => {
    const u = new URL(req.url);
    if (u.pathname === '/') return index(u.origin);
    const d = find(u.pathname);
    if (d === undefined) return new Response('not found', { status: 404 });
    if (u.pathname === d.prefix)
      return Response.redirect(`${u.origin}${d.prefix}/${u.search}`, 302);
    return d.app(unmount(req, d.prefix));
  };
  const websocket: Ws = (ws, req) => {
    const d = find(new URL(req.url).pathname);
    if (d?.websocket === undefined) return undefined;
    return d.websocket(ws, unmount(req, d.prefix));
  };
  return { app, websocket, stop: longPolling.stop };
}

/** Start the demo server on `port` (0: a free one). */
export async function startDemo(
  port: number,
  host = '127.0.0.1',
): Promise<{ server: HttpServer; stop: () => Promise<void> }> {
  const demo = createDemo();
  const server = new HttpServer([host, port], demo.app, { websocket: demo.websocket });
  await server.start();
  return {
    server,
    stop: async () => {
      await server.stop({ timeout: 1000 });
      await demo.stop();
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const port = Number(process.env.PORT ?? 8080);
  let started: Awaited<ReturnType<typeof startDemo>>;
  try {
    started = await startDemo(port);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    // The common first-run failure: another server (often an earlier demo) holds the port.
    console.error(
      `verdant demo server: port ${port} is already in use; stop what holds it or pick another port: PORT=${port + 1} npm start`,
    );
    process.exit(1);
  }
  const { server, stop } = started;
  console.log(
    `verdant demo server: http://localhost:${server.serverPort}/ (on 127.0.0.1; Ctrl-C stops it)`,
  );
  const onSignal = async (): Promise<void> => {
    console.log('stopping…');
    await stop();
  };
  process.once('SIGINT', () => spawn(onSignal));
  process.once('SIGTERM', () => spawn(onSignal));
  await server.serveForever();
}

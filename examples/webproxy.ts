/**
 * gevent's `examples/webproxy.py`: a small web proxy. `/` shows a form; `/<url>` fetches that
 * URL (with the request greenlet's `signal`, so a client that goes away aborts the fetch) and
 * rewrites the page's links so they go through the proxy again. A target that cannot be fetched
 * gets `502 Bad Gateway` with the error, as gevent's example answers.
 *
 * `main()` starts a local test site and the proxy on free ports, fetches the site through the
 * proxy and prints the rewritten link. Nothing leaves the machine. Run with a port to keep the
 * proxy serving (gevent's listens on 8088; 0 picks a free port, printed):
 * `node dist/examples/webproxy.js 8088`, then open http://127.0.0.1:8088/.
 */
import { pathToFileURL } from 'node:url';
import { Cancellation, Greenlet, getCurrent, until } from '../src/index.js';
import { HttpServer } from '../src/servers/http.js';

const FORM = `<html><head><title>Web Proxy - gevent example</title></head><body><form action="/" method="get">URL: <input name="url" size="60"> <input type="submit" value="Go"></form></body></html>`;

/** Make every absolute or root-relative href/src of `html` (from `origin`) go through the proxy. */
export function rewrite(html: string, origin: string, proxyBase: string): string {
  return html.replace(
    /(href|src)=(["'])([^"']*)\2/gi,
    (_m, attr: string, q: string, link: string) => {
      let abs: string;
      try {
        abs = new URL(link, `${origin}/`).href;
      } catch {
        return `${attr}=${q}${link}${q}`;
      }
      return `${attr}=${q}${proxyBase}/${abs}${q}`;
    },
  );
}

let loopbackOnly = false;

/** Refuse targets other than this machine (the demo server sets it). */
export function setLoopbackOnly(on: boolean): void {
  loopbackOnly = on;
}

export async function app(req: Request): Promise<Response> {
  const u = new URL(req.url);
  const proxyBase = u.origin + (req.headers.get('x-forwarded-prefix') ?? '');
  let target = u.pathname.slice(1) + u.search;
  if (target === '' || target.startsWith('?')) {
    const asked = u.searchParams.get('url');
    if (asked === null) return new Response(FORM, { headers: { 'Content-Type': 'text/html' } });
    target = asked.includes('://') ? asked : `http://${asked}`;
  }
  if (!/^https?:\/\//.test(target)) return new Response('bad url', { status: 400 });
  let hostname: string;
  try {
    hostname = new URL(target).hostname;
  } catch {
    return new Response('bad url', { status: 400 });
  }
  if (loopbackOnly && !/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(hostname)) {
    return new Response('this demo proxy only fetches from this machine', { status: 403 });
  }
  const me = getCurrent();
  // The request greenlet's signal (a kill or a client that went away aborts the fetch) and a
  // 10 s limit of the fetch's own (a timeout of it is the upstream's failure: a 502 below).
  const limit = AbortSignal.timeout(10_000);
  const signal = me instanceof Greenlet ? AbortSignal.any([me.signal, limit]) : limit;
  try {
    // Redirects go back to the client (not followed here: the loopback check saw only this URL).
    const r = await until(fetch(target, { signal, redirect: loopbackOnly ? 'manual' : 'follow' }));
    const type = r.headers.get('content-type') ?? 'application/octet-stream';
    if (!type.includes('text/html'))
      return new Response(r.body, { status: r.status, headers: { 'Content-Type': type } });
    const html = await until(r.text());
    return new Response(rewrite(html, new URL(target).origin, proxyBase), {
      status: r.status,
      headers: { 'Content-Type': type },
    });
  } catch (e) {
    if (e instanceof Cancellation) throw e;
    // As gevent's webproxy.py: the upstream failed, 502 Bad Gateway with the error and the URL.
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    const msg = escapeHtml(`${String(e)}${cause === undefined ? '' : ` (${cause})`}`);
    return new Response(`<h1>${msg}</h1><h2>${escapeHtml(target)}</h2>`, {
      status: 502,
      headers: { 'Content-Type': 'text/html' },
    });
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export async function main(): Promise<void> {
  const site = new HttpServer(
    ['127.0.0.1', 0],
    () => new Response('<a href="/page2">next</a>', { headers: { 'Content-Type': 'text/html' } }),
    { log: null },
  );
  await site.start();
  const proxy = new HttpServer(['127.0.0.1', 0], app, { log: null });
  await proxy.start();
  const r = await fetch(
    `http://127.0.0.1:${proxy.serverPort}/http://127.0.0.1:${site.serverPort}/`,
  );
  const html = await r.text();
  console.log(
    html.replaceAll(String(proxy.serverPort), 'PROXY').replaceAll(String(site.serverPort), 'SITE'),
  );
  await proxy.stop();
  await site.stop();
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

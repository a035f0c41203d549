/**
 * A small web site on 127.0.0.1 for the examples that fetch (the crawler, the pile, the monkey
 * example): each page has a fixed body and answers after a fixed delay; a page with no body
 * never answers. Plain `node:http`; not an example itself.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One page: its body (omit it for a page that never answers) and its delay in ms. */
export interface Page {
  body?: string | Uint8Array;
  delay?: number;
}

/** A running site. */
export interface Site {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** Called with the path of each request as it arrives. */
  onRequest: ((path: string) => void) | null;
  /** Called each time a client connection closes. */
  onClose: (() => void) | null;
  /** Stop listening and drop every connection. */
  close(): Promise<void>;
}

/** Start a site serving `pages` (keyed by path) on 127.0.0.1, on a free port. */
export async function startSite(pages: Record<string, Page>): Promise<Site> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const site: Site = { origin: '', onRequest: null, onClose: null, close };
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    site.onRequest?.(path);
    const page = pages[path];
    if (page === undefined) {
      res.writeHead(404).end();
      return;
    }
    const { body } = page;
    if (body === undefined) return; // never answers
    const t = setTimeout(() => {
      timers.delete(t);
      res.writeHead(200, { 'content-length': String(Buffer.byteLength(body)) }).end(body);
    }, page.delay ?? 0);
    timers.add(t);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => {
      sockets.delete(s);
      site.onClose?.();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  site.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function close(): Promise<void> {
    for (const t of timers) clearTimeout(t);
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  }
  return site;
}

// The server side of verdant/websocket: HttpServer loads this module when it starts with a
// `websocket` option, and routes upgrade requests here (see websocket.ts's design note). A handler
// greenlet is a member of the server's Group, but takes no slot of a bounded Pool: it lives as long
// as its socket, and the pool bounds requests (test: test/servers/websocket.test.ts "an open
// websocket takes no slot of a bounded Pool …").
//
// Access log: an upgraded request writes its one line (status 101, bytes `-`, the seconds its
// handler ran) when its handler greenlet ends, not when the upgrade completes: as pywsgi writes
// it when the WebSocket handler returns, and so that the line's time covers the connection
// (test: "an upgraded request writes one access-log line, status 101, when its handler returns").
// A handshake refused (`ws`'s 405 and 400s, our 400 for a URL the Fetch API refuses, the 426 of a
// stopping server) writes its line at once, status and body bytes as sent, like any answered
// request (test: "a refused WebSocket handshake writes one access-log line …").
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket as RawWebSocket, WebSocketServer } from 'ws';
import { Greenlet } from '../core/greenlet.js';
import { kAddLink, quietLinkEntry } from '../core/lowlevel.js';
import { readMaxMessageSize, readPingInterval } from './_ws-options.js';
import type { HttpServer, UpgradeHook } from './http.js';
import { WebSocket, type WebSocketHandler, type WebSocketServerOptions } from './websocket.js';

/** Largest message accepted by default: 16 MiB. */
const DEFAULT_MAX = 16 * 1024 * 1024;

function describe(x: unknown): string {
  if (x === null) return 'null';
  return typeof x === 'string' ? JSON.stringify(x) : typeof x;
}

/** The answer to an upgrade request whose URL or headers the Fetch API refuses. */
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

/** What an upgraded request's access-log line needs, kept while its handler runs. */
interface LogEntry {
  readonly client: string;
  readonly requestLine: string;
  readonly start: number;
}

function toRequest(server: HttpServer, req: IncomingMessage): Request {
  const headers = new Headers();
  const h = req.rawHeaders;
  for (let i = 0; i < h.length; i += 2) headers.append(h[i] as string, h[i + 1] as string);
  // The same URL the Fetch handler gets (an absolute-form target as it is).
  return new Request(server._urlOf(req, req.url ?? '/', req.headers.host), { headers });
}

/**
 * @internal The server side, made by HttpServer when it starts with a `websocket` option.
 */
export function _makeUpgradeHook(option: unknown): UpgradeHook {
  const opts: WebSocketServerOptions =
    typeof option === 'function'
      ? { handler: option as WebSocketHandler }
      : (option as WebSocketServerOptions);
  if (opts === null || typeof opts !== 'object' || typeof opts.handler !== 'function') {
    throw new TypeError(
      `HttpServer: websocket must be a handler function or {handler}, got ${describe(option)}`,
    );
  }
  const where = 'HttpServer: websocket';
  const pingInterval = readPingInterval(opts.pingInterval, where, 30000);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: readMaxMessageSize(opts.maxMessageSize, where, DEFAULT_MAX),
  });
  const live = new Set<Greenlet>();
  /** The handlers' access-log entries (only while the server has a log). */
  const logged = new Map<Greenlet, LogEntry>();
  const sockets = new Set<RawWebSocket>();
  let server: HttpServer | null = null;
  // Shared by every connection (no closure per socket): `ws` calls it with `this` = the socket.
  const forget = function (this: RawWebSocket): void {
    sockets.delete(this);
  };
  const ended = quietLinkEntry((g: Greenlet<unknown>): void => {
    live.delete(g);
    const entry = logged.get(g);
    if (entry !== undefined) {
      logged.delete(g);
      const seconds = (performance.now() - entry.start) / 1000;
      server?._writeAccessLog(entry.client, entry.requestLine, 101, null, seconds);
    }
    server?._checkIdle();
  });
  return {
    handleUpgrade(srv: HttpServer, req: IncomingMessage, socket: Duplex, head: Buffer): void {
      const start = performance.now();
      let request: Request;
      try {
        request = toRequest(srv, req);
        srv._noteClient(request, socket);
      } catch {
        socket.end(BAD_REQUEST);
        srv._logUnupgraded(req, BAD_REQUEST, start);
        return;
      }
      // `ws` refuses a handshake (405, 400 …) with one `socket.end(answer)` made within its
      // handleUpgrade, or destroys a socket whose client has gone: read that answer there for
      // the access log (only when the server logs).
      let upgraded = false;
      let answer: string | null = null;
      let client = '-';
      const end = socket.end;
      if (srv.log !== null) {
        client = req.socket.remoteAddress ?? '-';
        socket.end = function (this: Duplex, ...args: unknown[]): Duplex {
          if (typeof args[0] === 'string') answer = args[0];
          return (end as (...a: unknown[]) => Duplex).apply(this, args);
        } as Duplex['end'];
      }
      try {
        wss.handleUpgrade(req, socket, head, (raw) => {
          upgraded = true;
          onUpgraded(srv, req, socket, raw, request, start);
        });
      } finally {
        if (srv.log !== null) {
          socket.end = end;
          if (!upgraded) srv._logUnupgraded(req, answer, start, client);
        }
      }
    },
    closeAll(): void {
      // stop() at its timeout and close(): each connection gets its close frame (1001), as a
      // killed handler's does, then drops at once.
      for (const s of sockets) goAway(s);
      wss.close();
    },
    inflight(): Set<Greenlet> {
      return live;
    },
  };

  function onUpgraded(
    srv: HttpServer,
    req: IncomingMessage,
    socket: Duplex,
    raw: RawWebSocket,
    request: Request,
    start: number,
  ): void {
    server = srv;
    sockets.add(raw);
    raw.on('close', forget);
    const ws = new WebSocket(raw, pingInterval, socket);
    const g = new Greenlet(runHandler, opts.handler, ws, request);
    live.add(g);
    if (srv.log !== null) {
      logged.set(g, {
        client: req.socket.remoteAddress ?? '-',
        requestLine: `${req.method} ${req.url} HTTP/${req.httpVersion}`,
        start,
      });
    }
    g[kAddLink](ended);
    if (srv.pool.freeCount() !== Number.POSITIVE_INFINITY) {
      // A websocket is long-lived: it neither waits for nor takes a slot of a bounded pool
      // (the pool bounds requests; one open socket holding a slot for its lifetime starved
      // them), whether the pool is full or not.
      g.start();
    } else {
      srv.pool.start(g); // a Group (unbounded) tracks it as a member
    }
  }
}

async function runHandler(
  handler: WebSocketHandler,
  ws: WebSocket,
  request: Request,
): Promise<void> {
  try {
    await handler(ws, request);
  } catch (err) {
    if ((err as Error)?.name === 'GreenletExit') goAway(ws.raw);
    else ws.close(1011, 'Internal Error');
    throw err;
  }
  ws.close(1000);
}

/** How long a going-away connection may take to flush what it holds before it is dropped. */
const FLUSH_GRACE_MS = 1000;

/**
 * Drop `raw` after its close frame, 1001 (Going Away), without waiting for the peer's: the end
 * of a killed handler, and of every connection at `stop()`'s timeout or `close()`.
 * gevent-websocket's handler closes the socket from its `finally`, close frame first; a peer
 * that gets none sees 1006 (test: "a killed handler (at stop's timeout, or by a kill) sends a
 * close frame …"). The close frame goes out behind the frames Node still holds (a big message
 * a killed `send()` was waiting to flush): with nothing held the connection drops at once;
 * else it ends (flush, then FIN) and drops once flushed or after {@link FLUSH_GRACE_MS}, so a
 * peer that does not read cannot hold it. Dropped at once, it lost those frames and the close
 * frame behind them (test: "a handler killed while its send of a big message …").
 */
function goAway(raw: RawWebSocket): void {
  if (raw.readyState === raw.OPEN) {
    try {
      raw.close(1001);
    } catch {
      // the socket is going anyway
    }
  }
  const socket = (raw as unknown as { _socket?: Duplex | null })._socket;
  if (socket == null || socket.destroyed || socket.writableLength === 0) {
    raw.terminate();
    return;
  }
  socket.end();
  const timer = setTimeout(() => raw.terminate(), FLUSH_GRACE_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

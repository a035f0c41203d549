/**
 * `verdant/http`: `HttpServer`, gevent's `pywsgi.WSGIServer` the Node way — `node:http` parses
 * and frames, each request runs in its own greenlet.
 *
 * Design note — who owns what.
 * - **Framing is node:http's.** Status lines, `Connection` headers, chunked encoding, HEAD and
 *   204/304 (no body on the wire), 400 for malformed input and 431 for too-large heads all come
 *   from `node:http`; this module writes raw bytes only in its `clientError` listener, which
 *   answers as node:http's default does, except 414 when the request line alone overflows
 *   `maxHeaderSize` (`uriTooLong`; test "a too-long request-URI gets 414"). That is decided from
 *   every byte of the head, however its packets split it: node:http's per-packet parser callback
 *   is wrapped to keep where a head in progress stands (`trackHead`; one comparison per packet,
 *   the packet read only while a head is in progress). Bytes after a request with
 *   `Connection: close` are ignored, not answered with 400 (pywsgi closes), and an HTTP/1.1
 *   request without `Host` is served (pywsgi serves it; node:http would answer 400). Tests:
 *   test/servers/http.clienterror.test.ts, test/servers/http.pywsgi.test.ts
 *   ("CommonTestMixin.test_connection_close …"). A Fetch body of unknown length goes out
 *   as one `res.write` per piece the `ReadableStream` (or async iterable) yields, never coalesced,
 *   so on HTTP/1.1 each piece is one chunk. Tests: test/servers/http.wire.test.ts.
 * - **One greenlet per request.** The `'request'` event (outside any greenlet) builds a
 *   `Greenlet` and starts it (in the `Pool` given as `spawn` when there is one; a full pool queues
 *   the request FIFO until a member ends). `getCurrent()` inside the app is that greenlet, so
 *   `Local` is request-scoped, and its `signal` (`getCurrent().signal`, which a Fetch handler also
 *   gets as `request.signal`) aborts when the client goes away. A connection that
 *   closes before its response is complete kills the greenlets of its requests (one `'close'`
 *   listener per connection, not per request), and a request of it still queued for a pool slot
 *   never starts. Tests: test/servers/http.test.ts "client disconnect …", "Local …",
 *   test/servers/http.disconnect.test.ts "a request pipelined behind another that waits for a
 *   slot of a full Pool …". A client's FIN counts as leaving (node:http's default, not
 *   `httpAllowHalfOpen`): a client that only shuts down its sending side after a request gets no
 *   answer, where pywsgi answers it. On the wire a FIN and a client that left look the same, and a
 *   departed client's request greenlet is killed at once (a long poll must not wait for its
 *   first write to notice): half-open serving would break that promise.
 * - **Odd request targets.** `OPTIONS *` reaches a Fetch handler as a Request for
 *   `http://host/*` (pywsgi's PATH_INFO is '*'; a URL has no path without its '/'), a Node
 *   handler as `req.url` '*'. A `CONNECT` gets 501 Not Implemented and its connection closes
 *   (node:http dropped it without a byte): the Fetch API forbids the method, node:http gives it
 *   no response object, a tunnel needs the raw connection; an application's own 'connect'
 *   listener on `server.server` takes it over. Tests: test/servers/http.edge.test.ts.
 * - **Failures.** An app that throws before the head went out gets a 500 with
 *   `Connection: close` (also a Node handler whose `writeHead` head node:http still holds, not
 *   yet written: test/servers/http.pywsgi.test.ts "TestError_after_start_response …"); after
 *   it, the connection is cut (no final chunk: the client sees the
 *   body is incomplete). Either way the greenlet fails and the hub reports it (our bookkeeping
 *   link is quiet). A killed greenlet cuts its connection and is not reported; so does one whose
 *   client left while it read the request body: that read fails with the kill itself (a Fetch
 *   body), or node:http's `ECONNRESET` is taken for it (a Node handler), never a failure; and so
 *   does one whose client left while it was in a foreign await, whose response with a
 *   `Content-Length` then ends destroyed (node:http's length mismatch is taken for the kill)
 *   (tests: test/servers/http.disconnect.test.ts).
 * - **Waits.** Waiting for `'drain'` and for the next piece of a streamed body go through
 *   `until`, so a kill or `Timeout` lands there; a killed streaming response cancels its body
 *   stream (the generator's `finally` runs). A piece that arrives within a few microtasks is
 *   taken without that round trip, except every 16th, so a fast producer with a fast client
 *   still gives the turn away and can be killed (test/servers/http.test.ts: "a client gone
 *   mid-stream …"). A client that goes away while the server waits for a body cancels the
 *   stream at once, from the connection's close (`guardBody`), before the kill lands: a `pull()`
 *   waits in the request greenlet, so the kill would error the stream there first and its
 *   `cancel()` would never run (test/servers/http.disconnect.test.ts).
 * - **Known length.** A Fetch `Response` built from a string, bytes or a `Blob` delivers its body
 *   as one piece followed by the end; the server reads the first piece, then looks whether the
 *   end follows at once (a few microtasks, then one turn of Node's loop). If it does, the body
 *   goes out with `Content-Length`; if not, the first piece is sent at once and the rest streams.
 *   A `Response` that sets its own `Content-Length` or `Transfer-Encoding` keeps it and gets no
 *   `Content-Length` added (node:http chunks a body whose `Transfer-Encoding` says chunked, as it
 *   does a Node handler's): test "a Fetch Response whose own headers say Transfer-Encoding …".
 *   One whose last coding is not chunked closes the connection after it, its body's only end
 *   (RFC 9112 §6.3): test "a Fetch Response whose Transfer-Encoding does not end in chunked …".
 * - **Unread bodies.** A request body the Fetch app did not read that has already arrived whole
 *   (node:http has parsed its end, or holds all its `Content-Length` bytes; the request greenlet
 *   can run before the parser reports the end of a body sent in the head's packet, so for a
 *   chunked one, which has no length to count, the server lets one turn of Node's loop pass
 *   first) is dropped and the connection goes on, also after an `Expect: 100-continue` left
 *   unanswered (node:http would close); otherwise a small one is read to its end, and a large
 *   one, one of unknown length, or one whose client still waits for 100 makes the connection
 *   close after the response. Tests: test/servers/http.wire.test.ts "an unread small body …",
 *   "an unread chunked body that has arrived whole …", "an unread chunked body that has not
 *   ended …", test/servers/http.pywsgi.test.ts "Expect100ContinueTests.test_continue …",
 *   "ChunkedInputTests.test_short_read …".
 * - **A body that stops coming.** Whatever the handler (Fetch or Node), a request whose body is not
 *   complete when its greenlet ends (read in part, or a small one left to node:http to read) gets
 *   500 ms once its response is out for the rest to come, then its connection closes
 *   (`closeIfBodyStalls`): a stalled client never holds a keep-alive connection until
 *   `requestTimeout`. Tests: test/servers/http.wire.test.ts "a body the app started and gave up
 *   on …", "a small unread body with a Content-Length that stops coming …", "a Node handler that
 *   read part of a body and answered …".
 * - **Stop.** `stop({timeout})` closes the listener and every idle keep-alive connection at
 *   once; the requests in flight finish, and the last response of each connection carries
 *   `Connection: close` (or, when its head already went out, its connection closes after it), so
 *   every request a client pipelined before the stop is answered; a connection is busy until
 *   node:http has detached its last response ('finish'), not merely until the greenlets end, so a
 *   large body to a slow client goes out whole; at `timeout` the greenlets still
 *   running are killed and every connection is dropped. A connection accepted that has not sent
 *   its first request yet is not idle: its client has just sent (or is sending) a request, and
 *   closing it would reset that client on a fresh connection, which it may not retry. So stop
 *   keeps it, for up to `timeout`, and answers its request with `Connection: close`. node:http's
 *   `closeIdleConnections()` (also run by its `close()`) closes those too, so this module closes
 *   idle connections itself and closes the listener with node:http's `close()` minus that step.
 *   Tests: "stop() under load loses no in-flight request", "stop() answers every request a client
 *   pipelined before it …", "stop() lets a response whose …", "stop() answers a request sent on a
 *   connection accepted just before it", test/servers/cluster.test.ts (rolling restart).
 * - **An upgrade behind responses in progress.** A WebSocket handshake pipelined on a connection
 *   whose responses are still going out (`_httpMessage` set) waits for them: node:http hands the
 *   connection to each queued response at the 'finish' of the one before, and the handshake is
 *   handled (taken, refused, or 426 when stopping) once none is left, never written in the middle
 *   of one. Meanwhile the connection is read (node:http no longer does): what comes is handed on
 *   with the handshake's `head`, and a client's FIN closes it. A connection that ends first (the
 *   client left, a `Connection: close` response such as the last one during stop(), a stop that
 *   timed out) writes nothing for the handshake, logged `000`. Tests: test/servers/websocket.test.ts
 *   "a WebSocket handshake pipelined behind a request in progress whose client leaves …", "a
 *   WebSocket handshake sent during stop() behind a request in progress …" and the two before them.
 * - **No per-request prototype swap, no global replaced.** `req`/`res` are node:http's own
 *   objects (`res` of a subclass node:http builds through its `ServerResponse` option,
 *   `StrictResponse`, whose only change lets `end(chunk)` of a body that matches its
 *   `Content-Length` take node:http's one-write path despite `strictContentLength`: test
 *   test/servers/http.wire.test.ts "a Node handler's end(chunk) matching …"); the `Response` is
 *   the global one, the `Request` an instance of a subclass of the
 *   global `Request` (`instanceof Request` holds) whose only change is a lazy `signal`.
 *   `clientAddress(request)` reads the connection through the same private field when asked:
 *   nothing is stored per request for it (test: test/servers/http.test.ts "clientAddress …").
 * - **The hot path.** A request greenlet is a `RequestGreenlet` (one shape, no arguments array);
 *   a synchronous Node handler runs and ends without a promise; a Fetch request is built from
 *   `rawHeaders` in one pass (node:http's `req.headers` is never made), with no body object for a
 *   request without a body; a response body that settles within a few microtasks (string, bytes)
 *   is read without a hub round trip. A request greenlet has one link (the pool's membership
 *   and the server's bookkeeping together). The default access log (process.stderr/stdout)
 *   writes the lines of one turn of Node's loop at once, at its end or at process exit (test:
 *   "the default access log goes to stderr …"); the log time is formatted once per second.
 * - **Every answer is logged, with what went on the wire.** A request's line is written when its
 *   response closes, with the status of the head handed to the connection (`000` for a head set
 *   by `writeHead` that never went out) and the body bytes the app gave (never chunk framing);
 *   when node:http refused its body before the response's head went out, the refusal is what
 *   the client read (`kRaw`), whatever the app writes after (a chunked body broken in the
 *   packet of its head is refused before the app runs); once the head is on the wire a refusal
 *   cuts the connection (a status line there would land inside the body). A refused head,
 *   which has no request, gets its line when the refusal is written (seconds 0); a 417
 *   (`checkExpectation`), a request queued for a pool slot whose client left (`000`) and
 *   refused WebSocket handshakes get theirs too. A response node:http still queues behind
 *   another (pipelined) when its connection ends never emits 'close': the connection's close logs
 *   every request of it not logged yet, `000` (nothing of it went out; one set per connection,
 *   only when logging). Tests: test/servers/http.disconnect.test.ts "requests pipelined behind a
 *   slow one whose client leaves …", "stop({timeout}) that kills a slow request logs …";
 *   test/servers/http.test.ts "the access log says 400 for a chunked body broken in the packet
 *   of its head …", test/servers/http.clienterror.test.ts "every head node:http refuses writes
 *   its access-log line …", test/servers/websocket.test.ts "a refused WebSocket handshake …".
 *
 * @module verdant/http
 */

import type { IncomingMessage, Server } from 'node:http';
import { createServer as createHttpServer, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createRequire } from 'node:module';
import type { Server as NetServer, Socket as NetSocket } from 'node:net';
import { type Duplex, finished } from 'node:stream';
import { until } from '../core/api.js';
import { Greenlet } from '../core/greenlet.js';
import { getHub } from '../core/hub.js';
import {
  checkOptionKeys,
  isPromiseLike,
  type LinkEntry,
  quietLinkEntry,
  settleShape,
} from '../core/lowlevel.js';
import { Timeout } from '../core/timeout.js';
import { checkListenOptions } from '../io/_connect.js';
import type { Address } from '../io/_errors.js';
import { Event } from '../sync/event.js';
import { readMaxMessageSize, readPingInterval, WS_SERVER_KEYS } from './_ws-options.js';
import { _routeOnlyWebSocketUpgrades } from './_ws-route.js';
import {
  BaseServer,
  type Listener,
  readStopTimeout,
  type SpawnOption,
  type StopOptions,
} from './base.js';

export { type ClusterHandle, type ClusterOptions, runCluster } from './cluster.js';
export type { Listener, StopOptions };

/** A Fetch handler: gets the standard `Request`, returns a `Response` (or a promise of one). */
export type FetchHandler = (request: Request) => Response | PromiseLike<Response>;

/** A Node handler: node:http's `(req, res)`; it may return a promise. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

/** Anything with `write(string)`: `process.stderr`, a file stream, a logger adapter. */
export interface LogSink {
  /** Write one access-log line (it ends with `\n`). */
  write(text: string): unknown;
}

/**
 * What handles an upgraded WebSocket connection: installed by `verdant/websocket`.
 * @internal
 */
export interface UpgradeHook {
  handleUpgrade(server: HttpServer, req: IncomingMessage, socket: Duplex, head: Buffer): void;
  closeAll(): void;
  inflight(): Set<Greenlet>;
}

/** Options of {@link HttpServer}. Durations in milliseconds. */
export interface HttpServerOptions {
  /**
   * A `Pool` (bounds concurrent requests; a WebSocket handler, long-lived, takes no slot of it),
   * a pool size, a `Group` (which also tracks the WebSocket handlers), or omitted (no bound).
   */
  spawn?: SpawnOption;
  /**
   * Access log sink (one common-log-format line per request, pywsgi's); `null` disables it.
   * Default `process.stderr`. Every answer gets its line, also those the app never sees (a
   * head node:http refuses with 400, 414, 431 or 408, whose request line is `-` unless it came
   * alone in the connection's first packet; a 417; a refused WebSocket handshake). The status is
   * the one the client got (400 for a body node:http refused, even when the app answered after
   * that), `000` when the client left before any answer, as pywsgi writes it; the bytes are the
   * response body's (never chunk framing), `-` for none.
   */
  log?: LogSink | null;
  /**
   * The listen backlog: how many connections the kernel queues before the server takes them
   * (node:http's `listen({backlog})`, default 511; pywsgi's `backlog`). An integer from 0 to
   * 2^31 - 1; not with a listening `Socket` as the listener (give it to `listen()`).
   */
  backlog?: number;
  /** TLS private key (PEM): with `cert`, the server speaks HTTPS. */
  key?: string | Buffer;
  /** TLS certificate chain (PEM). */
  cert?: string | Buffer;
  /**
   * Time to receive a request's head, ms (node:http's `headersTimeout`, default 60000): an
   * integer up to 2^31 - 1, at most `requestTimeout`; 0 or `Infinity`: no limit of its own (the
   * `requestTimeout` still applies).
   */
  headersTimeout?: number;
  /**
   * Time to receive a whole request, ms (node:http's `requestTimeout`, default 300000, or the
   * `headersTimeout` if longer): an integer up to 2^31 - 1; 0 or `Infinity`: no limit.
   */
  requestTimeout?: number;
  /**
   * How long an idle keep-alive connection stays open, ms (default 5000): an integer up to
   * 2^31 - 1; 0 or `Infinity`: no limit.
   */
  keepAliveTimeout?: number;
  /**
   * Largest request head in bytes, a positive integer (node:http's `maxHeaderSize`, default
   * 16384). Larger: 431, or 414 when the request line alone is larger.
   */
  maxHeaderSize?: number;
  /**
   * A request body the Fetch app left unread larger than this (bytes, default 65536, or of unknown
   * length) makes the connection close after the response instead of reading it to the end,
   * unless it has already arrived whole (then it is dropped and the connection goes on).
   * `Infinity`: always read the rest of a body with a `Content-Length`. The rest of a body read
   * this way, or that the app (Fetch or Node) read in part, must come within 500 ms of the
   * response's end, or the connection closes.
   */
  maxDiscard?: number;
  /**
   * WebSocket handler `(ws, request)` (see `verdant/websocket`), or
   * `{handler, maxMessageSize, pingInterval}`: upgrade requests run it in their own greenlet.
   */
  websocket?:
    | ((ws: import('./websocket.js').WebSocket, request: Request) => unknown)
    | import('./websocket.js').WebSocketServerOptions;
}

const kConn = Symbol('verdant.http.conn');
const kLogQ = Symbol('verdant.http.logq');
const NO_ARGS: readonly never[] = [];

interface ConnState {
  /** The request greenlets of this connection not yet done (one, or a few when pipelined). */
  readonly reqs: RequestGreenlet[];
}

/** The server of an open connection (set when it is accepted). */
const kServer = Symbol('verdant.http.server');

type ConnSocket = NetSocket & {
  [kConn]?: ConnState;
  [kServer]?: HttpServer;
  /** The access-log writers of this connection's requests not logged yet (only when logging). */
  [kLogQ]?: Set<(gone?: boolean) => void>;
  /** node:http's response in progress on this connection, `null` between requests. */
  _httpMessage?: ServerResponse | null;
};

function noop(): void {}

/** A Host header value: a reg-name, IPv4 or bracketed IPv6 literal, then an optional port. */
const HOST_RE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::[0-9]*)?$/;

/** Months for the common log format. */
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * The common-log-format time: `29/Nov/2026:21:12:44 +0000` (UTC).
 * @internal
 */
export function formatLogTime(d: Date): string {
  return `${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad2(
    d.getUTCHours(),
  )}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`;
}

/**
 * One access-log line (with its `\n`):
 * `<client> - - [<time>] "<request line>" <status> <bytes|-> <seconds>`; status 0 (no answer:
 * the client left first) is written `000`, as pywsgi writes it.
 * @internal
 */
export function formatLogLine(
  client: string,
  time: Date,
  requestLine: string,
  status: number,
  bytes: number | null,
  seconds: number,
): string {
  return logLine(client, formatLogTime(time), requestLine, status, bytes, seconds);
}

function logLine(
  client: string,
  time: string,
  requestLine: string,
  status: number,
  bytes: number | null,
  seconds: number,
): string {
  const b = bytes === null || bytes === 0 ? '-' : String(bytes);
  const st = status === 0 ? '000' : status;
  return `${client} - - [${time}] "${requestLine}" ${st} ${b} ${seconds.toFixed(6)}\n`;
}

/** The common-log-format time of the current second, formatted once per second. */
let logSecond = -1;
let logTime = '';
function logTimeNow(): string {
  const now = Date.now();
  const sec = Math.floor(now / 1000);
  if (sec !== logSecond) {
    logSecond = sec;
    logTime = formatLogTime(new Date(now));
  }
  return logTime;
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  return typeof x === 'string' ? JSON.stringify(x) : typeof x;
}

/**
 * 2^31 - 1: the longest interval a Node timer keeps (node:http sets `keepAliveTimeout` on the
 * socket's timer, and a longer one fires after 1 ms).
 */
const MAX_TIMER_MS = 2147483647;

/**
 * A node:http timeout option (ms) as node:http takes it: `undefined` for none given, 0 for no
 * limit (given as 0 or `Infinity`). TypeError for a value that is not a number, RangeError for a
 * negative, NaN or fractional one or one longer than a Node timer can wait.
 */
function readMs(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') {
    throw new TypeError(`HttpServer: ${name} must be a number of ms, got ${typeof v}`);
  }
  if (v === Number.POSITIVE_INFINITY) return 0;
  if (!Number.isInteger(v) || v < 0 || v > MAX_TIMER_MS) {
    throw new RangeError(
      `HttpServer: ${name} must be an integer number of ms from 0 to ${MAX_TIMER_MS} (0 or Infinity: no limit), got ${v}`,
    );
  }
  return v;
}

/** A byte-count option: TypeError for a value that is not a number, RangeError below `min`. */
function readBytes(v: unknown, name: string, min: number, what: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') {
    throw new TypeError(`HttpServer: ${name} must be a number of bytes, got ${typeof v}`);
  }
  if (!(v >= min) || (v !== Number.POSITIVE_INFINITY && !Number.isInteger(v))) {
    throw new RangeError(`HttpServer: ${name} must be ${what}, got ${v}`);
  }
  return v;
}

function waitEvent(emitter: NodeJS.EventEmitter, a: string, b: string): Promise<void> {
  return until(
    new Promise<void>((resolve) => {
      const done = (): void => {
        emitter.off(a, done);
        emitter.off(b, done);
        resolve();
      };
      emitter.on(a, done);
      emitter.on(b, done);
    }),
  );
}

/** The request body as a web stream that reads `req` only when pulled (100-continue then). */
function bodyStream(
  req: IncomingMessage,
  res: ServerResponse,
  state: FetchState,
  g: RequestGreenlet,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      pull(ctrl): Promise<void> | undefined {
        state.bodyTouched = true;
        if (state.expectContinue) {
          state.expectContinue = false;
          if (!res.headersSent && !res.destroyed) res.writeContinue();
        }
        const chunk = req.read() as Buffer | null;
        if (chunk !== null) {
          ctrl.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          return undefined;
        }
        if (req.readableEnded) {
          state.bodyDone = true;
          ctrl.close();
          return undefined;
        }
        return new Promise<void>((resolve) => {
          const finish = (): void => {
            req.off('readable', onReadable);
            req.off('end', onEnd);
            req.off('error', onError);
            req.off('close', onClose);
            resolve();
          };
          const onReadable = (): void => {
            const c = req.read() as Buffer | null;
            if (c !== null) {
              finish();
              ctrl.enqueue(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
            }
          };
          const onEnd = (): void => {
            finish();
            state.bodyDone = true;
            ctrl.close();
          };
          const onError = (err: Error): void => {
            finish();
            // A client gone: the read fails with the kill that ends the request (not a failure).
            ctrl.error(clientGoneExit(g) ?? err);
          };
          const onClose = (): void => {
            if (req.readableEnded) return;
            finish();
            ctrl.error(
              clientGoneExit(g) ??
                new Error('The client closed the connection before the request body ended'),
            );
          };
          req.on('readable', onReadable);
          req.on('end', onEnd);
          req.on('error', onError);
          req.on('close', onClose);
        });
      },
      cancel(): void {
        state.bodyTouched = true;
      },
    },
    { highWaterMark: 0 },
  );
}

interface FetchState {
  expectContinue: boolean;
  bodyTouched: boolean;
  bodyDone: boolean;
}

const PENDING = Symbol('pending');
/** Awaiting it lets one microtask tick pass. */
const RESOLVED = Promise.resolve();
type Read = { done: true; value?: undefined } | { done: false; value: Uint8Array };

function nextTurn(): Promise<typeof PENDING> {
  return new Promise((resolve) => setImmediate(resolve, PENDING));
}

function toBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return Buffer.from(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  throw new TypeError(
    `HttpServer: a response body piece must be bytes or a string, got ${describe(v)}`,
  );
}

/**
 * The answer to a CONNECT request (when the application added no 'connect' listener of its own):
 * neither handler can take it (the Fetch API forbids the method; node:http routes it off the
 * request path, without a response object), and a tunnel needs the raw connection.
 */
const NOT_IMPLEMENTED =
  'HTTP/1.1 501 Not Implemented\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

/** The answer to an upgrade request the server no longer takes (stopping). */
const UPGRADE_REQUIRED =
  'HTTP/1.1 426 Upgrade Required\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

const INTERNAL_ERROR = 'Internal Server Error';
/** The 500 written straight to the connection when the app's head is set but not sent. */
const RAW_500 = `HTTP/1.1 500 ${INTERNAL_ERROR}\r\nContent-Type: text/plain\r\nContent-Length: ${INTERNAL_ERROR.length}\r\nConnection: close\r\n\r\n${INTERNAL_ERROR}`;

/** node:http's answers to a head it refuses, plus 414 (the request line alone is too long). */
const CLIENT_ERRORS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: '413 Payload Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
  URI_TOO_LONG: '414 URI Too Long',
};

type ParseError = Error & { code?: string; bytesParsed?: number; rawPacket?: Buffer };

/**
 * Where the current line of a request head stands, from the bytes received for it so far (kept
 * per connection across packets, see {@link trackHead}): `LINE_START` at a line's start or in a
 * token (a method), `IN_URI` after `METHOD ` with no space or CR since (the request line is still
 * being received), `OTHER` anything else (a header line, a finished request line).
 */
const LINE_START = 0;
const IN_URI = 1;
const OTHER = 2;
const METHOD_CHARS = /^[!#$%&'*+.^_`|~0-9A-Za-z-]*$/;

/** The line state after `buf` (from `st`, the state before it). */
function lineState(st: number, buf: Buffer): number {
  let start = 0;
  const lf = buf.lastIndexOf(0x0a);
  if (lf >= 0) {
    st = LINE_START;
    start = lf + 1;
  }
  if (st === OTHER || start === buf.length) return st;
  if (st === LINE_START) {
    const sp = buf.indexOf(0x20, start);
    const stop = sp < 0 ? buf.length : sp;
    if (!METHOD_CHARS.test(buf.toString('latin1', start, stop))) return OTHER;
    if (sp < 0) return LINE_START;
    start = sp + 1;
  }
  return buf.indexOf(0x20, start) < 0 && buf.indexOf(0x0d, start) < 0 ? IN_URI : OTHER;
}

/** node:http's parser, as far as the head tracking reads it. */
type HeadParser = {
  incoming: IncomingMessage | null;
  getCurrentBuffer(): Buffer;
  [kLine]?: number;
  [kSeen]?: IncomingMessage | null;
  [kExecute]?: (ret: unknown) => unknown;
};
const kLine = Symbol('verdant.http.line');
const kSeen = Symbol('verdant.http.seen');
const kExecute = Symbol('verdant.http.execute');
/** The index of node:http's per-packet parser callback (`HTTPParser.kOnExecute`). */
const ON_EXECUTE: number | undefined = (() => {
  try {
    const k = (
      createRequire(import.meta.url)('_http_common') as { HTTPParser?: { kOnExecute?: unknown } }
    ).HTTPParser?.kOnExecute;
    return typeof k === 'number' ? k : undefined;
  } catch {
    return undefined;
  }
})();

/** A packet of `parser`'s connection was parsed: keep the line state of a head in progress. */
function noteChunk(parser: HeadParser, chunk: Buffer | null): void {
  const inc = parser.incoming;
  if (inc !== null && inc !== parser[kSeen]) {
    // A head completed in this packet: a new one starts afresh. (node:http sets `incoming` back
    // to null once a response is done, never to an earlier request.) The rest of this packet is
    // not read: getCurrentBuffer() copies the packet, a cost on every request's hot path. So a
    // request line that starts here, after a pipelined request, and overflows in a later packet
    // is judged from that later packet alone (it may get 431 rather than 414).
    parser[kSeen] = inc;
    parser[kLine] = LINE_START;
  } else if (inc === null || inc.complete) {
    // Neither a head completed nor a body in progress: this packet is part of a head.
    parser[kLine] = lineState(parser[kLine] ?? LINE_START, chunk ?? parser.getCurrentBuffer());
  }
}

/** node:http's per-packet callback, wrapped (`this` is the parser). */
function onParserExecute(this: HeadParser, ret: unknown): unknown {
  if (typeof ret === 'number') noteChunk(this, null);
  return (this[kExecute] as (ret: unknown) => unknown)(ret);
}

function onSockData(this: { parser?: HeadParser | null }, chunk: Buffer): void {
  const parser = this.parser;
  if (parser != null && Buffer.isBuffer(chunk)) noteChunk(parser, chunk);
}

/**
 * Follow the head of each request of `sock` across packets, so that a head overflow is told
 * apart (414 or 431) from every byte of its head, not just the last packet's: node:http's
 * per-packet callback is wrapped (a comparison per packet; the packet is read only while a head
 * is in progress), or, where node:http reads the socket in JS (a socket without a native
 * handle), a `'data'` listener.
 */
function trackHead(sock: NetSocket): void {
  const parser = (sock as NetSocket & { parser?: HeadParser | null }).parser;
  if (parser == null) return;
  parser[kSeen] = parser.incoming;
  parser[kLine] = LINE_START;
  const p = parser as HeadParser & { _consumed?: boolean } & Record<number, unknown>;
  if (p._consumed === true) {
    const orig = ON_EXECUTE === undefined ? undefined : p[ON_EXECUTE];
    if (typeof orig !== 'function') return;
    p[kExecute] = orig as (ret: unknown) => unknown;
    p[ON_EXECUTE as number] = onParserExecute;
  } else {
    sock.on('data', onSockData);
  }
}

/**
 * Whether a head-overflow error stopped in the request-URI: node:http counts the request line into
 * `maxHeaderSize`, and its parser stops at the end of the piece that overflowed — a URI is
 * followed by a space, a header name by `:` and a header value by CR, or by the end of the packet.
 * So the request line is too long when the line the parser stopped in, from the bytes received
 * for this head so far, is still `METHOD /...` (no space or CR after the URI's start).
 */
function uriTooLong(err: ParseError, socket: Duplex): boolean {
  const p = err.rawPacket;
  const at = err.bytesParsed;
  if (!Buffer.isBuffer(p) || typeof at !== 'number' || at <= 0) return false;
  const parser = (socket as Duplex & { parser?: HeadParser | null }).parser;
  const before = parser?.[kLine] ?? LINE_START;
  return lineState(before, p.subarray(0, Math.min(at, p.length))) === IN_URI;
}

type ErrSocket = Duplex & { _httpMessage?: ServerResponse | null; [kRefused]?: boolean };
const kRefused = Symbol('verdant.http.refused');

/**
 * node:http's `clientError` default (a status line with `Connection: close`, then the socket is
 * destroyed), except that a request line too long for `maxHeaderSize` gets 414 (pywsgi's answer)
 * instead of 431, and that the responses to the requests before the refused head (pipelined on
 * the same connection) go out in full first: node:http's default writes the refusal at once
 * and destroys the socket under them.
 */
function onClientError(err: ParseError, socket: Duplex): void {
  const s = socket as ErrSocket;
  if (s[kRefused] === true) return; // the parser, failed, fails every later packet again
  let code = err.code ?? '';
  if (code === 'HPE_CLOSED_CONNECTION') {
    // Bytes after a request with `Connection: close` (or an HTTP/1.0 one without keep-alive):
    // ignored, no 400. The responses before go out and node:http closes the connection after
    // the last one (gevent's CommonTestMixin.test_connection_close).
    s[kRefused] = true;
    const m = s._httpMessage;
    if (m == null || m.writableFinished || s.destroyed) s.destroy();
    return;
  }
  if (code === 'HPE_HEADER_OVERFLOW' && uriTooLong(err, socket)) code = 'URI_TOO_LONG';
  const line = `HTTP/1.1 ${CLIENT_ERRORS[code] ?? '400 Bad Request'}\r\nConnection: close\r\n\r\n`;
  const msg = s._httpMessage;
  const inc = (s as Duplex & { parser?: HeadParser | null }).parser?.incoming;
  // A refused head after requests still being answered (not a broken body of the last one).
  if (msg != null && !msg.writableFinished && !s.destroyed && (inc == null || inc.complete)) {
    s[kRefused] = true;
    refuseAfter(s, msg, line, refusedRequestLine(err, s));
    return;
  }
  // A response whose head is on the wire already: cut, nothing more written (the refusal would
  // land inside its body), as node:http's default does.
  if (msg != null && (msg as ResWithCount)._headerSent === true) {
    s.destroy(err);
    return;
  }
  const sent = s.writable;
  if (sent) s.write(line, 'latin1');
  if (msg != null) {
    // A body refused mid-way, or before the app ran at all (a chunked body broken in the packet
    // of its head: the app runs after this, and the head it writes never reaches the wire): the
    // refusal (if it could be written) is the answer the client reads for that response, and
    // its request's access-log line says so.
    (msg as ResWithCount)[kRaw] = { status: sent ? Number(line.slice(9, 12)) : 0, bytes: null };
  } else if (sent) {
    // A head refused (no request was made of it): its own line.
    logRefusedHead(s, line, refusedRequestLine(err, s));
  }
  s.destroy(err);
}

/** Longest request line the access log writes for a head node:http refused (pywsgi's limit). */
const MAX_LOGGED_LINE = 8192;

/**
 * The request line to log for a head node:http refused: its first line as received, when the
 * head is all the connection has received and came in the packet that failed, no other head
 * before it (a client's first request: the common case of a malformed request or a stray
 * protocol), at most {@link MAX_LOGGED_LINE} bytes, bytes outside printable ASCII, `"` and `\`
 * written `\xHH`; else `-` (the parser keeps no earlier packet, nor where a head pipelined
 * behind a request began).
 */
function refusedRequestLine(err: ParseError, s: Duplex): string {
  const p = err.rawPacket;
  const parser = (s as Duplex & { parser?: HeadParser | null }).parser;
  // A head completed in the packet (its request is `incoming`): the refused one is behind it.
  if (!Buffer.isBuffer(p) || parser?.incoming != null || (s as NetSocket).bytesRead !== p.length) {
    return '-';
  }
  let i = 0;
  while (i < p.length && (p[i] === 0x0d || p[i] === 0x0a)) i++; // empty lines before a request
  const stop = Math.min(p.length, i + MAX_LOGGED_LINE);
  let out = '';
  for (let j = i; j < stop; j++) {
    const b = p[j] as number;
    if (b === 0x0d || b === 0x0a) break;
    out +=
      b < 0x20 || b > 0x7e || b === 0x22 || b === 0x5c
        ? `\\x${b.toString(16).padStart(2, '0')}`
        : String.fromCharCode(b);
  }
  return out === '' ? '-' : out;
}

/** The access-log line of a head node:http refused with `line`, if the server logs. */
function logRefusedHead(s: Duplex, line: string, requestLine: string): void {
  const server = (s as ConnSocket)[kServer];
  if (server === undefined) return;
  server._writeAccessLog(
    (s as NetSocket).remoteAddress ?? '-',
    requestLine,
    Number(line.slice(9, 12)),
    null,
    0,
  );
}

/** Write `line` and close once `msg` and the responses queued after it have finished. */
function refuseAfter(s: ErrSocket, msg: ServerResponse, line: string, requestLine: string): void {
  const onFinish = (): void => {
    msg.off('close', onClose);
    // node:http's own 'finish' listener (added first) has handed the socket to the next
    // pipelined response, if any.
    const next = s._httpMessage;
    if (next != null && next !== msg && !next.writableFinished) {
      refuseAfter(s, next, line, requestLine);
      return;
    }
    // A `Connection: close` response: node:http is closing the connection already (after what
    // was written has gone out; a destroy here could cut it).
    if (s.destroyed || !s.writable || s.writableEnded) return;
    s.end(line, 'latin1');
    logRefusedHead(s, line, requestLine);
    // The client that does not close its side gets it closed anyway.
    setTimeout(() => s.destroy(), 1000).unref();
  };
  const onClose = (): void => {
    msg.off('finish', onFinish);
  };
  msg.once('finish', onFinish);
  msg.once('close', onClose);
}

/**
 * An HTTP/1.1 server on `node:http` whose requests each run in their own greenlet.
 *
 * `app` is a Fetch handler `(request) => Response` (sync or async) or, when it declares two or
 * more parameters, a Node handler `(req, res)`. A Fetch `Response` body may be a string, bytes,
 * a `Blob` (sent with `Content-Length`), a `ReadableStream` or an async iterable (streamed one
 * chunk per piece, waiting for the client to take each: back-pressure). Reading a `ReadableStream`
 * costs about 0.2 µs per piece; an async generator given to `new Response` as it is gets wrapped
 * by the runtime (undici) in a byte stream that copies and transfers every piece (about 4 µs per
 * piece: 1000 pieces of 1 KiB cost about 9× the server CPU of a bare `res.write` loop). Wrap it
 * in `ReadableStream.from(generator)` (about 0.4 µs per piece; on Node 20 this also avoids an
 * undici stall on an empty piece, fixed in Node 24's), or stream from a Node handler with
 * `res.write`, waiting for `'drain'` through `until` (within a few per cent of bare node:http).
 * `start()` returns once listening; the app's failures get a 500 (`Connection: close`) and are
 * reported to the hub's `exceptionStream`; a client that goes away kills its request's greenlet
 * (its `signal` aborts, and so does the Fetch `request.signal`, which is that same signal, made
 * on first use).
 * `stop({timeout})` is graceful: idle connections close at once, requests in flight finish
 * (their responses carry `Connection: close`), and what still runs at `timeout` (default
 * 1000 ms) is killed. Over TLS, a connection whose handshake has not completed is waited for as
 * one that has not sent its first request, then dropped (also by `close()`).
 *
 * Source: gevent's `pywsgi.WSGIServer` and `test__pywsgi.py`; framing, status lines and client
 * errors are node:http's; a head larger than `maxHeaderSize` gets 414 when its request line alone
 * is too long (pywsgi's answer, at Node's limit rather than pywsgi's 8192 bytes), else 431. As
 * pywsgi: an HTTP/1.1 request without `Host` is served, bytes after a `Connection: close`
 * request are ignored, and `Expect: 100-continue` is answered when the app first reads the
 * body (in an HTTP/1.0 request it is ignored, as node:http and RFC 9110 do). Unlike pywsgi (node:http is stricter): an obs-folded header line, a request with both
 * `Content-Length` and `Transfer-Encoding`, or a NUL in a chunk extension gets 400; so does a
 * `Host` that is not `host[:port]` (a `/`, `?`, `#`, `@` or `\` in it would move the Fetch
 * request URL's path away from the request target's, RFC 9112 §3.2).
 *
 * @throws TypeError/RangeError from the constructor for a bad listener, app or option
 *   (TypeError for an unknown option, also in a `websocket` object, naming it and the options)
 * @example
 * ```ts
 * import { HttpServer } from 'verdant/http';
 *
 * const server = new HttpServer(['127.0.0.1', 0], () => new Response('Hello, World!\n'));
 * await server.start(); // each request runs in a greenlet of its own
 * const res = await fetch(`http://127.0.0.1:${server.serverPort}/`);
 * console.log(res.status, await res.text()); // 200 'Hello, World!\n'
 * await server.stop(); // graceful: requests in flight finish first
 * ```
 */
export class HttpServer extends BaseServer {
  /** The option keys of {@link HttpServerOptions}; another key throws a TypeError. */
  protected static override readonly optionKeys: readonly string[] = [
    ...BaseServer.optionKeys,
    'log',
    'backlog',
    'key',
    'cert',
    'headersTimeout',
    'requestTimeout',
    'keepAliveTimeout',
    'maxHeaderSize',
    'maxDiscard',
    'websocket',
  ];
  /** The handler. */
  readonly app: FetchHandler | NodeHandler;
  /** Whether `app` is a Node `(req, res)` handler (it declares two or more parameters). */
  readonly isNodeHandler: boolean;
  /** Where access-log lines go, or `null`. */
  log: LogSink | null;
  readonly #server: Server;
  readonly #tls: boolean;
  readonly #maxDiscard: number;
  readonly #backlog: number | undefined;
  /** The request greenlets not yet done: an intrusive list (no hashing per request). */
  readonly #inflight = new InflightList();
  readonly #pending: Array<[IncomingMessage, ServerResponse]> = [];
  /** Responses a returned Node handler left open. */
  readonly #open = new Set<ServerResponse>();
  #idle: Event | null = null;
  /** Every open connection, from `'connection'` to `'close'`: stop closes the idle ones itself. */
  readonly #conns = new Set<ConnSocket>();
  /**
   * Over TLS: the TCP connections whose handshake has not completed (not yet in `#conns`). stop()
   * waits for them as for a connection that has not sent its first request, then drops them;
   * node:http's `closeAllConnections()` knows only connections past the handshake.
   */
  readonly #handshaking = new Set<NetSocket>();
  /** ms a retiring stop leaves idle connections open ({@link HttpServer._retire}); 0: none. */
  #idleGrace = 0;
  /** Set once every connection has closed, while a retiring stop waits for that. */
  #quiet: Event | null = null;
  #listening = false;
  #stopping = false;
  /** @internal set by verdant/websocket */
  _upgrade: UpgradeHook | null = null;
  /** @internal the websocket handler option */
  readonly _websocket: unknown;

  constructor(listener: Listener, app: FetchHandler, options?: HttpServerOptions);
  constructor(listener: Listener, app: NodeHandler, options?: HttpServerOptions);
  constructor(
    listener: Listener,
    app: FetchHandler | NodeHandler,
    options: HttpServerOptions = {},
  ) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`HttpServer: options must be an object, got ${describe(options)}`);
    }
    super(listener, options, 'HttpServer');
    if (typeof app !== 'function') {
      throw new TypeError(`HttpServer: app must be a function, got ${describe(app)}`);
    }
    this.app = app;
    this.isNodeHandler = app.length >= 2;
    const badListen = checkListenOptions({ backlog: options.backlog }, 'HttpServer');
    if (badListen !== null) throw badListen;
    if (options.backlog !== undefined && 'socket' in this.listener) {
      // It configures the listener the server makes; a listening Socket is made already
      // (gevent's test__server.py test_backlog_is_not_accepted_for_socket).
      throw new TypeError(
        `HttpServer: backlog must be omitted when the listener is a listening Socket (give it to listen()), got ${options.backlog}`,
      );
    }
    this.#backlog = options.backlog;
    const log = options.log === undefined ? process.stderr : options.log;
    if (log !== null && (typeof log !== 'object' || typeof log.write !== 'function')) {
      throw new TypeError(
        `HttpServer: log must have a write(string) method or be null, got ${describe(log)}`,
      );
    }
    this.log = log;
    this.#maxDiscard =
      readBytes(
        options.maxDiscard,
        'maxDiscard',
        0,
        'an integer number of bytes >= 0 (Infinity: always read the rest)',
      ) ?? 65536;
    const maxHeaderSize = readBytes(
      options.maxHeaderSize,
      'maxHeaderSize',
      1,
      'a positive integer number of bytes',
    );
    if (maxHeaderSize === Number.POSITIVE_INFINITY) {
      throw new RangeError(
        'HttpServer: maxHeaderSize must be a positive integer number of bytes, got Infinity',
      );
    }
    const serverOpts: Record<string, unknown> = {};
    const h = readMs(options.headersTimeout, 'headersTimeout');
    const r = readMs(options.requestTimeout, 'requestTimeout');
    const k = readMs(options.keepAliveTimeout, 'keepAliveTimeout');
    if (h !== undefined && r !== undefined && h > 0 && r > 0 && h > r) {
      throw new RangeError(
        `HttpServer: headersTimeout must be at most requestTimeout (the head is part of the request), got headersTimeout ${h} and requestTimeout ${r}`,
      );
    }
    if (h !== undefined) serverOpts.headersTimeout = h;
    if (r !== undefined) serverOpts.requestTimeout = r;
    if (h !== undefined && r === undefined) serverOpts.requestTimeout = Math.max(h, 300000);
    if (k !== undefined) serverOpts.keepAliveTimeout = k;
    // node:http enforces headersTimeout/requestTimeout on a timer (30 s by default): check
    // often enough that a short timeout is kept.
    const shortest = Math.min(
      h === undefined || h === 0 ? 60000 : h,
      r === undefined || r === 0 ? 60000 : r,
    );
    if (shortest < 60000) {
      serverOpts.connectionsCheckingInterval = Math.max(
        50,
        Math.min(30000, Math.floor(shortest / 2)),
      );
    }
    if (maxHeaderSize !== undefined) serverOpts.maxHeaderSize = maxHeaderSize;
    serverOpts.ServerResponse = StrictResponse;
    // An HTTP/1.1 request without `Host` is served, as pywsgi serves it (node:http would answer
    // 400): the request URL's origin is then the local address.
    serverOpts.requireHostHeader = false;
    // Only `Upgrade: websocket` goes to 'upgrade' (h2c and others are normal requests).
    if (options.websocket !== undefined) _routeOnlyWebSocketUpgrades(serverOpts);
    this.#tls = options.key !== undefined || options.cert !== undefined;
    if (this.#tls) {
      if (options.key === undefined || options.cert === undefined) {
        throw new TypeError('HttpServer: TLS needs both key and cert, got only one');
      }
      serverOpts.key = options.key;
      serverOpts.cert = options.cert;
      this.#server = createHttpsServer(serverOpts, this.#onRequest) as unknown as Server;
    } else {
      this.#server = createHttpServer(serverOpts, this.#onRequest);
    }
    this.#server.on('checkContinue', this.isNodeHandler ? this.#onNodeContinue : this.#onRequest);
    this.#server.on('checkExpectation', this.#onExpectation);
    const ws = options.websocket;
    if (
      ws !== undefined &&
      typeof ws !== 'function' &&
      (ws === null ||
        typeof ws !== 'object' ||
        typeof (ws as { handler?: unknown }).handler !== 'function')
    ) {
      throw new TypeError(
        `HttpServer: websocket must be a handler function or {handler, ...}, got ${describe(ws)}`,
      );
    }
    if (ws !== undefined && typeof ws === 'object') {
      // Checked now, not when start() loads the WebSocket side.
      const unknown = checkOptionKeys(ws, WS_SERVER_KEYS, 'HttpServer: websocket');
      if (unknown !== null) throw unknown;
      readPingInterval(ws.pingInterval, 'HttpServer: websocket', 0);
      readMaxMessageSize(ws.maxMessageSize, 'HttpServer: websocket', 0);
    }
    this._websocket = ws;
    // Without a websocket option node:http serves an upgrade request as a normal one (pywsgi too).
    if (ws !== undefined) this.#server.on('upgrade', this.#onUpgrade);
    // node:http drops a CONNECT without a word when nobody listens: answered 501 (#upgradeNow).
    this.#server.on('connect', this.#onUpgrade);
    this.#server.on('clientError', onClientError);
    // Over TLS the request's socket is the TLSSocket of 'secureConnection', not the TCP one.
    this.#server.on(this.#tls ? 'secureConnection' : 'connection', this.#onConnection);
    if (this.#tls) this.#server.on('connection', this.#onTcp);
  }

  readonly #onTcp = (raw: NetSocket): void => {
    this.#handshaking.add(raw);
    raw.once('close', () => {
      this.#handshaking.delete(raw);
      if (this.#idle !== null) this._checkIdle();
    });
  };

  readonly #onConnection = (sock: ConnSocket): void => {
    // The handshake is done: the TLS socket is a connection of its own now (`_parent`, its TCP
    // socket; were it missing, stop() would only wait for the connection until its timeout).
    const raw = (sock as ConnSocket & { _parent?: unknown })._parent;
    if (raw != null) this.#handshaking.delete(raw as NetSocket);
    this.#conns.add(sock);
    sock[kServer] = this;
    sock.once('close', onSockClose);
    trackHead(sock);
  };

  /** @internal a connection closed */
  _connClosed(sock: ConnSocket): void {
    this.#conns.delete(sock);
    if (this.#quiet !== null && this.#conns.size === 0) this.#quiet.set();
    if (this.#idle !== null) this._checkIdle();
  }

  /**
   * Close every idle keep-alive connection: one that has served a request and has none in
   * flight. A connection whose first request has not come yet stays (see the design note).
   */
  #closeIdle(): void {
    for (const sock of this.#conns) {
      const conn = sock[kConn];
      if (conn === undefined || conn.reqs.length > 0) continue;
      // A response until its 'finish' (then node:http detaches it, or hands the connection to
      // the next pipelined one): its last bytes, or responses queued behind it, are on their way.
      if (sock._httpMessage != null) continue;
      sock.destroy();
    }
  }

  /**
   * Whether a connection has not sent its first request yet, or is still writing a response
   * whose greenlet has ended (a large body to a slow client, responses queued behind it).
   */
  #anyFreshOrWriting(): boolean {
    if (this.#handshaking.size > 0) return true;
    for (const sock of this.#conns) {
      if (sock[kConn] === undefined) return true;
      // node:http detaches a response from its connection at its 'finish' (handing the connection
      // to the next pipelined one), not when the bytes were handed over (`writableFinished`).
      if (sock._httpMessage != null && !sock.destroyed) return true;
    }
    return false;
  }

  /** The underlying node:http (or node:https) server. */
  get server(): Server {
    return this.#server;
  }

  /** Whether the server speaks HTTPS. */
  get secure(): boolean {
    return this.#tls;
  }

  /** Bind the node:http server (or adopt a listening verdant `Socket`). */
  protected override async initSocket(): Promise<Address> {
    if (this._websocket !== undefined && this._upgrade === null) {
      const m = await import('./_ws-upgrade.js');
      this._upgrade = m._makeUpgradeHook(this._websocket);
    }
    const srv = this.#server as unknown as NetServer;
    const l = this.listener;
    if ('socket' in l) {
      // A listening verdant Socket: node:http takes its connections from now on.
      const handle = l.socket._handle as NetServer;
      handle.removeAllListeners('connection');
      handle.on('connection', (c: NetSocket) => srv.emit('connection', c));
      this.#listening = false;
      return l.socket.getsockname();
    }
    try {
      return await until(
        new Promise<Address>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen(this.#backlog === undefined ? l : { ...l, backlog: this.#backlog }, () => {
            srv.off('error', reject);
            // The start was interrupted (a kill or Timeout in start()) before this came.
            if (this.closed) {
              srv.close();
              return;
            }
            this.#listening = true;
            const a = srv.address();
            resolve(
              typeof a === 'string' || a === null ? { path: String(a) } : [a.address, a.port],
            );
          });
        }),
      );
    } catch (e) {
      // Interrupted or failed: node:http's listen goes on without us; leave nothing listening
      // (a handle made already closes now, one made later in the callback above).
      srv.close();
      throw e;
    }
  }

  /** Requests are routed by node:http's `'request'` event: nothing to start. */
  protected override startAccepting(): void {}

  /**
   * @internal Stop taking new work: the last response of each busy connection says `Connection:
   * close` (or, started, closes its connection after it), so every request a client pipelined
   * before the stop is answered first; idle keep-alive connections close now.
   */
  protected override stopAccepting(): void {
    this.#stopping = true;
    // The latest response of each connection: queued for a slot (newest last) after those in
    // flight (the list is newest first), after those a returned Node handler left open.
    const last = new Map<object, ServerResponse>();
    const pending = this.#pending;
    for (let i = pending.length - 1; i >= 0; i--) {
      const [req, res] = pending[i] as [IncomingMessage, ServerResponse];
      if (!last.has(req.socket)) last.set(req.socket, res);
    }
    for (let g = this.#inflight.head; g !== null; g = g.nextInflight) {
      if (!last.has(g.req.socket)) last.set(g.req.socket, g.res);
    }
    for (const res of this.#open) {
      const key = res.socket ?? res;
      if (!last.has(key)) last.set(key, res);
    }
    for (const res of last.values()) closeAfter(res);
    if (this.#idleGrace === 0) this.#closeIdle();
  }

  /** @internal Close the listener. */
  protected override closeSocket(): void {
    if (this.#listening) {
      this.#listening = false;
      // node:http's close() minus its closeIdleConnections(), which would also reset the
      // connections whose first request is on its way (#closeIdle spares them).
      const srv = this.#server;
      srv.closeIdleConnections = noop;
      try {
        srv.close();
      } finally {
        delete (srv as Partial<Server>).closeIdleConnections;
      }
    }
    const l = this.listener;
    if ('socket' in l) l.socket.close();
  }

  /**
   * Graceful stop: close the listener and the idle connections at once, let requests in flight
   * finish for `timeout` ms (default 1000; their responses carry `Connection: close`; a
   * connection accepted whose first request has not arrived yet counts as in flight), then kill
   * what still runs and drop every connection. A switch point; a kill of the caller there ends
   * its wait (the stop goes on).
   * @returns once every request greenlet has ended and every connection is closed
   * @throws RangeError for a negative or NaN `timeout`, TypeError for a `timeout` that is not a
   *   number or options that are neither an object nor a number (rejects)
   */
  override async stop(options?: StopOptions | number | null): Promise<void> {
    const timeout = readStopTimeout(options, 'HttpServer.stop');
    await super.close();
    let left = timeout;
    if (this.#idleGrace > 0 && this.#conns.size > 0) {
      // A retiring cluster worker: idle keep-alive connections may send one more request
      // (answered with Connection: close, after which node:http closes them) before the rest
      // are closed.
      const t0 = performance.now();
      const quiet = new Event();
      this.#quiet = quiet;
      try {
        await quiet.wait({ timeout: Math.min(this.#idleGrace, timeout) });
      } finally {
        this.#quiet = null;
      }
      left = Math.max(0, timeout - (performance.now() - t0));
    }
    this.#closeIdle();
    const ws = this._upgrade?.inflight();
    if (this.#busy(ws)) {
      // One event for every stop() waiting at once: a second stop() made during a first ends
      // when the work does (or at its own timeout), not at its own timeout every time.
      let idle = this.#idle;
      if (idle === null || idle.isSet()) {
        idle = new Event();
        this.#idle = idle;
      }
      await idle.wait({ timeout: left });
    }
    await this.#dropAll();
    // Everything has ended: stop watching, or every later request end would recompute #busy().
    if (this.#idle?.isSet() === true) this.#idle = null;
  }

  /**
   * @internal `stop({timeout})` for a cluster worker leaving the rotation: idle keep-alive
   * connections are not closed at once but get `grace` ms (within `timeout`) to send one more
   * request, answered with `Connection: close`, so a client busy on them sees its connection
   * close after a response instead of under a request it is sending. Those still idle then
   * close as in `stop()`. Test: test/servers/cluster.test.ts (rolling restart, no retry).
   */
  async _retire(timeout: number, grace: number): Promise<void> {
    this.#idleGrace = grace;
    await this.stop({ timeout });
  }

  /**
   * Stop listening and drop every connection at once; request greenlets are killed. Resolves
   * once they have ended.
   */
  override async close(): Promise<void> {
    await super.close();
    await this.#dropAll();
  }

  async #dropAll(): Promise<void> {
    for (const [req] of this.#pending.splice(0)) req.socket.destroy();
    for (const sock of this.#deferred) sock.destroy();
    for (const raw of this.#handshaking) raw.destroy();
    const ws = this._upgrade?.inflight();
    const alive: Greenlet[] = [...(ws ?? NO_ARGS)];
    for (let g = this.#inflight.head; g !== null; g = g.nextInflight) alive.push(g);
    for (const g of alive) void g.kill({ block: false });
    this._upgrade?.closeAll();
    this.#server.closeAllConnections();
    for (const g of alive) if (!g.dead) await g.join({ timeout: 1000 });
    // A destroyed connection emits 'close' a loop turn later, and its 'close' writes the log
    // lines of its requests not logged yet (`000`): stop() resolves after them, so the access log
    // is whole when it returns (found by a newcomer: the line of a killed request came after).
    // (A connection leaves #conns at its 'close'; `sock.closed` turns true a tick before it.)
    const closing: Promise<void>[] = [];
    for (const sock of this.#conns) closing.push(closed(sock));
    if (closing.length > 0)
      await until(Promise.all(closing), { timeout: 1000 }).catch(ignoreTimeout);
  }

  #busy(ws: Set<Greenlet> | undefined): boolean {
    return (
      this.#inflight.size > 0 ||
      this.#open.size > 0 ||
      this.#pending.length > 0 ||
      (ws !== undefined && ws.size > 0) ||
      this.#anyFreshOrWriting()
    );
  }

  /** @internal a request or websocket greenlet ended, or a response finished: maybe wake stop(). */
  _checkIdle(): void {
    const idle = this.#idle;
    if (idle !== null && !this.#busy(this._upgrade?.inflight())) idle.set();
  }

  readonly #onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // The application's own 'connect' listener (a proxy) takes CONNECT over.
    if (req.method === 'CONNECT' && this.#server.listenerCount('connect') > 1) {
      this.#conns.delete(socket as ConnSocket);
      return;
    }
    const sock = socket as ConnSocket;
    if (sock._httpMessage != null) {
      // Pipelined behind responses still going out: answered after them, never in the middle
      // of one. The connection stays in #conns meanwhile (stop() waits for those responses).
      this.#deferred.add(sock);
      // node:http has stopped reading the connection: read it meanwhile (what comes is the
      // upgraded protocol's, handed on with `head`) to see a client that leaves (its FIN).
      const chunks: Buffer[] = [head];
      const onData = (d: Buffer): void => {
        chunks.push(d);
      };
      sock.on('data', onData);
      sock.once('end', destroyThis);
      this.#upgradeAfter(sock, req, chunks, onData, performance.now());
      return;
    }
    this.#upgradeNow(req, socket, head);
  };

  /** Upgrade requests waiting for the responses before them on their connection. */
  readonly #deferred = new Set<ConnSocket>();

  /**
   * Handle the upgrade `req` (received at `start`) once its connection has no response in
   * progress (node:http hands the connection to each queued response in turn at the 'finish' of
   * the one before); a connection that ends first (the client left, a `Connection: close`
   * response, a stop that timed out) writes nothing for it and logs it `000`.
   */
  #upgradeAfter(
    sock: ConnSocket,
    req: IncomingMessage,
    chunks: Buffer[],
    onData: (d: Buffer) => void,
    start: number,
  ): void {
    const m = sock._httpMessage;
    if (m == null) {
      this.#deferred.delete(sock);
      sock.off('end', destroyThis);
      sock.pause();
      sock.off('data', onData);
      // As node:http leaves it for 'upgrade': the next 'data' listener starts the flow.
      (sock as { readableFlowing: boolean | null }).readableFlowing = null;
      if (sock.destroyed || !sock.writable || sock.writableEnded) {
        this.#conns.delete(sock);
        sock.destroy();
        this._logUnupgraded(req, null, start);
      } else {
        this.#upgradeNow(
          req,
          sock,
          chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks),
        );
      }
      return;
    }
    const onFinish = (): void => {
      m.off('close', onClose);
      // After node:http's 'close' of `m` (next tick), so that its line comes first.
      process.nextTick(() => this.#upgradeAfter(sock, req, chunks, onData, start));
    };
    const onClose = (): void => {
      m.off('finish', onFinish);
      this.#deferred.delete(sock);
      this.#conns.delete(sock);
      sock.destroy();
      // After the lines of the responses before it (see flushLogQ).
      const client = sock.remoteAddress ?? '-';
      process.nextTick(() => this._logUnupgraded(req, null, start, client));
    };
    m.once('finish', onFinish);
    m.once('close', onClose);
  }

  #upgradeNow(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#conns.delete(socket as ConnSocket); // no longer HTTP: the WebSocket side owns it
    if (req.method === 'CONNECT') {
      socket.end(NOT_IMPLEMENTED);
      this._logUnupgraded(req, NOT_IMPLEMENTED, performance.now());
      return;
    }
    const up = this._upgrade;
    if (up === null || this.#stopping) {
      socket.end(UPGRADE_REQUIRED);
      this._logUnupgraded(req, UPGRADE_REQUIRED, performance.now());
      return;
    }
    up.handleUpgrade(this, req, socket, head);
  }

  /**
   * An `Expect: 100-continue` request to a Node handler: 100 goes out when the handler first
   * reads the body (as pywsgi sends it at the first read of `wsgi.input`), never once the
   * response has started; node:http's default answers 100 before the handler runs. And a body
   * that has arrived whole anyway leaves the connection open after a final answer without 100
   * (node:http closes it). Test: test/servers/http.pywsgi.test.ts
   * "Expect100ContinueTests.test_continue …". Own properties on these two objects only: such
   * requests are rare.
   */
  readonly #onNodeContinue = (req: IncomingMessage, res: ServerResponse): void => {
    const r = req as IncomingMessage & { _read(n: number): void };
    const read = r._read;
    r._read = function (this: IncomingMessage, n: number): void {
      r._read = read;
      if (!res.headersSent && !res.destroyed) res.writeContinue();
      read.call(this, n);
    };
    Object.defineProperty(res, '_expect_continue', {
      configurable: true,
      get: () => !bodyArrived(req),
      set: noop,
    });
    this.#onRequest(req, res);
  };

  /**
   * An `Expect` other than `100-continue`: node:http's answer, 417, which the app never sees,
   * with its access-log line, and without an empty chunked body (`Content-Length: 0`). Test:
   * test/servers/http.clienterror.test.ts "an Expect other than 100-continue gets node:http's
   * 417 …".
   */
  readonly #onExpectation = (req: IncomingMessage, res: ServerResponse): void => {
    const sock = req.socket as ConnSocket;
    if (sock[kConn] === undefined) {
      // It has served a request: idle once this is out (stop() closes it then).
      sock[kConn] = { reqs: [] };
      sock.once('close', onConnClose);
    }
    if (this.#stopping) closeAfter(res);
    if (this.log !== null) this.#logOnClose(req, res);
    res.writeHead(417, { 'Content-Length': '0' });
    res.end();
  };

  readonly #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    // From its arrival: a request queued for a pool slot whose client leaves, or that stop()
    // drops, is logged `000` like one that ran (and the time waited counts).
    if (this.log !== null) this.#logOnClose(req, res);
    if (this.pool.full()) {
      this.#pending.push([req, res]);
      return;
    }
    this.#dispatch(req, res);
  };

  #dispatch(req: IncomingMessage, res: ServerResponse): void {
    // A request that waited for a slot while its client went away: nobody to answer, and the
    // connection's close, which kills the requests of a connection, has passed (its greenlet
    // would run unkilled, a long poll holding its slot for good).
    if (req.socket.destroyed) return;
    if (!this.pool._takeSlot()) {
      // Full (the pool may be shared with other work): wait for a slot like #onRequest does.
      this.#pending.push([req, res]);
      return;
    }
    // A response shorter or longer than its Content-Length fails in the app, never on the wire:
    // a Node handler's, and a Fetch `Response` whose own `Content-Length` header is wrong (sent
    // as it was, it desynchronised the keep-alive connection: the next response read as body).
    res.strictContentLength = true;
    const g = new RequestGreenlet(this, req, res);
    const sock = req.socket as ConnSocket;
    let conn = sock[kConn];
    if (conn === undefined) {
      conn = { reqs: [] };
      sock[kConn] = conn;
      sock.once('close', onConnClose);
    }
    conn.reqs.push(g);
    this.#inflight.add(g);
    // Stopping: the last request of its connection says close (one pipelined behind it, still
    // queued for a slot, is answered first).
    if (this.#stopping && !this.#pending.some(([r]) => r.socket === req.socket)) closeAfter(res);
    // The pool's membership and the server's bookkeeping share one quiet link entry, the same
    // for every request (#onDone leaves the pool first, so a request waiting for a slot gets the
    // one this request frees): no link object per request.
    this.pool._admitEntry(g, this.#doneEntry);
    g.start();
  }

  readonly #onDone = (greenlet: Greenlet): void => {
    const g = greenlet as RequestGreenlet;
    this.pool._exit(g);
    this.#inflight.delete(g);
    const res = g.res;
    // The request's socket, not the response's: node:http detaches a response from its socket at
    // its 'finish', which may come before this (a handler that awaits after its `end()`, a hub
    // turn cut by its budget), and a greenlet left in `reqs` stayed there, with its request and
    // response, for as long as the connection lived (test: "a keep-alive connection keeps no
    // request greenlet that has ended …").
    const reqs = (g.req.socket as ConnSocket | null)?.[kConn]?.reqs;
    if (reqs !== undefined) {
      // pop() for the usual lone request: shift() emptying the array drops its backing store,
      // so the next push() allocated a new one (~150 bytes per request).
      if (reqs.length === 1 && reqs[0] === g) reqs.pop();
      else if (reqs[0] === g) reqs.shift();
      else {
        const i = reqs.indexOf(g);
        if (i >= 0) reqs.splice(i, 1);
      }
    }
    // The rest of a body not read to its end (or not read at all) has a bounded time to come
    // once the response is out, whichever handler and however it ended (the response of a
    // failed or killed one closes its connection anyway).
    if (!g.req.complete && !res.destroyed) closeIfBodyStalls(g.req, res);
    if (!res.writableEnded && !res.destroyed && g.successful()) {
      // A Node handler returned and left its response open for its own code to end.
      this.#open.add(res);
      if (this.#stopping) closeAfter(res);
      res.once('close', () => {
        this.#open.delete(res);
        this._checkIdle();
      });
    }
    const pending = this.#pending;
    while (pending.length > 0 && !this.pool.full()) {
      const [req2, res2] = pending.shift() as [IncomingMessage, ServerResponse];
      if (!res2.destroyed) this.#dispatch(req2, res2);
    }
    if (this.#idle !== null) this._checkIdle();
  };

  /** #onDone as the quiet link entry every request greenlet shares. */
  readonly #doneEntry: LinkEntry = quietLinkEntry(this.#onDone);

  #logOnClose(req: IncomingMessage, res: ServerResponse): void {
    const start = performance.now();
    const sock = req.socket as ConnSocket;
    const before = sock.bytesWritten;
    const client = sock.remoteAddress ?? '-';
    let q = sock[kLogQ];
    if (q === undefined) {
      q = new Set();
      sock[kLogQ] = q;
    }
    const logQ = q;
    // `gone`: the connection closed with this response still queued in node:http behind
    // another (node:http never closes those): nothing of it went out.
    const onClose = (gone?: boolean): void => {
      if (!logQ.delete(onClose)) return;
      const log = this.log;
      if (log === null) return;
      let bytes: number | null = (res as ResWithCount)[kBytes] ?? null;
      const raw = (res as ResWithCount)[kRaw];
      // The status on the wire: a raw answer written in its place, else the head once handed
      // to the connection (`headersSent` is true from `writeHead` on, before anything went out).
      let status = (res as ResWithCount)._headerSent === true ? res.statusCode : 0;
      // Queued behind another response when the connection ended: never given the socket, so
      // nothing of it went out, though its head may be written into node:http's queue
      // (`_headerSent`). Node 20 never closes such a response (`gone`: our flush); Node 24 does.
      if (res.socket === null && (gone === true || !res.writableFinished)) {
        status = 0;
        bytes = null;
      } else if (raw !== undefined) {
        status = raw.status;
        bytes = raw.bytes;
      } else if (bytes === null) {
        const cl = res.getHeader('content-length');
        const given = bodyBytesGiven(res);
        if (cl !== undefined && res.writableFinished && req.method !== 'HEAD') bytes = Number(cl);
        else if (given !== undefined) {
          // The body bytes the app gave (a Node handler's), not the wire's chunk framing; none
          // go out for HEAD, 204, 304.
          const st = res.statusCode;
          const none = req.method === 'HEAD' || st === 204 || st === 304 || st < 200;
          bytes = none || given === 0 ? null : given;
        } else {
          const head = (res as unknown as { _header?: string | null })._header;
          const wire =
            sock.bytesWritten - before - (typeof head === 'string' ? Buffer.byteLength(head) : 0);
          bytes = wire > 0 ? wire : null;
        }
      }
      writeAccessLog(
        log,
        client,
        `${req.method} ${req.url} HTTP/${req.httpVersion}`,
        status,
        bytes,
        (performance.now() - start) / 1000,
      );
    };
    logQ.add(onClose);
    res.once('close', onClose);
  }

  /**
   * @internal Write one access-log line (if the server logs) for a request that ended now:
   * verdant/websocket's upgraded requests
   */
  _writeAccessLog(
    client: string,
    requestLine: string,
    status: number,
    bytes: number | null,
    seconds: number,
  ): void {
    if (this.log !== null) writeAccessLog(this.log, client, requestLine, status, bytes, seconds);
  }

  /**
   * @internal Write the access-log line (if the server logs) of an upgrade request answered
   * without an upgrade, begun at `start` (`performance.now()`): `answer` is what was written
   * (status line, head, body), `null` when nothing was (the client had gone: status `000`);
   * `client` read before the socket may have been destroyed.
   */
  _logUnupgraded(
    req: IncomingMessage,
    answer: string | null,
    start: number,
    client = req.socket.remoteAddress ?? '-',
  ): void {
    if (this.log === null) return;
    let status = 0;
    let bytes: number | null = null;
    if (answer !== null) {
      status = Number(answer.slice(9, 12));
      const at = answer.indexOf('\r\n\r\n');
      if (at >= 0) bytes = Buffer.byteLength(answer.slice(at + 4));
    }
    writeAccessLog(
      this.log,
      client,
      `${req.method} ${req.url} HTTP/${req.httpVersion}`,
      status,
      bytes,
      (performance.now() - start) / 1000,
    );
  }

  /** @internal */
  get _stopping(): boolean {
    return this.#stopping;
  }

  /** @internal */
  get _maxDiscard(): number {
    return this.#maxDiscard;
  }

  /** @internal `clientAddress(request)` answers from `socket` (a WebSocket handler's request) */
  _noteClient(request: Request, socket: Duplex): void {
    upgradeSockets.set(request, socket);
  }

  /**
   * @internal the request's full URL: an origin-form target (`/path`) behind the origin, an
   * absolute-form one (`http://host/path`, as sent to a proxy) as it is
   */
  _urlOf(req: IncomingMessage, url: string, host: string | undefined): string {
    if (url.startsWith('/')) return this._originOf(req, host) + url;
    // The asterisk-form (`OPTIONS * HTTP/1.1`, RFC 9112 §3.2.4): pywsgi gives the app PATH_INFO
    // '*'; a URL has no path without its '/', so `http://host/*` (what `new URL('*', origin)`
    // makes, as Node's Fetch adapters do). Refused, it got 400 before the handler ran.
    if (url === '*') return `${this._originOf(req, host)}/*`;
    return url;
  }

  /**
   * @internal the request URL's origin given its Host header; throws a TypeError for a Host
   * that is not `host[:port]` (the request is then answered 400, RFC 9112 §3.2)
   */
  _originOf(req: IncomingMessage, host: string | undefined): string {
    const scheme = this.#tls ? 'https://' : 'http://';
    if (host !== undefined && host !== '') {
      // A `/`, `?`, `#`, `@` or `\` in the Host would move the URL's path away from the
      // request target's (`Host: x/admin?` made `GET /public` a request for `/admin`): pywsgi's
      // PATH_INFO is always the request line's. Test: "a Host header that is not a host[:port] …".
      if (!HOST_RE.test(host)) {
        throw new TypeError(`HttpServer: the Host header is not host[:port]: ${describe(host)}`);
      }
      return scheme + host;
    }
    const a = req.socket.localAddress ?? 'localhost';
    const h = a.includes(':') ? `[${a}]` : a;
    return `${scheme}${h}:${req.socket.localPort ?? 80}`;
  }
}

/**
 * Write one access-log line for a request that ended now (`seconds` after it began): the line of
 * {@link formatLogLine}, batched per turn for process.stderr/stdout.
 */
function writeAccessLog(
  log: LogSink,
  client: string,
  requestLine: string,
  status: number,
  bytes: number | null,
  seconds: number,
): void {
  const line = logLine(client, logTimeNow(), requestLine, status, bytes, seconds);
  if (log === process.stderr || log === process.stdout) queueStdLine(log, line);
  else writeLogLine(log, line);
}

function writeLogLine(log: LogSink, text: string): void {
  try {
    log.write(text);
  } catch (err) {
    getHub().reportError(err, 'HttpServer access log');
  }
}

/**
 * Access-log lines for process.stderr/stdout (the default sink) not written yet: the lines of one
 * turn of Node's loop go out in one write (a write to a file or pipe is a syscall; one per request
 * cost a quarter of a hello-world request), at the end of that turn or when the process exits.
 */
const stdPending = new Map<LogSink, string>();
let stdFlushing = false;

function queueStdLine(log: LogSink, line: string): void {
  const before = stdPending.get(log);
  stdPending.set(log, before === undefined ? line : before + line);
  if (stdFlushing) return;
  stdFlushing = true;
  if (!stdExitHook) {
    stdExitHook = true;
    process.once('exit', flushStdLines);
  }
  setImmediate(flushStdLines);
}

let stdExitHook = false;

function flushStdLines(): void {
  stdFlushing = false;
  for (const [log, text] of stdPending) {
    stdPending.delete(log);
    writeLogLine(log, text);
  }
}

/**
 * node:http's own count of the body bytes given to a response's `write`/`end` (kept because the
 * server sets `strictContentLength`), found on the first response; `null` when this Node has
 * none (the log then counts the bytes on the wire, chunk framing included).
 */
let kGiven: symbol | null | undefined;

function givenKey(res: ServerResponse): symbol | null {
  if (kGiven === undefined) {
    kGiven =
      Object.getOwnPropertySymbols(res).find((k) => k.description === 'kBytesWritten') ?? null;
  }
  return kGiven;
}

function bodyBytesGiven(res: ServerResponse): number | undefined {
  const k = givenKey(res);
  if (k === null) return undefined;
  const n = (res as unknown as Record<symbol, unknown>)[k];
  return typeof n === 'number' ? n : undefined;
}

const kBytes = Symbol('verdant.http.bytes');
/**
 * The answer written raw in place of a response whose head had not gone out: node:http's refusal
 * of a request body (status 0 when the connection could not take it), or the 500 for a head set
 * but not sent. Whatever the app writes after that never reaches the wire.
 */
const kRaw = Symbol('verdant.http.raw');
type ResWithCount = ServerResponse & {
  [kBytes]?: number;
  [kRaw]?: { status: number; bytes: number | null };
  /** node:http's own: the head has been handed to the connection. */
  _headerSent?: boolean;
};

function destroyThis(this: Duplex): void {
  this.destroy();
}

function onSockClose(this: ConnSocket): void {
  this[kServer]?._connClosed(this);
  const q = this[kLogQ];
  // After node:http's own 'close' of the response in progress (its listener runs after this).
  if (q !== undefined && q.size > 0) process.nextTick(flushLogQ, q);
}

/**
 * Log every request of a closed connection not logged yet: responses node:http still queued
 * behind another (pipelined) never emit 'close'.
 */
function flushLogQ(q: Set<(gone?: boolean) => void>): void {
  for (const f of [...q]) f(true);
}

/** node:http's internal state of a response that {@link endsAsDeclared} reads. */
type ResponseState = ServerResponse & {
  _header: string | null;
  _headerSent: boolean;
  _hasBody: boolean;
  _contentLength: number | null;
  chunkedEncoding: boolean;
  finished: boolean;
};

/**
 * Whether `res.end(chunk, encoding)` sends exactly the body its head declares: a non-empty
 * chunk, the head stored with a `Content-Length` equal to the chunk's length and nothing of the
 * body sent yet, or no head yet and no `Content-Length`/`Transfer-Encoding` header set (node:http
 * then declares the chunk's length). Then `strictContentLength` has nothing to check. Returns
 * the chunk's byte length when it does, else -1.
 */
function endsAsDeclared(res: ServerResponse, chunk: unknown, encoding: unknown): number {
  const r = res as ResponseState;
  if (r.finished || r.destroyed || !r._hasBody || r.chunkedEncoding) return -1;
  let len: number;
  if (typeof chunk === 'string') {
    if (chunk === '') return -1;
    len = Buffer.byteLength(
      chunk,
      typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8',
    );
  } else if (chunk instanceof Uint8Array) {
    len = chunk.byteLength;
  } else {
    return -1;
  }
  if (r._header) return !r._headerSent && r._contentLength === len ? len : -1;
  return !r.hasHeader('content-length') && !r.hasHeader('transfer-encoding') ? len : -1;
}

/**
 * The response class node:http builds for this server (its `ServerResponse` option): node:http's
 * own, except that `end(chunk)` of a body that matches its declared length ({@link
 * endsAsDeclared}) runs with `strictContentLength` off for that call. node:http's `end(chunk)`
 * sends the last bytes and schedules 'finish' in one write only when `strictContentLength` is
 * off; with it on it adds an empty write (a hello world's request took ~9 % more
 * instructions). Every other call, and a body whose length does not match, keeps the strict
 * check (the app gets `ERR_HTTP_CONTENT_LENGTH_MISMATCH`). Test: test/servers/http.wire.test.ts
 * "a Node handler's response shorter or longer than its Content-Length …".
 */
class StrictResponse extends ServerResponse {
  override end(chunk?: unknown, encoding?: unknown, cb?: unknown): this {
    const end = ServerResponse.prototype.end as (this: ServerResponse, ...a: unknown[]) => this;
    const len = this.strictContentLength ? endsAsDeclared(this, chunk, encoding) : -1;
    if (len < 0) return end.call(this, chunk, encoding, cb);
    this.strictContentLength = false;
    try {
      return end.call(this, chunk, encoding, cb);
    } finally {
      this.strictContentLength = true;
      // node:http counts the body bytes given only while strict: the access log reads them.
      const k = givenKey(this);
      const self = this as unknown as Record<symbol, number>;
      if (k !== null && typeof self[k] === 'number') self[k] += len;
    }
  }
}

/**
 * The greenlet of one request: a subclass (gevent's way of giving a greenlet its own `run`), so
 * every request greenlet has one shape and carries its request without an arguments array.
 */
class RequestGreenlet extends Greenlet {
  readonly server: HttpServer;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Links of the server's in-flight list. */
  prevInflight: RequestGreenlet | null = null;
  nextInflight: RequestGreenlet | null = null;

  constructor(server: HttpServer, req: IncomingMessage, res: ServerResponse) {
    super();
    this.server = server;
    this.req = req;
    this.res = res;
  }

  protected override run(): unknown {
    return this.server.isNodeHandler ? runNode(this) : runFetch(this);
  }
}
settleShape(() => new RequestGreenlet(null as never, null as never, null as never));

/** The in-flight request greenlets of a server, linked through the greenlets themselves. */
class InflightList {
  head: RequestGreenlet | null = null;
  size = 0;

  add(g: RequestGreenlet): void {
    g.nextInflight = this.head;
    if (this.head !== null) this.head.prevInflight = g;
    this.head = g;
    this.size++;
  }

  delete(g: RequestGreenlet): void {
    const { prevInflight: p, nextInflight: n } = g;
    if (p === null && this.head !== g) return; // not in the list
    if (p !== null) p.nextInflight = n;
    else this.head = n;
    if (n !== null) n.prevInflight = p;
    g.prevInflight = null;
    g.nextInflight = null;
    this.size--;
  }
}

function onConnClose(this: ConnSocket): void {
  const conn = this[kConn];
  if (conn === undefined) return;
  for (const g of conn.reqs.splice(0)) {
    if (!g.res.writableFinished) void g.kill({ block: false });
  }
}

/** Make `res` the last response of its connection. */
function closeAfter(res: ServerResponse): void {
  if (res.writableEnded) return;
  if (!res.headersSent) {
    res.shouldKeepAlive = false;
    res.setHeader('Connection', 'close');
    return;
  }
  res.once('finish', () => {
    const s = res.socket;
    if (s !== null) s.end();
  });
}

/** After a failure: a 500 with `Connection: close` if the head has not gone out, else cut. */
function failResponse(res: ServerResponse, killed: boolean): void {
  if (res.destroyed) return;
  if (killed) {
    res.destroy();
    return;
  }
  if (res.headersSent) {
    const sock = res.socket as ConnSocket | null;
    if (sock === null) {
      // Pipelined behind a response still going out: node:http hands this one the connection
      // later ('socket', then it flushes what the app wrote); fail it then, or the client waits
      // for its end forever (test/servers/http.pywsgi.test.ts "TestError_after_start_response /
      // TestErrorAfterChunk, pipelined behind a slow response …").
      res.once('socket', () => process.nextTick(failResponse, res, false));
      return;
    }
    if (
      (res as ServerResponse & { _headerSent?: boolean })._headerSent === false &&
      sock._httpMessage === res &&
      sock.writable
    ) {
      // A head set by `writeHead` that has not gone out (node:http writes it with the first
      // body bytes): nothing of this response is on the wire, so the client still gets a 500,
      // written as node:http's own `socketOnError` writes its 400 in this state (gevent's
      // TestError_after_start_response).
      res.statusCode = 500;
      (res as ResWithCount)[kRaw] = { status: 500, bytes: INTERNAL_ERROR.length };
      sock.end(RAW_500, 'latin1');
    } else {
      // Let what was written go out, then close without the end of the body.
      sock.end();
    }
    setTimeout(() => sock.destroy(), 1000).unref();
    return;
  }
  try {
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    res.shouldKeepAlive = false;
    // A streamed body that failed before its first piece counted 0 bytes: the 500's body is
    // what goes out (and what the access log says).
    if ((res as ResWithCount)[kBytes] !== undefined) (res as ResWithCount)[kBytes] = undefined;
    // The reason given explicitly: a status message the app set (maybe the invalid one that
    // made it fail) is not reused.
    res.writeHead(500, INTERNAL_ERROR, {
      'Content-Type': 'text/plain',
      'Content-Length': String(INTERNAL_ERROR.length),
      Connection: 'close',
    });
    res.end(INTERNAL_ERROR);
  } catch {
    res.destroy();
  }
}

function isKill(err: unknown): boolean {
  return err !== null && typeof err === 'object' && (err as Error).name === 'GreenletExit';
}

/**
 * When the client of `g` has gone (its connection closed): the kill that ends `g` (requested
 * now if the connection's close has not done it yet), else `null`. A request body read that
 * fails because of it throws this, so the request ends as killed, not failed, and nothing is
 * reported.
 */
function clientGoneExit(g: RequestGreenlet): unknown {
  const sock = g.req.socket;
  if (sock !== null && !sock.destroyed) return null;
  if (!g.dead) void g.kill({ block: false });
  const reason: unknown = g.signal.reason;
  return isKill(reason) ? reason : null;
}

/**
 * The errors node:http gives when the connection closed under a request: a read of its body, or
 * the end of a response with a `Content-Length` once the response is destroyed (a destroyed
 * response counts no bytes written, so its `end()` reports a length mismatch).
 */
function isDisconnect(err: unknown, res: ServerResponse): boolean {
  const code = err !== null && typeof err === 'object' ? (err as { code?: unknown }).code : null;
  return (
    code === 'ECONNRESET' ||
    code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    (code === 'ERR_HTTP_CONTENT_LENGTH_MISMATCH' && res.destroyed)
  );
}

/** What a request greenlet that failed with `err` ends with: the kill when its client left. */
function endOf(g: RequestGreenlet, err: unknown): unknown {
  if (isKill(err) || !isDisconnect(err, g.res)) return err;
  return clientGoneExit(g) ?? err;
}

/** Resolves when `sock` emits 'close' (never rejects: an 'error' comes before a 'close'). */
function closed(sock: Duplex): Promise<void> {
  return new Promise((resolve) => sock.once('close', () => resolve()));
}

/** A `Timeout` ends a bounded wait quietly; anything else (a kill) goes on. */
function ignoreTimeout(e: unknown): void {
  if (!(e instanceof Timeout)) throw e;
}

/**
 * The Node handler's run: synchronous when the app is and has ended its response (no promise, no
 * microtask per request). A handler that returns with its response still open (an Express app:
 * `app(req, res)` returns before its `async` route, which answers later; a callback that ends
 * it) keeps its greenlet until the response ends or its connection closes: the route's verdant
 * waits run in that greenlet's context and settle only while it lives, and `stop()` counts the
 * request as in flight. A kill or `Timeout` landing in that wait ends the response as a kill in
 * the handler does (the connection is dropped). Test: test/servers/http.interop.test.ts "an
 * async Express route …".
 */
function runNode(g: RequestGreenlet): Promise<void> | undefined {
  const res = g.res;
  let r: unknown;
  try {
    r = (g.server.app as NodeHandler)(g.req, res);
  } catch (err) {
    failWith(g, err);
  }
  if (!isPromiseLike(r)) return res.writableEnded || res.destroyed ? undefined : untilEnded(g);
  return Promise.resolve(r).then(
    () => (res.writableEnded || res.destroyed ? undefined : untilEnded(g)),
    (err: unknown) => failWith(g, err),
  );
}

/**
 * The wait of a Node handler's greenlet for the response it returned without ending: until the
 * response has finished or its connection has closed (`finished` settles on either; an error
 * there is the connection's, which its 'close' handles).
 */
function untilEnded(g: RequestGreenlet): Promise<void> {
  const ended = new Promise<void>((resolve) => finished(g.res, () => resolve()));
  return until(ended).catch((err: unknown) => failWith(g, err));
}

/** A request greenlet ends with `err`: fail its response, throw what the greenlet ends with. */
function failWith(g: RequestGreenlet, err: unknown): never {
  const end = endOf(g, err);
  failResponse(g.res, isKill(end));
  throw end;
}

/**
 * The Fetch `Request` the app gets: the standard class, subclassed only so that `signal` is the
 * request greenlet's (made on first use, aborted when the client goes away or the greenlet is
 * killed). Passing a `signal` to the constructor instead would build undici's signal plumbing for
 * every request, read or not.
 */
class ServerRequest extends Request {
  readonly #g: RequestGreenlet;

  constructor(url: string, init: RequestInit | undefined, g: RequestGreenlet) {
    super(url, init);
    this.#g = g;
  }

  static signalOf(r: ServerRequest): AbortSignal {
    return r.#g.signal;
  }

  /** The connection `r` came on, when the server made it (else `undefined`). */
  static socketOf(r: object): NetSocket | undefined {
    return #g in r ? (r as ServerRequest).#g.req.socket : undefined;
  }
}
Object.defineProperty(ServerRequest.prototype, 'signal', {
  configurable: true,
  enumerable: true,
  get(this: ServerRequest): AbortSignal {
    return ServerRequest.signalOf(this);
  },
});
Object.defineProperty(ServerRequest, 'name', { value: 'Request' });

/** The connections of the Requests made for WebSocket handlers (not on the request path). */
const upgradeSockets = new WeakMap<Request, Duplex>();

/**
 * The client's address of a `Request` the server made: `[host, port]`, the pair a `StreamServer`
 * handler gets as `address` (gevent's pywsgi `environ['REMOTE_ADDR']` and `REMOTE_PORT`; a Node
 * handler reads `req.socket.remoteAddress` and `remotePort`). Does not switch; reads the
 * connection when asked, so a request that never asks costs nothing and the Request's lazy parts
 * (its `signal`, its body) stay unmade.
 *
 * @param request the `Request` a Fetch handler (or a WebSocket handler) got
 * @returns `[host, port]` (the host as Node gives it: `'127.0.0.1'`, `'::1'`), or `null` for a
 *   `Request` the server did not make, one that came over a Unix socket (no host and port), or
 *   one whose client has gone away before its address was first read
 * @throws TypeError when `request` is not a `Request`
 * @example
 * ```ts
 * import { clientAddress, HttpServer } from 'verdant/http';
 *
 * const server = new HttpServer(['127.0.0.1', 8080], (request) => {
 *   const [host, port] = clientAddress(request) ?? ['-', 0];
 *   return new Response(`you are ${host}:${port}\n`);
 * });
 * ```
 *
 * Source: gevent's `pywsgi.WSGIHandler.get_environ` (`REMOTE_ADDR`, `REMOTE_PORT`); the Fetch
 * `Request` has no field for it, hence a function.
 */
export function clientAddress(request: Request): [host: string, port: number] | null {
  if (!(request instanceof Request)) {
    throw new TypeError(`clientAddress: request must be a Request, got ${describe(request)}`);
  }
  const sock = ServerRequest.socketOf(request) ?? upgradeSockets.get(request);
  if (sock === undefined) return null;
  const { remoteAddress: host, remotePort: port } = sock as NetSocket;
  return typeof host === 'string' && typeof port === 'number' ? [host, port] : null;
}

/** The state of a request without a body (shared: nothing writes to it). */
const NO_BODY: FetchState = { expectContinue: false, bodyTouched: false, bodyDone: true };

function lower(name: string): string {
  return name.toLowerCase();
}

async function runFetch(g: RequestGreenlet): Promise<void> {
  const { server, req, res } = g;
  let state = NO_BODY;
  let request: Request;
  try {
    // One pass over the raw head: the few fields the server reads, without making node:http
    // build `req.headers`.
    const raw = req.rawHeaders;
    let host: string | undefined;
    let expect: string | undefined;
    let length: string | undefined;
    let te: string | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i] as string;
      const n = name.length;
      if (n === 4) {
        if (host === undefined && lower(name) === 'host') host = raw[i + 1];
      } else if (n === 6) {
        if (expect === undefined && lower(name) === 'expect') expect = raw[i + 1];
      } else if (n === 14) {
        if (length === undefined && lower(name) === 'content-length') length = raw[i + 1];
      } else if (n === 17) {
        if (te === undefined && lower(name) === 'transfer-encoding') te = raw[i + 1];
      }
    }
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const full = server._urlOf(req, url, host);
    const hasBody =
      method !== 'GET' &&
      method !== 'HEAD' &&
      (length !== undefined ? length !== '0' : te !== undefined);
    // HTTP/1.1 only, as node:http answers a Node handler's: a server ignores the expectation
    // in an HTTP/1.0 request (RFC 9110 §10.1.1), whose client cannot read a 1xx answer.
    const expectContinue =
      expect !== undefined && req.httpVersion === '1.1' && /100-continue/i.test(expect);
    let init: (RequestInit & { duplex?: 'half' }) | undefined;
    if (hasBody || expectContinue) {
      state = { expectContinue, bodyTouched: false, bodyDone: !hasBody };
    }
    if (hasBody) init = { method, body: bodyStream(req, res, state, g), duplex: 'half' };
    else if (method !== 'GET') init = { method };
    request = new ServerRequest(full, init, g);
    // Appended after construction: cheaper than a `Headers` passed in `init` (one copy less).
    const headers = request.headers;
    for (let i = 0; i < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  } catch {
    // A request node:http accepted but the Fetch API refuses (an odd URL or method): 400.
    if (!res.headersSent && !res.destroyed) {
      res.shouldKeepAlive = false;
      res.writeHead(400, { 'Content-Length': '0', Connection: 'close' });
      res.end();
    }
    return;
  }
  try {
    const r = (server.app as FetchHandler)(request);
    const response = (r instanceof Response ? r : await r) as Response;
    if (!(response instanceof Response)) {
      throw new TypeError(
        `HttpServer: a Fetch handler must return a Response, got ${describe(response)}`,
      );
    }
    await sendResponse(server, req, res, response, state);
  } catch (err) {
    failWith(g, err);
  }
}

/**
 * Where the outcome of the body read in flight lands: one per response, its two handlers made
 * once (no closure, no `.catch` promise per read: a stream of 1000 pieces makes 1000 reads).
 * Reads settle in order and a new one starts only once the last has settled, so the box always
 * describes the latest read. A read left pending by a kill (landing in the drain wait) settles
 * into it harmlessly: never an unhandled rejection.
 */
class ReadBox {
  /** 0: pending, 1: value in `v`, 2: error in `v`. */
  st = 0;
  v: unknown = undefined;
  readonly #ok = (x: Read): void => {
    this.st = 1;
    this.v = x;
  };
  readonly #err = (e: unknown): void => {
    this.st = 2;
    this.v = e;
  };

  watch(p: Promise<Read>): Promise<Read> {
    this.st = 0;
    this.v = undefined;
    p.then(this.#ok, this.#err);
    return p;
  }

  /** The settled read's result; throws its error. */
  take(): Read {
    if (this.st === 2) throw this.v;
    return this.v as Read;
  }
}

const kGuard = Symbol('verdant.http.guard');
type GuardedRes = ServerResponse & { [kGuard]?: (() => void) | undefined };

/**
 * From the first real wait for a response body on: when the client goes away before the
 * response has ended, cancel the body at once, from the connection's close — before the kill of
 * the request greenlet lands. The source's `cancel()` runs even when its `pull()` waits in the
 * request greenlet (a stream pulls in the context of its reader), where the kill lands too and
 * would otherwise error the stream first, leaving nothing to cancel.
 */
function guardBody(res: ServerResponse, reader: ReadableStreamDefaultReader): void {
  const r = res as GuardedRes;
  if (r[kGuard] !== undefined) return;
  const onClose = (): void => {
    if (!res.writableFinished) reader.cancel(new Error(CLIENT_GONE)).catch(ignore);
  };
  r[kGuard] = onClose;
  res.once('close', onClose);
}

function unguardBody(res: ServerResponse): void {
  const r = res as GuardedRes;
  const f = r[kGuard];
  if (f !== undefined) {
    res.off('close', f);
    r[kGuard] = undefined;
  }
}

const CLIENT_GONE = 'The client closed the connection before the response ended';

async function sendResponse(
  server: HttpServer,
  req: IncomingMessage,
  res: ServerResponse,
  response: Response,
  state: FetchState,
): Promise<void> {
  const status = response.status;
  const flat: string[] = [];
  let framed = false;
  let unframed = false;
  let cookies = false;
  for (const [k, v] of response.headers) {
    if (k === 'set-cookie') {
      cookies = true;
      continue;
    }
    // The app's own framing: its Content-Length, or a Transfer-Encoding node:http then applies
    // (chunked) as it does a Node handler's; never a Content-Length added next to the latter.
    if (k === 'content-length' || k === 'transfer-encoding') framed = true;
    // A Transfer-Encoding whose last coding is not chunked delimits nothing: the body ends when
    // the server closes (RFC 9112 §6.3), which node:http does not do by itself.
    if (k === 'transfer-encoding' && !/(?:^|,)[ \t]*chunked[ \t]*$/i.test(v)) unframed = true;
    flat.push(k, v);
  }
  if (unframed && !hasFlag(flat, 'connection', 'close')) flat.push('connection', 'close');
  if (cookies) for (const c of response.headers.getSetCookie()) flat.push('set-cookie', c);
  const head = req.method === 'HEAD';
  const body = response.body;
  // A body that has already arrived whole is dropped from memory and the connection goes on,
  // whatever its length or framing (gevent's ChunkedInputTests.test_short_read and
  // Expect100ContinueTests.test_continue, where the client sent the body without waiting for
  // 100). Looked at only for a body left unread or an expectation (`req.headers` is built then).
  let arrived =
    (!state.bodyDone && !state.bodyTouched) || state.expectContinue ? bodyArrived(req) : true;
  if (!arrived && req.headers['content-length'] === undefined) {
    // A chunked body has no length to count, and node:http runs the app before it has parsed
    // the end of a body that came in the packet of its head (or in one parsed meanwhile): let
    // it finish that packet (one turn of Node's loop, only for a body left unread).
    try {
      await until(nextTurn());
    } catch (err) {
      if (body !== null) body.cancel().catch(ignore);
      throw err;
    }
    arrived = bodyArrived(req);
  }
  if (!state.bodyDone && !state.bodyTouched && !arrived) {
    // The app did not read the body: read the rest only when it is small (node:http does, after
    // the response; the request greenlet's end gives it BODY_STALL_MS), else close after.
    const cl = req.headers['content-length'];
    if (cl === undefined || Number(cl) > server._maxDiscard) flat.push('connection', 'close');
  }
  if (state.expectContinue) {
    // Never answer 100 once the response has started: the client must not send the body, so a
    // body not there yet may never come and the connection cannot go on.
    state.expectContinue = false;
    if (!arrived) {
      if (!hasFlag(flat, 'connection', 'close')) flat.push('connection', 'close');
    } else {
      // node:http closes after a response to an expectation it did not answer with 100; the
      // body is here, so the connection can go on.
      (res as ServerResponse & { _expect_continue?: boolean })._expect_continue = false;
    }
  }
  let count = 0;
  if (body === null || status === 204 || status === 304) {
    if (body !== null) void body.cancel();
    else if (!framed && !head && status !== 204 && status !== 304) {
      // No body: `Content-Length: 0`, not an empty chunked body (gevent's TestInternational).
      flat.push('content-length', '0');
    }
    writeHead(res, status, response.statusText, flat);
    res.end();
    return;
  }
  const reader = body.getReader();
  const box = new ReadBox();
  let done = false;
  try {
    // A read settled within a few microtasks (a body from a string, bytes or an in-memory
    // stream) is taken without a hub round trip; else it is waited for through `until` (a kill
    // or `Timeout` lands there).
    let next: Promise<Read> | null = box.watch(reader.read() as Promise<Read>);
    for (let i = 0; i < 4 && box.st === 0; i++) await RESOLVED;
    let first: Read;
    if (box.st !== 0) first = box.take();
    else {
      guardBody(res, reader);
      first = (await until(next)) as Read;
    }
    if (first.done) {
      if (!framed && !head) flat.push('content-length', '0');
      writeHead(res, status, response.statusText, flat);
      res.end();
      done = true;
      return;
    }
    let piece = toBytes(first.value);
    next = box.watch(reader.read() as Promise<Read>);
    // Does the end follow at once? A few microtasks, then one turn of Node's loop.
    for (let i = 0; i < 3 && box.st === 0; i++) await RESOLVED;
    let probe: Read | typeof PENDING;
    if (box.st !== 0)
      probe = box.take(); // throws the stream's error
    else {
      guardBody(res, reader);
      probe = (await until(Promise.race([next, nextTurn()]))) as Read | typeof PENDING;
    }
    if (probe !== PENDING && probe.done) {
      // Known length: one piece then the end.
      if (!framed) flat.push('content-length', String(piece.byteLength));
      writeHead(res, status, response.statusText, flat);
      if (head) res.end();
      else {
        count = piece.byteLength;
        res.end(piece);
      }
      done = true;
      return;
    }
    writeHead(res, status, response.statusText, flat);
    if (head) {
      res.end();
      return;
    }
    guardBody(res, reader);
    const counted = res as ResWithCount;
    for (let k = 1; ; k++) {
      count += piece.byteLength;
      // Kept current on the response: a client that cuts the stream closes it, and the access
      // log reads the count then, before this greenlet's `finally` runs.
      counted[kBytes] = count;
      if (!res.write(piece)) await waitEvent(res, 'drain', 'close');
      if (res.destroyed) return;
      if (probe === PENDING) {
        // A piece already on its way is taken without a hub round trip, but every 16th read
        // goes through `until` so that a kill lands and other greenlets run even when the
        // client takes everything at once.
        if ((k & 15) !== 0) for (let i = 0; i < 4 && box.st === 0; i++) await RESOLVED;
        probe =
          (k & 15) !== 0 && box.st !== 0
            ? box.take()
            : ((await until(next as Promise<Read>)) as Read);
      }
      next = null;
      if (probe.done) break;
      piece = toBytes(probe.value);
      probe = PENDING;
      next = box.watch(reader.read() as Promise<Read>);
    }
    res.end();
    done = true;
  } finally {
    (res as ResWithCount)[kBytes] = count;
    unguardBody(res);
    if (!done) reader.cancel().catch(ignore);
    else reader.releaseLock();
  }
}

function ignore(): void {}

/** How long the rest of a request body may take once the response is out (ms). */
const BODY_STALL_MS = 500;

/**
 * Once `res` is out (now, if it is already), give the rest of the request body
 * {@link BODY_STALL_MS} to come (node:http reads and drops it, or the app's own code reads it),
 * then close the connection: a client that stalled would hold it until `requestTimeout` (a
 * Fetch app that answered 408 after `until(request.text(), {timeout})`, a Node handler that
 * read part of a body, a small body left unread that never ends). Called when a request
 * greenlet ends with its body not complete, for Fetch and Node handlers alike.
 */
function closeIfBodyStalls(req: IncomingMessage, res: ServerResponse): void {
  if (res.writableFinished) watchBodyStall(req);
  else res.once('finish', () => watchBodyStall(req));
}

function watchBodyStall(req: IncomingMessage): void {
  if (req.complete) return;
  const sock = req.socket;
  const t = setTimeout(() => {
    if (!req.complete) sock.destroy();
  }, BODY_STALL_MS);
  t.unref();
  req.once('end', () => clearTimeout(t));
}

/**
 * Whether the request body has arrived whole: node:http has parsed its end, or holds all its
 * `Content-Length` bytes unread (the request greenlet can run before the parser reports the end
 * of a body that came in the packet of its head).
 */
function bodyArrived(req: IncomingMessage): boolean {
  if (req.complete) return true;
  const cl = req.headers['content-length'];
  return cl !== undefined && req.readableLength >= Number(cl);
}

function hasFlag(flat: string[], name: string, value: string): boolean {
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i] === name && (flat[i + 1] as string).toLowerCase() === value) return true;
  }
  return false;
}

function writeHead(res: ServerResponse, status: number, text: string, flat: string[]): void {
  if (res.getHeader('connection') === 'close' && !hasFlag(flat, 'connection', 'close')) {
    flat.push('connection', 'close');
  }
  if (text !== '') res.writeHead(status, text, flat);
  else res.writeHead(status, flat);
}

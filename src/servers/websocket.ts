/**
 * verdant/websocket: blocking-style WebSockets on `ws` (gevent-websocket's shape).
 *
 * Design note — what one echoed message costs.
 * - A message that finds a receiver wakes it directly (`Inbox.deliver`); otherwise it is buffered.
 *   A receive (and the `for await` iterator's `next()`, whose wait resolves with the
 *   `IteratorResult` itself: no async generator in between) parks a pooled Waiter. A woken receive
 *   killed before it resumes hands its message back to the next receiver or the buffer's head,
 *   behind the messages handed back before it and not taken since, so receives interrupted
 *   together keep the arrival order (tests: test/servers/websocket.test.ts "a killed receive()
 *   loses no message", "for await is a cancel point that loses no message", "receives
 *   interrupted together hand their messages back in arrival order …").
 * - `send()` hands the frame to `ws` WITHOUT a write callback: when the kernel took it in the
 *   call itself (`bufferedAmount` is 0 after it) the send resolves at once, with no wait, promise
 *   or closure of its own. (A write callback costs Node a tick, an object and a closure per frame
 *   even when the write completed at once: a quarter of the echo's overhead over bare `ws`.)
 *   Otherwise it writes a flush marker, an empty write with the socket's one write callback,
 *   behind the frame on the TCP socket (writes complete in order), and waits, holding the
 *   marker's sequence number, until the callback has been called that many times; a kill or
 *   Timeout there ends the wait and the frame still goes out (tests: "send() resolves once
 *   flushed", "a send() waiting for its flush is a cancel point"). With an extension negotiated
 *   (permessage-deflate, client side) `ws` may hold a frame back in its own queue, which the
 *   marker would overtake: there every frame carries the callback instead.
 *
 * Design note — receive back-pressure. Messages nobody has taken are buffered in the `Inbox`; once
 * they count for `READ_AHEAD` bytes (256 KiB, what a verdant socket reads ahead; each message
 * counts its bytes plus a fixed cost, a text message its length), the inbox pauses `ws`'s socket
 * (`ws.pause()`): the kernel's buffers fill and the peer's sends wait for their flush, as
 * gevent-websocket's peer waits (it reads the socket only in `receive()`). A `receive()` taking
 * the buffer below the bound resumes it; so does `close()`, whose closing handshake must read the
 * peer's close frame. Memory per socket is then bounded by the read-ahead plus one message of
 * `maxMessageSize` being assembled. While paused, the peer's pongs cannot be read: a keep-alive
 * tick neither pings nor judges a paused socket (the peer is busy sending what we do not read; it
 * is not silent), and the next tick after resuming starts afresh; after it, any byte read counts
 * as the peer's answer (its pong is queued behind the data it floods us with). A ping from the peer is not
 * answered while paused either (it sits in the kernel behind the data): a peer that drops us for
 * that is one that sent more than we read (tests: "receive back-pressure: a handler that does not
 * receive stops the sender …", "a killed receive() loses no message").
 *
 * Design note — what one open socket holds beyond `ws`'s objects: the wrapper, its `Inbox` (the
 * wait owner of receives, holding the buffer), one write callback, and a `Messages` iterator when
 * iterated. `ws`'s listeners are shared functions that find the wrapper through a symbol on the
 * raw socket, and keep-alive is one unref'd timer per interval for every socket using it, not a
 * timer per socket (test: "keep-alive: a peer that answers pings stays").
 *
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket as RawWebSocket, type ClientOptions as WsClientOptions } from 'ws';
import { until } from '../core/api.js';
import {
  checkOptionKeys,
  ioEnded,
  ioStarted,
  NONE,
  noteCompletedAtOnce,
  obtainWaiter,
  readWaitOptions,
  rejectWait,
  throwTimeout,
  Waiter,
  WaitList,
  type WaitOptions,
  waitArgs,
} from '../core/lowlevel.js';
import { READ_AHEAD } from '../io/_stream.js';
import { readMaxMessageSize, readPingInterval } from './_ws-options.js';

/** A message: text frames as `string`, binary frames as `Uint8Array`. */
export type Message = string | Uint8Array;

/**
 * What handles an upgraded connection on the server, in its own greenlet. The server's access
 * log gets the request's line (status 101, bytes `-`) when the handler returns, timing the whole
 * connection, as pywsgi logs it when the gevent-websocket handler returns; a handshake the server
 * refuses (405 for a method other than GET, 400 for a bad `Sec-WebSocket-Key` or version, 426
 * while stopping) gets its line at once, with the status and body bytes sent.
 */
export type WebSocketHandler = (ws: WebSocket, request: Request) => unknown;

/** Server-side WebSocket options, given as `{websocket: {handler, ...}}` or just the handler. */
export interface WebSocketServerOptions {
  /**
   * Runs once per upgraded connection, in a greenlet of its own; the socket closes when it returns
   * (close code 1000, 1011 when it throws). A killed handler (a kill, `stop()`'s timeout,
   * `close()`) sends close code 1001 (Going Away), behind any frame still being flushed (a
   * killed `send()`'s message goes out whole first), and drops the connection without waiting
   * for the peer's close frame: at once, or once those frames are out (at most 1 s).
   */
  handler: WebSocketHandler;
  /**
   * Largest message accepted, bytes (default 16 MiB; `Infinity`: no limit); larger closes the
   * connection with 1009.
   */
  maxMessageSize?: number;
  /**
   * Ping interval in ms (default 30000; 0 or `Infinity` disables); a peer silent for one interval
   * is dropped.
   */
  pingInterval?: number;
}

/** Options of {@link connect}. */
export interface ConnectOptions extends WaitOptions {
  /** Subprotocols to offer. */
  protocols?: string | string[];
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Largest message accepted, bytes (default 16 MiB; `Infinity`: no limit). */
  maxMessageSize?: number;
  /** Ping interval in ms (default 0: none on the client; `Infinity`: none). */
  pingInterval?: number;
  /** Further `ws` client options (TLS `ca`, `rejectUnauthorized` …). */
  ws?: WsClientOptions;
}

const DEFAULT_MAX = 16 * 1024 * 1024;

/** The options {@link connect} knows: another key is a mistake (`timout` waited forever). */
const CONNECT_KEYS: readonly string[] = [
  'timeout',
  'signal',
  'protocols',
  'headers',
  'maxMessageSize',
  'pingInterval',
  'ws',
];

function describe(x: unknown): string {
  if (x === null) return 'null';
  return typeof x === 'string' ? JSON.stringify(x) : typeof x;
}

function toMessage(data: RawData, isBinary: boolean): Message {
  if (!isBinary) return Array.isArray(data) ? Buffer.concat(data).toString() : data.toString();
  if (Array.isArray(data)) {
    const b = Buffer.concat(data);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Largest read chunk (bytes) whose Buffer a socket keeps to send its last message back. */
const ECHO_MAX = 16 * 1024;

/** A receive wait's `data` bits: its I/O is counted (cleared once uncounted) … */
const IO = 1;
/** … and it stands for the async iterator's `next()`: it resolves with an `IteratorResult`. */
const ITER = 2;
const SEND_TEXT = { binary: false };
const SEND_BINARY = { binary: true };
const SENT: Promise<void> = Promise.resolve();
/** The flush marker: an empty write whose callback says that everything before it is written. */
const EMPTY = Buffer.alloc(0);
const END: IteratorResult<Message, undefined> = Object.freeze({ value: undefined, done: true });

/**
 * What one buffered message counts for the read-ahead bound, beyond its bytes (a text message
 * counts its length): the array slot and the object, so that many tiny messages are bounded too.
 */
const MESSAGE_COST = 64;

/** The bytes one buffered message counts for (see {@link MESSAGE_COST}). */
function cost(m: Message): number {
  return (typeof m === 'string' ? m.length : m.byteLength) + MESSAGE_COST;
}

/** What a receive wait holds when woken with `m` (`null`: closed). */
function held(w: Waiter, m: Message | null): unknown {
  if (((w.data as number) & ITER) === 0) return m;
  return m === null ? END : { value: m, done: false };
}

/** The message a woken receive wait held (what {@link held} made of it). */
function unheld(w: Waiter): Message | null {
  const v = w.value;
  if (((w.data as number) & ITER) === 0) return v as Message | null;
  const r = v as IteratorResult<Message, undefined>;
  return r.done === true ? null : r.value;
}

/** A receive's I/O is over: it resumes or was withdrawn. */
function ioDone(w: Waiter): void {
  const bits = w.data as number;
  if ((bits & IO) !== 0) {
    w.data = bits & ~IO;
    ioEnded(w.hub);
  }
}

/**
 * The receiving side of one socket, and the wait owner of its receives: the messages nobody has
 * taken yet and the receivers waiting, oldest first. One object per socket, no closures.
 */
class Inbox extends WaitList {
  readonly queue: Message[] = [];
  /**
   * How many messages at the head of `queue` were handed back by interrupted receives and not
   * taken since: the next one handed back goes behind them, so a burst of interrupted receives
   * (a `Promise.all` of two, killed) leaves the messages in arrival order.
   */
  front = 0;
  closed = false;
  /** What the buffered messages count for, bytes (see {@link cost}). */
  bytes = 0;
  /** The raw socket, whose reading this inbox paused (`paused`) when the buffer grew past READ_AHEAD. */
  raw: RawWebSocket | null = null;
  paused = false;

  /** Take the oldest buffered message (the caller checked there is one). */
  take(): Message {
    if (this.front > 0) this.front--;
    const m = this.queue.shift() as Message;
    this.bytes -= cost(m);
    if (this.paused && this.bytes < READ_AHEAD) this.resume();
    return m;
  }

  /** Buffer `m` at `i` (the tail by default); reading pauses once the buffer holds READ_AHEAD bytes. */
  hold(m: Message, i = -1): void {
    if (i < 0) this.queue.push(m);
    else this.queue.splice(i, 0, m);
    this.bytes += cost(m);
    if (this.bytes >= READ_AHEAD && !this.paused && !this.closed) {
      const raw = this.raw;
      if (raw !== null && raw.readyState === RawWebSocket.OPEN) {
        this.paused = true;
        raw.pause();
      }
    }
  }

  /** Read the socket again (the buffer drained, or the socket is closing). */
  resume(): void {
    this.paused = false;
    this.raw?.resume();
  }

  /**
   * A message arrived (`ws`'s `'message'` event, a Node callback of the loop): to the oldest
   * live receiver, resumed at once when the hub is free (`Waiter.wakeNow`), else to the buffer.
   */
  deliver(m: Message): void {
    const w = this.shiftLive();
    if (w !== null) w.wakeNow(held(w, m));
    else this.hold(m);
  }

  /** The connection closed: every receiver gets `null` (the buffer stays to be drained). */
  close(): void {
    this.closed = true;
    for (let w = this.shiftLive(); w !== null; w = this.shiftLive()) w.wake(held(w, null));
  }

  /** Park a receive (`bits`: IO, and ITER for the iterator's `next()`). */
  wait(bits: number, timeout: number | null, signal: AbortSignal | null): Promise<unknown> {
    const w = obtainWaiter<unknown>(this, throwTimeout);
    this.push(w);
    ioStarted(w.hub);
    w.data = bits;
    return w.start(timeout, signal);
  }

  /** The iterator's `next()`: an `IteratorResult`, at once when one is buffered or closed. */
  next(): Promise<IteratorResult<Message, undefined>> {
    if (this.queue.length > 0) {
      noteCompletedAtOnce();
      return Promise.resolve({ value: this.take(), done: false });
    }
    if (this.closed) return Promise.resolve(END);
    return this.wait(IO | ITER, null, null) as Promise<IteratorResult<Message, undefined>>;
  }

  /** An interrupted receive gives back what it held. */
  override abortWait(w: Waiter, wasWoken: boolean): void {
    ioDone(w);
    if (!wasWoken) {
      this.remove(w);
      return;
    }
    const m = unheld(w);
    if (m !== null) {
      const next = this.shiftLive();
      if (next !== null) next.wake(held(next, m));
      else this.hold(m, this.front++);
    }
  }

  commitWait(w: Waiter): void {
    ioDone(w);
  }
}

/** `for await (const msg of ws)`: every message until the connection closes. */
class Messages implements AsyncIterableIterator<Message> {
  readonly #inbox: Inbox;
  /** Set by `return()`: a finished iterator takes no more messages (as an async generator). */
  #done = false;
  constructor(inbox: Inbox) {
    this.#inbox = inbox;
  }
  next(): Promise<IteratorResult<Message, undefined>> {
    if (this.#done) return Promise.resolve(END);
    return this.#inbox.next();
  }
  return(): Promise<IteratorResult<Message, undefined>> {
    this.#done = true;
    return Promise.resolve(END);
  }
  [Symbol.asyncIterator](): AsyncIterableIterator<Message> {
    return this;
  }
}

/**
 * The waits of senders whose frame `ws` has not flushed yet, oldest first (`w.data`: the frame's
 * sequence number). Each counts as I/O until woken or withdrawn.
 */
class Senders extends WaitList {
  override abortWait(w: Waiter, wasWoken: boolean): void {
    if (!wasWoken) {
      this.remove(w);
      ioEnded(w.hub);
    }
  }
}

/** The close codes of `ws`'s receive errors (`err.code`) whose status it does not expose publicly. */
const ERROR_CLOSE_CODES: Readonly<Record<string, number>> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 1009,
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: 1009,
  WS_ERR_INVALID_UTF8: 1007,
  WS_ERR_TOO_MANY_BUFFERED_PARTS: 1008,
};

/**
 * The close code `ws` sent for a receive error: its status code (a symbol-keyed property,
 * `Symbol('status-code')`), else by the error's `code`; null for another error (a socket error,
 * after which nothing was sent).
 */
function sentCloseCode(err: unknown): number | null {
  if (err === null || typeof err !== 'object') return null;
  for (const k of Object.getOwnPropertySymbols(err)) {
    if (k.description === 'status-code') {
      const v = (err as Record<symbol, unknown>)[k];
      if (typeof v === 'number') return v;
    }
  }
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return null;
  return ERROR_CLOSE_CODES[code] ?? (code.startsWith('WS_ERR_') ? 1002 : null);
}

/** The raw socket's link back to its wrapper, so its listeners are shared functions. */
const kSelf: unique symbol = Symbol('verdant.websocket');
type Tagged = RawWebSocket & { [kSelf]: WebSocket };

/** The sockets pinged every `interval` ms by one shared timer. */
interface PingGroup {
  readonly sockets: Set<WebSocket>;
  timer: NodeJS.Timeout | null;
}
const pingGroups = new Map<number, PingGroup>();

/**
 * One WebSocket connection (either end), with blocking-style `receive` and `send`.
 *
 * Made by {@link connect} on the client and handed to the server's handler; never constructed
 * directly. `receive()` and `send()` are switch points where kill and `Timeout` land.
 *
 * Source: gevent-websocket's `WebSocket` (`receive`, `send`, `close`, `closed`); messages are
 * buffered in the object so an interrupted `receive` loses none.
 *
 * @example
 * ```ts
 * import { HttpServer } from 'verdant/http';
 * import { connect } from 'verdant/websocket';
 *
 * const server = new HttpServer(['127.0.0.1', 0], () => new Response('hi'), {
 *   log: null,
 *   websocket: async (ws) => {
 *     for await (const msg of ws) await ws.send(msg); // echo until the client closes
 *   },
 * });
 * await server.start();
 * const ws = await connect(`ws://127.0.0.1:${server.serverPort}/echo`);
 * await ws.send('hello');
 * console.log(await ws.receive({ timeout: 1000 })); // 'hello'
 * ws.close();
 * await server.stop();
 * ```
 */
export class WebSocket {
  readonly #raw: RawWebSocket;
  readonly #inbox: Inbox = new Inbox(this);
  /** Senders waiting for their frame to be flushed; made at the first such wait. */
  #senders: Senders | null = null;
  /** Frames handed to `ws`, and frames whose write callback `ws` has called. */
  #issued = 0;
  #flushed = 0;
  #closeCode: number | null = null;
  /** The close code `ws` sent because of a protocol error of the peer's (1009, 1007 …), or null. */
  #sentCode: number | null = null;
  #closeReason = '';
  /** The keep-alive group this socket is in, or null. */
  #pings: PingGroup | null = null;
  #alive = true;
  /** The socket's `bytesRead` at the last keep-alive tick: bytes read since prove the peer alive. */
  #readMark = 0;
  /**
   * The last small binary message received, and the `ws` Buffer it views: an echo of it sends
   * that Buffer (`ws` would otherwise make a Buffer of the view for every frame).
   */
  #echoView: Uint8Array | null = null;
  #echoBuffer: Buffer | null = null;
  /** The TCP (or TLS) socket under `ws`, once known: the server's upgraded one, the client's at 'upgrade'. */
  #socket: Duplex | null;
  /** Whether frames go straight to {@link #socket} (no extension negotiated): 0 not known yet, 1 yes, 2 no. */
  #plain = 0;

  /** @internal */
  constructor(raw: RawWebSocket, pingInterval: number, socket: Duplex | null) {
    this.#raw = raw;
    this.#socket = socket;
    this.#inbox.raw = raw;
    if (socket === null) raw.once('upgrade', WebSocket.#onUpgrade);
    (raw as Tagged)[kSelf] = this;
    raw.on('message', WebSocket.#onMessage);
    raw.on('close', WebSocket.#onClose);
    raw.on('error', WebSocket.#onError);
    raw.on('pong', WebSocket.#onPong);
    if (pingInterval > 0) WebSocket.#joinPings(this, pingInterval);
  }

  // The listeners are shared by every socket: `ws` calls them with `this` = the raw socket.
  static readonly #onMessage = function (
    this: RawWebSocket,
    data: RawData,
    isBinary: boolean,
  ): void {
    const self = (this as Tagged)[kSelf];
    if (isBinary && Buffer.isBuffer(data) && data.buffer.byteLength <= ECHO_MAX) {
      // Remember the Buffer behind the view: sending the view back gives `ws` the Buffer itself.
      const m = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      self.#echoView = m;
      self.#echoBuffer = data;
      self.#inbox.deliver(m);
    } else {
      self.#inbox.deliver(toMessage(data, isBinary));
    }
  };

  static readonly #onUpgrade = function (this: RawWebSocket, res: IncomingMessage): void {
    (this as Tagged)[kSelf].#socket = res.socket;
  };

  static readonly #onError = function (this: RawWebSocket, err: Error): void {
    // A 'close' always follows; when `ws` closed because of what the peer sent, remember the code
    // it sent, which that 'close' reports as 1006 (the peer's close frame is never read).
    (this as Tagged)[kSelf].#sentCode = sentCloseCode(err);
  };

  static readonly #onPong = function (this: RawWebSocket): void {
    (this as Tagged)[kSelf].#alive = true;
  };

  static readonly #onClose = function (this: RawWebSocket, code: number, reason: Buffer): void {
    const self = (this as Tagged)[kSelf];
    self.#closeCode = code === 1006 && self.#sentCode !== null ? self.#sentCode : code;
    self.#closeReason = reason.toString();
    self.#echoView = null;
    self.#echoBuffer = null;
    WebSocket.#leavePings(self);
    self.#inbox.close();
    // `ws` calls every write callback before 'close'; a sender still waiting is not left hanging.
    const senders = self.#senders;
    if (senders !== null) {
      for (let w = senders.shiftLive(); w !== null; w = senders.shiftLive()) {
        ioEnded(w.hub);
        w.wakeError(new Error('WebSocket closed before the message was sent'));
      }
    }
  };

  /**
   * Keep-alive: one unref'd timer per interval for all sockets. Each tick pings every socket of
   * the group and drops one that did not answer the previous tick's ping and sent nothing since
   * it: a peer silent for a whole interval after a ping is dropped. Any byte read counts as an
   * answer: a peer flooding us queues its pong behind its data, and is not silent.
   */
  static #joinPings(self: WebSocket, interval: number): void {
    let g = pingGroups.get(interval);
    if (g === undefined) {
      g = { sockets: new Set(), timer: null };
      pingGroups.set(interval, g);
    }
    if (g.timer === null) {
      const group = g;
      g.timer = setInterval(() => {
        for (const ws of group.sockets) ws.#ping();
      }, interval);
      g.timer.unref();
    }
    g.sockets.add(self);
    self.#pings = g;
  }

  static #leavePings(self: WebSocket): void {
    const g = self.#pings;
    if (g === null) return;
    self.#pings = null;
    g.sockets.delete(self);
    if (g.sockets.size === 0 && g.timer !== null) {
      clearInterval(g.timer);
      g.timer = null;
    }
  }

  #ping(): void {
    if (this.#inbox.paused) {
      // Reading is paused (see the note): the peer's pong cannot be read; judge it after resuming.
      this.#alive = true;
      return;
    }
    const read = (this.#socket as { bytesRead?: number } | null)?.bytesRead ?? 0;
    if (!this.#alive && read === this.#readMark) {
      this.#raw.terminate();
      return;
    }
    this.#readMark = read;
    this.#alive = false;
    try {
      this.#raw.ping();
    } catch {
      // closing: the 'close' event follows
    }
  }

  /**
   * The socket to write the flush marker to, or null when frames must carry the write callback:
   * with an extension (permessage-deflate) `ws` may queue a frame in its own buffer, where an
   * empty socket write would overtake it. Negotiated once, at the handshake.
   */
  #plainSocket(): Duplex | null {
    if (this.#plain === 0) {
      if (this.#socket === null) return null;
      this.#plain = this.#raw.extensions === '' ? 1 : 2;
    }
    return this.#plain === 1 ? this.#socket : null;
  }

  /** The write callback of frames and flush markers, called once each, in order: wakes the senders it flushed. */
  readonly #onFlushed = (err?: Error | null): void => {
    const n = ++this.#flushed;
    const senders = this.#senders;
    if (senders === null) return;
    for (let w = senders.first; w !== null && (w.data as number) <= n; w = senders.first) {
      senders.remove(w);
      ioEnded(w.hub);
      if (err != null && w.data === n) w.wakeError(err);
      else w.wake(undefined);
    }
  };

  /** True once the connection is closed or `close()` was called. */
  get closed(): boolean {
    return this.#inbox.closed || this.#raw.readyState >= RawWebSocket.CLOSING;
  }

  /**
   * The close code received (1000 normal, 1006 dropped …), `null` while open. When this side
   * closed because of what the peer sent, the code it sent: 1009 for a message over
   * `maxMessageSize`, 1007 for a text message of invalid UTF-8, 1002 for a protocol error (the
   * peer's close frame, never read then, would say 1006; the peer sees the same code).
   */
  get closeCode(): number | null {
    return this.#closeCode;
  }

  /** The close reason received (`''` when none). */
  get closeReason(): string {
    return this.#closeReason;
  }

  /** Messages received and not yet taken by `receive()` (about 256 KiB of them at most, see `receive()`). */
  get buffered(): number {
    return this.#inbox.queue.length;
  }

  /**
   * The negotiated subprotocol (`''` when none). A server accepts the first subprotocol the
   * client offers (`ws`'s default; there is no option to choose another or refuse them all): a
   * handler that serves only some reads `ws.protocol` and closes the others (code 1002 or 1008).
   */
  get protocol(): string {
    return this.#raw.protocol;
  }

  /** The underlying `ws` WebSocket. */
  get raw(): RawWebSocket {
    return this.#raw;
  }

  /**
   * The next message: a `string` for a text frame, a `Uint8Array` for a binary one; `null` once
   * the connection is closed and every buffered message was taken.
   *
   * A switch point when nothing is buffered: a kill or `Timeout` lands here and loses no message
   * (one handed to this call goes back to the buffer). With `timeout` (ms) it throws `Timeout`.
   * Messages not yet received are buffered up to about 256 KiB; beyond that the socket is not
   * read until `receive()` drains the buffer, so a peer sending faster than the handler receives
   * waits in its `send()` (gevent-websocket reads the socket only in `receive()`).
   * @param options - `{timeout, signal}` or a timeout in ms
   * @returns the message, or `null` once closed
   * @throws Timeout when `timeout` elapses; TypeError/RangeError for bad options (an unknown key too) (rejects)
   */
  receive(options?: WaitOptions | number | null): Promise<Message | null> {
    const err = readWaitOptions(options, 'WebSocket.receive');
    if (err !== NONE) return rejectWait(err);
    const inbox = this.#inbox;
    if (inbox.queue.length > 0) {
      noteCompletedAtOnce();
      return Promise.resolve(inbox.take());
    }
    if (inbox.closed) return Promise.resolve(null);
    return inbox.wait(IO, waitArgs.timeout, waitArgs.signal) as Promise<Message | null>;
  }

  /**
   * Send a message: a string as a text frame, bytes as a binary frame. Resolves when `ws` has
   * handed the frame to the kernel (back-pressure): at once, without switching, when the kernel
   * took it in the call itself.
   *
   * A switch point when the frame waits to be flushed. A kill or `Timeout` ends the wait; the
   * frame, already queued, still goes out.
   * @param data - the message
   * @param options - `{timeout, signal}` or a timeout in ms
   * @throws an Error when the connection is closed; TypeError for a bad `data` (rejects)
   */
  send(
    data: Message | ArrayBuffer | ArrayBufferView,
    options?: WaitOptions | number | null,
  ): Promise<void> {
    const err = readWaitOptions(options, 'WebSocket.send');
    if (err !== NONE) return rejectWait(err);
    const text = typeof data === 'string';
    if (
      !text &&
      !(data instanceof Uint8Array) &&
      !(data instanceof ArrayBuffer) &&
      !ArrayBuffer.isView(data)
    ) {
      return Promise.reject(
        new TypeError(
          `WebSocket.send: data must be a string, an ArrayBuffer or an ArrayBufferView (a Uint8Array …), got ${describe(data)}`,
        ),
      );
    }
    const raw = this.#raw;
    if (raw.readyState !== RawWebSocket.OPEN) {
      return Promise.reject(new Error('Cannot send on a WebSocket that is closed'));
    }
    let payload: Message | ArrayBuffer | ArrayBufferView | Buffer = data;
    if (data === this.#echoView) {
      payload = this.#echoBuffer as Buffer;
      this.#echoView = null;
      this.#echoBuffer = null;
    }
    const opts = text ? SEND_TEXT : SEND_BINARY;
    const socket = this.#plainSocket();
    let seq: number;
    if (socket !== null) {
      // No write callback: Node then queues no after-write tick for the frame (see the note).
      raw.send(payload, opts);
      // Nothing left in the socket's buffer: the kernel has the frame already.
      if (raw.bufferedAmount === 0) return SENT;
      // The kernel took part of it: an empty write queued behind it calls back once it is out.
      socket.write(EMPTY, this.#onFlushed);
      seq = ++this.#issued;
    } else {
      raw.send(payload, opts, this.#onFlushed);
      seq = ++this.#issued;
      if (raw.bufferedAmount === 0) return SENT;
    }
    if (this.#senders === null) this.#senders = new Senders(this);
    const timeout = waitArgs.timeout;
    const signal = waitArgs.signal;
    const w = new Waiter<void>(this.#senders, throwTimeout);
    w.data = seq;
    this.#senders.push(w);
    ioStarted(w.hub);
    return w.start(timeout, signal);
  }

  /**
   * Start the closing handshake (code default 1000). Never switches; `receive()` then drains the
   * buffer and resolves `null`.
   * @param code - 1000–1003, 1007–1014 (RFC 6455's) or 3000–4999 (the application's)
   * @param reason - at most 123 bytes of UTF-8
   * @throws TypeError for a code that is not a number or a reason that is not a string;
   *   RangeError for another code or a longer reason
   */
  close(code = 1000, reason = ''): void {
    if (typeof code !== 'number') {
      throw new TypeError(`WebSocket.close: code must be a number, got ${describe(code)}`);
    }
    if (
      !Number.isInteger(code) ||
      !(
        (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
        (code >= 3000 && code <= 4999)
      )
    ) {
      throw new RangeError(
        `WebSocket.close: code must be 1000-1003, 1007-1014 or 3000-4999, got ${code}`,
      );
    }
    if (typeof reason !== 'string') {
      throw new TypeError(`WebSocket.close: reason must be a string, got ${describe(reason)}`);
    }
    const n = Buffer.byteLength(reason);
    if (n > 123) {
      throw new RangeError(
        `WebSocket.close: reason must be at most 123 bytes of UTF-8, got ${n} bytes`,
      );
    }
    if (this.#raw.readyState === RawWebSocket.CONNECTING) {
      this.#raw.terminate();
      return;
    }
    if (this.#raw.readyState !== RawWebSocket.OPEN) return;
    // The closing handshake reads the peer's close frame: a socket paused for back-pressure reads again.
    if (this.#inbox.paused) this.#inbox.resume();
    this.#raw.close(code, reason);
  }

  /** Drop the connection at once (no closing handshake). Never switches. */
  terminate(): void {
    this.#raw.terminate();
  }

  /**
   * `for await (const msg of ws)`: every message until the connection closes. Each step is a
   * `receive()`: a switch point that loses no message. Leaving the loop early (`break`, `return`,
   * a throw) does not close the connection and loses nothing: a later `receive()` gets the next
   * message; call `close()` to end the connection (a server handler's returning does).
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Message> {
    return new Messages(this.#inbox);
  }
}

/**
 * `ws`'s handshake failures (`Unexpected server response: 200`, `Invalid Sec-WebSocket-Accept
 * header` …) name neither the URL nor, for a plain HTTP answer, what went wrong: rewrap them to
 * name both, the original as `cause`. Socket errors (they have a `code`: ECONNREFUSED …) name the
 * address already and go as they are, and so does any error that is not a plain `Error`.
 */
function handshakeError(e: Error, url: string | URL): Error {
  if (
    Object.getPrototypeOf(e) !== Error.prototype ||
    (e as { code?: unknown }).code !== undefined
  ) {
    return e;
  }
  const status = /^Unexpected server response: (\d+)$/.exec(e.message);
  const what =
    status === null
      ? e.message
      : `the server answered ${status[1]}, not 101 Switching Protocols (no WebSocket handler there?)`;
  return new Error(`WebSocket connection to ${String(url)} failed: ${what}`, { cause: e });
}

/**
 * Open a WebSocket connection to `url` (`ws://` or `wss://`).
 *
 * A switch point: a kill or `Timeout` lands here and drops the half-open connection.
 * @param url - the server's URL
 * @param options - `{timeout, signal, protocols, headers, maxMessageSize, pingInterval, ws}`, or
 *   just the timeout in ms (`null`: none), as every blocking call takes it
 * @returns the open {@link WebSocket}
 * @throws the connection error (rejects): a socket error naming the address (`connect
 *   ECONNREFUSED 127.0.0.1:8000`), or an Error naming the URL for a failed handshake (`WebSocket
 *   connection to ws://127.0.0.1:8000/ failed: the server answered 200, not 101 Switching
 *   Protocols …`, `ws`'s own error as `cause`); `Timeout` with `timeout`; TypeError/RangeError
 *   for a bad option, TypeError for an unknown one, naming it and the options
 * @example
 * ```ts
 * import { HttpServer } from 'verdant/http';
 * import { connect } from 'verdant/websocket';
 *
 * const server = new HttpServer(['127.0.0.1', 0], () => new Response('hi'), {
 *   log: null,
 *   websocket: async (ws) => {
 *     for (const word of ['one', 'two', 'three']) await ws.send(word);
 *     ws.close(); // the client's for-await ends
 *   },
 * });
 * await server.start();
 * const ws = await connect(`ws://127.0.0.1:${server.serverPort}/chat`, { timeout: 5000 });
 * for await (const msg of ws) console.log(msg); // one, two, three
 * await server.stop();
 * ```
 */
export function connect(
  url: string | URL,
  options: ConnectOptions | number | null = {},
): Promise<WebSocket> {
  if (typeof url !== 'string' && !(url instanceof URL)) {
    return Promise.reject(
      new TypeError(`connect: url must be a string or a URL, got ${describe(url)}`),
    );
  }
  // A bare number is the timeout and null means none, as in every blocking call.
  if (typeof options === 'number') options = { timeout: options };
  else if (options === null) options = {};
  else if (typeof options !== 'object') {
    return Promise.reject(
      new TypeError(
        `connect: options must be an object, a timeout in ms or null, got ${describe(options)}`,
      ),
    );
  }
  const unknown = checkOptionKeys(options, CONNECT_KEYS, 'connect');
  if (unknown !== null) return Promise.reject(unknown);
  const err = readWaitOptions({ timeout: options.timeout, signal: options.signal }, 'connect');
  if (err !== NONE) return rejectWait(err);
  const timeout = waitArgs.timeout;
  const signal = waitArgs.signal;
  let raw: RawWebSocket;
  let pingInterval: number;
  try {
    pingInterval = readPingInterval(options.pingInterval, 'connect', 0);
    const maxPayload = readMaxMessageSize(options.maxMessageSize, 'connect', DEFAULT_MAX);
    const headers = options.headers;
    if (headers !== undefined && headers !== null && typeof headers !== 'object') {
      throw new TypeError(`connect: headers must be an object, got ${describe(headers)}`);
    }
    const protocols: unknown = options.protocols;
    if (
      protocols !== undefined &&
      typeof protocols !== 'string' &&
      !(Array.isArray(protocols) && protocols.every((p) => typeof p === 'string'))
    ) {
      throw new TypeError(
        `connect: protocols must be a string or an array of strings, got ${describe(protocols)}`,
      );
    }
    raw = new RawWebSocket(url, options.protocols, { maxPayload, headers, ...options.ws });
  } catch (e) {
    return Promise.reject(e);
  }
  const ws = new WebSocket(raw, pingInterval, null);
  const opened = new Promise<WebSocket>((resolve, reject) => {
    raw.once('open', () => resolve(ws));
    raw.once('error', (e: Error) => reject(handshakeError(e, url)));
    raw.once('close', () => reject(new Error(`WebSocket connection to ${String(url)} closed`)));
  });
  opened.catch(() => {});
  return until(opened, { timeout, signal }).catch((e: unknown) => {
    raw.terminate();
    throw e;
  });
}

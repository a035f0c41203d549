import { type RawData, WebSocket as RawWebSocket, type ClientOptions as WsClientOptions } from 'ws';
import { until } from '../core/api.js';
import {
  getHub,
  ioEnded,
  ioStarted,
  NONE,
  readWaitOptions,
  rejectWait,
  Waiter,
  WaitList,
  type WaitOptions,
  type WaitOwner,
  waitArgs,
} from '../core/lowlevel.js';
import { Timeout } from '../core/timeout.js';

/** A message: text frames as `string`, binary frames as `Uint8Array`. */
export type Message = string | Uint8Array;

/** What handles an upgraded connection on the server, in its own greenlet. */
export type WebSocketHandler = (ws: WebSocket, request: Request) => unknown;

/** Server-side WebSocket options, given as `{websocket: {handler, ...}}` or just the handler. */
export interface WebSocketServerOptions {
  /** Runs once per upgraded connection, in a greenlet of its own; the socket closes when it returns. */
  handler: WebSocketHandler;
  /** Largest message accepted, bytes (default 16 MiB); larger closes the connection with 1009. */
  maxMessageSize?: number;
  /** Ping interval in ms (default 30000; 0 disables); a peer silent for one interval is dropped. */
  pingInterval?: number;
}

/** Options of {@link connect}. */
export interface ConnectOptions extends WaitOptions {
  /** Subprotocols to offer. */
  protocols?: string | string[];
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Largest message accepted, bytes (default 16 MiB). */
  maxMessageSize?: number;
  /** Ping interval in ms (default 0: none on the client). */
  pingInterval?: number;
  /** Further `ws` client options (TLS `ca`, `rejectUnauthorized` …). */
  ws?: WsClientOptions;
}

const DEFAULT_MAX = 16 * 1024 * 1024;

function throwTimeout(): never {
  throw new Timeout();
}

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
  readonly #queue: Message[] = [];
  readonly #receivers = new WaitList(this);
  #closed = false;
  #closeCode: number | null = null;
  #closeReason = '';
  #pingTimer: NodeJS.Timeout | null = null;
  #alive = true;

  /** @internal */
  constructor(raw: RawWebSocket, pingInterval: number) {
    this.#raw = raw;
    raw.on('message', this.#onMessage);
    raw.on('close', this.#onClose);
    raw.on('error', () => {}); // a 'close' always follows
    raw.on('pong', () => {
      this.#alive = true;
    });
    if (pingInterval > 0) {
      this.#pingTimer = setInterval(this.#ping, pingInterval);
      this.#pingTimer.unref();
    }
  }

  readonly #ping = (): void => {
    if (!this.#alive) {
      this.#raw.terminate();
      return;
    }
    this.#alive = false;
    try {
      this.#raw.ping();
    } catch {
      // closing: the 'close' event follows
    }
  };

  readonly #onMessage = (data: RawData, isBinary: boolean): void => {
    const m = toMessage(data, isBinary);
    const w = this.#receivers.shiftLive();
    if (w !== null) w.wake(m);
    else this.#queue.push(m);
  };

  readonly #onClose = (code: number, reason: Buffer): void => {
    this.#closed = true;
    this.#closeCode = code;
    this.#closeReason = reason.toString();
    if (this.#pingTimer !== null) clearInterval(this.#pingTimer);
    this.#pingTimer = null;
    for (let w = this.#receivers.shiftLive(); w !== null; w = this.#receivers.shiftLive()) {
      w.wake(null);
    }
  };

  /** True once the connection is closed or `close()` was called. */
  get closed(): boolean {
    return this.#closed || this.#raw.readyState >= RawWebSocket.CLOSING;
  }

  /** The close code received (1000 normal, 1006 dropped …), `null` while open. */
  get closeCode(): number | null {
    return this.#closeCode;
  }

  /** The close reason received (`''` when none). */
  get closeReason(): string {
    return this.#closeReason;
  }

  /** Messages received and not yet taken by `receive()`. */
  get buffered(): number {
    return this.#queue.length;
  }

  /** The negotiated subprotocol (`''` when none). */
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
   * @param options - `{timeout, signal}` or a timeout in ms
   * @returns the message, or `null` once closed
   * @throws Timeout when `timeout` elapses; TypeError/RangeError for bad options (rejects)
   */
  receive(options?: WaitOptions | number | null): Promise<Message | null> {
    const err = readWaitOptions(options, 'WebSocket.receive');
    if (err !== NONE) return rejectWait(err);
    if (this.#queue.length > 0) return Promise.resolve(this.#queue.shift() as Message);
    if (this.#closed) return Promise.resolve(null);
    const w = new Waiter<Message | null>(this.#owner, throwTimeout);
    this.#receivers.push(w);
    ioStarted(getHub());
    w.data = true;
    return w.start(waitArgs.timeout, waitArgs.signal);
  }

  /** The wait protocol's side of this socket, kept off its public surface. */
  readonly #owner: WaitOwner & { target: object } = {
    target: this,
    abortWait: (w: Waiter, held: boolean): void => this.#abortWait(w, held),
    commitWait: (w: Waiter): void => this.#ioDone(w),
  };

  /** An interrupted receive gives back what it held. */
  #abortWait(w: Waiter, held: boolean): void {
    this.#ioDone(w);
    if (!held) {
      this.#receivers.remove(w);
      return;
    }
    const m = w.value as Message | null;
    if (m === null) return;
    const next = this.#receivers.shiftLive();
    if (next !== null) next.wake(m);
    else this.#queue.unshift(m);
  }

  #ioDone(w: Waiter): void {
    if (w.data === true) {
      w.data = false;
      ioEnded(getHub());
    }
  }

  /**
   * Send a message: a string as a text frame, bytes as a binary frame. Resolves when `ws` has
   * handed the frame to the kernel (back-pressure).
   *
   * A switch point. A kill or `Timeout` ends the wait; the frame, already queued, still goes out.
   * @param data - the message
   * @param options - `{timeout, signal}` or a timeout in ms
   * @throws an Error when the connection is closed; TypeError for a bad `data` (rejects)
   */
  send(data: Message | ArrayBuffer, options?: WaitOptions | number | null): Promise<void> {
    const err = readWaitOptions(options, 'WebSocket.send');
    if (err !== NONE) return rejectWait(err);
    if (
      typeof data !== 'string' &&
      !(data instanceof Uint8Array) &&
      !(data instanceof ArrayBuffer)
    ) {
      return Promise.reject(
        new TypeError(`WebSocket.send: data must be a string or bytes, got ${describe(data)}`),
      );
    }
    if (this.#raw.readyState !== RawWebSocket.OPEN) {
      return Promise.reject(new Error('Cannot send on a WebSocket that is closed'));
    }
    const timeout = waitArgs.timeout;
    const signal = waitArgs.signal;
    return until(
      new Promise<void>((resolve, reject) => {
        this.#raw.send(data, { binary: typeof data !== 'string' }, (e?: Error) =>
          e ? reject(e) : resolve(),
        );
      }),
      { timeout, signal },
    );
  }

  /**
   * Start the closing handshake (code default 1000). Never switches; `receive()` then drains the
   * buffer and resolves `null`.
   */
  close(code = 1000, reason = ''): void {
    if (this.#raw.readyState === RawWebSocket.CONNECTING) {
      this.#raw.terminate();
      return;
    }
    if (this.#raw.readyState !== RawWebSocket.OPEN) return;
    this.#raw.close(code, reason);
  }

  /** Drop the connection at once (no closing handshake). Never switches. */
  terminate(): void {
    this.#raw.terminate();
  }

  /** `for await (const msg of ws)`: every message until the connection closes. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Message, void, undefined> {
    for (;;) {
      const m = await this.receive();
      if (m === null) return;
      yield m;
    }
  }
}

/**
 * Open a WebSocket connection to `url` (`ws://` or `wss://`).
 *
 * A switch point: a kill or `Timeout` lands here and drops the half-open connection.
 * @param url - the server's URL
 * @param options - `{timeout, signal, protocols, headers, maxMessageSize, pingInterval, ws}`
 * @returns the open {@link WebSocket}
 * @throws the connection error (refused, a non-101 answer …); `Timeout` with `timeout` (rejects)
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
export function connect(url: string | URL, options: ConnectOptions = {}): Promise<WebSocket> {
  if (options === null || typeof options !== 'object') {
    return Promise.reject(
      new TypeError(`connect: options must be an object, got ${describe(options)}`),
    );
  }
  const err = readWaitOptions({ timeout: options.timeout, signal: options.signal }, 'connect');
  if (err !== NONE) return rejectWait(err);
  const timeout = waitArgs.timeout;
  const signal = waitArgs.signal;
  let raw: RawWebSocket;
  try {
    raw = new RawWebSocket(url, options.protocols, {
      maxPayload: options.maxMessageSize ?? DEFAULT_MAX,
      headers: options.headers,
      ...options.ws,
    });
  } catch (e) {
    return Promise.reject(e);
  }
  const ws = new WebSocket(raw, options.pingInterval ?? 0);
  const opened = new Promise<WebSocket>((resolve, reject) => {
    raw.once('open', () => resolve(ws));
    raw.once('error', reject);
    raw.once('close', () => reject(new Error(`WebSocket connection to ${String(url)} closed`)));
  });
  opened.catch(() => {});
  return until(opened, { timeout, signal }).catch((e: unknown) => {
    raw.terminate();
    throw e;
  });
}

/**
 * Cooperative sockets with gevent's blocking-style API (`verdant/socket`): TCP, Unix, TLS and
 * UDP over `node:net`, `node:tls` and `node:dgram`. Straight-line code — `await sock.recv(n)`,
 * `await sock.sendall(data)` — where every call that waits is a verdant wait: a kill, a
 * `Timeout`, the `timeout` option or an aborted `signal` lands there and `finally` blocks run.
 *
 * Design note — one Socket, three machines. A `Socket` is a stream (`StreamIO`: TCP,
 * Unix, TLS), a listener (`ListenerIO`) or a datagram socket (`DatagramIO`); each
 * parks its waits as Waiters of the door (core/lowlevel.ts), so a `recv` costs one Waiter, no
 * promise chain and no closure. What an interrupted wait held goes back (bytes to the buffer's
 * head, a connection to the backlog, a datagram to the queue): nothing is lost. `close()` wakes
 * every wait on the socket with EBADF; a call made after it rejects with EBADF. `makefile()`
 * files keep the connection open until they are closed too (Python's `_io_refs`). A Socket
 * has two fields, its machine and one small integer (type, kind, closed, has-timeout, family):
 * each field is 8 bytes of every idle connection (issue 16).
 * Tests: test/io/stream.conformance.ts (TCP, Unix, TLS), test/io/listener.test.ts,
 * test/io/udp.test.ts, test/io/stream.test.ts, test/io/makefile.test.ts.
 *
 * @module verdant/socket
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { constants as osConstants } from 'node:os';
import { inspect } from 'node:util';
import {
  currentFiber,
  getHub,
  lastWait,
  NONE,
  noteCompletedAtOnce,
  parkedSince,
  readWaitOptions,
  rejectWait,
  type WaitOptions,
  waitArgs,
} from '../core/lowlevel.js';
import { callbackWait } from './_callwait.js';
import { DatagramIO } from './_datagram.js';
import {
  type Address,
  type AddressInput,
  askedForever,
  badFd,
  bytesOf,
  coded,
  formatTarget,
  parseAddress,
  withAddress,
} from './_errors.js';
import { ListenerIO } from './_listener.js';
import { StreamIO, WRITE_AHEAD, WRITE_CHUNK } from './_stream.js';
import { FileObject, type SendProgress } from './fileobject.js';

export type { Datagram } from './_datagram.js';
export { type Address, type AddressInput, SocketTimeout } from './_errors.js';

/** What a socket is: its family and transport. */
export type SocketType = 'tcp' | 'unix' | 'tls' | 'udp4' | 'udp6';

/** Readiness of a socket, as `waitRead`/`waitWrite`/`select` see it. @internal */
export interface Readiness {
  readonly readable: boolean;
  readonly writable: boolean;
  readonly error: Error | null;
  readonly closed: boolean;
  watchers: Set<() => void> | null;
}

/**
 * How many `makefile()` files keep each socket's connection open (Python's `_io_refs`): kept
 * here, not in a field, as few sockets have files and each field is 8 bytes of every idle
 * connection.
 */
const fileRefs = new WeakMap<Socket, number>();
/**
 * The peer of a connected client socket, as given when it connected. An accepted socket has
 * none: it asks its connection (so an idle server connection keeps no address).
 */
const givenPeers = new WeakMap<Socket, Address>();
/**
 * The Socket that owns a detached stream's connection now (the TLS socket `wrapSocket` made
 * of it): closing the connection of the detached one closes that one (STARTTLS in a server's
 * handler).
 */
const successors = new WeakMap<Socket, Socket>();
const kAdopt: unique symbol = Symbol('verdant.socket.adopt');
/** The constructor's options that make an empty Socket for `adopt` and `_listening` to fill. */
const ADOPT = { type: 'udp4', [kAdopt]: true } as SocketOptions;
/**
 * A Socket's type, its kind, its family and its state in one small integer (`#bits`): each
 * field is 8 bytes of every idle connection (issue 16). The low bits index {@link TYPES}.
 */
const TYPES: readonly SocketType[] = ['tcp', 'unix', 'tls', 'udp4', 'udp6'];
const TYPE = 7;
const UNIX = 1;
/** Types from this index on are UDP sockets (their machine is a DatagramIO). */
const UDP4 = 3;
/** A listener (its machine is a ListenerIO). */
const LISTENING = 8;
/** `close()` was called. */
const CLOSED = 16;
/** `settimeout` gave a timeout (kept in {@link timeouts}). */
const TIMED = 32;
/** An IPv6 stream or listener (`family` 6): set when it is made, as Python's family is fixed. */
const INET6 = 64;
/** A TLS stream or listener over a Unix socket (`family` 'unix'; its type is 'tls'). */
const PATH = 128;
/** The timeout of each socket that has one (few do: no field for it in every socket). */
const timeouts = new WeakMap<Socket, number>();
/** Wrap a connected Node socket; `type` is an index of {@link TYPES}. */
let adopt: (ns: net.Socket, type: number, peer: Address | null) => Socket;

/**
 * The bytes of `data` without a copy: a Uint8Array as is, any other view (DataView, Uint16Array
 * …: Python's memoryview and array.array) over its bytes, an ArrayBuffer whole, a string as
 * UTF-8 (gevent's test__socket_send_memoryview.py, test__socket.py test_sendall_array).
 */
function toBytes(data: unknown, where: string): Uint8Array | TypeError {
  if (typeof data === 'string') return Buffer.from(data);
  return (
    bytesOf(data, where) ??
    new TypeError(
      `${where}: data must be a Uint8Array (or another ArrayBufferView, or an ArrayBuffer) or a string, got ${data === null ? 'null' : typeof data}`,
    )
  );
}

/** Check the options of `new Socket`; returns the type. */
function checkSocketOptions(options: unknown): 'udp4' | 'udp6' {
  const where = 'new Socket';
  const form = "{ type: 'udp4' } or { type: 'udp6' }";
  if (
    options !== undefined &&
    options !== null &&
    (typeof options !== 'object' || Array.isArray(options))
  ) {
    throw new TypeError(
      `${where}: options must be ${form} (stream sockets come from createConnection and listen), got ${Array.isArray(options) ? 'an array' : typeof options}`,
    );
  }
  if (options === undefined || options === null) return 'udp4';
  for (const key of Object.keys(options)) {
    if (key !== 'type') {
      throw new TypeError(`${where}: the only option is type (${form}), got ${key}`);
    }
  }
  const type = (options as SocketOptions).type;
  if (type === undefined) return 'udp4';
  if (typeof type !== 'string') {
    throw new TypeError(
      `${where}: type must be the string 'udp4' or 'udp6', got ${type === null ? 'null' : typeof type}`,
    );
  }
  if (type !== 'udp4' && type !== 'udp6') {
    throw new RangeError(
      `${where}: type must be 'udp4' or 'udp6' (stream sockets come from createConnection and listen), got ${JSON.stringify(type)}`,
    );
  }
  return type;
}

/** Check a byte count: TypeError for a value that is not a number, RangeError for a bad number. */
function checkSize(n: unknown, where: string): Error | null {
  if (typeof n !== 'number') {
    return new TypeError(
      `${where}: size must be a number of bytes, got ${n === null ? 'null' : typeof n}`,
    );
  }
  if (!Number.isInteger(n) || n < 0) {
    return new RangeError(`${where}: size must be a non-negative integer, got ${n}`);
  }
  return null;
}

/** What Node's TCP and TLS handles offer (`net.Socket#remoteAddress` asks the same). */
interface PeerHandle {
  getpeername?(out: { address?: string; port?: number }): number;
}

/**
 * The peer of an accepted socket, or null once the connection is gone. It asks the Node
 * socket's handle, as `remoteAddress` does, but without `remoteAddress`'s cache: that cache
 * is 88 bytes kept by every idle connection (issue 16). Once the handle is gone, what Node
 * cached (a user read `remoteAddress`) still answers.
 */
function peerOf(ns: net.Socket, unix: boolean): Address | null {
  if (unix) return { path: '' };
  const h = (ns as unknown as { _handle?: PeerHandle | null })._handle;
  if (h !== null && h !== undefined && typeof h.getpeername === 'function' && !ns.connecting) {
    const out: { address?: string; port?: number } = {};
    return h.getpeername(out) === 0 && typeof out.address === 'string'
      ? [out.address, out.port ?? 0]
      : null;
  }
  const a = ns.remoteAddress;
  return a === undefined ? null : [a, ns.remotePort ?? 0];
}

/**
 * A cooperative socket: a connected stream (from {@link createConnection}, `accept()` or
 * {@link wrapSocket}), a listener (from {@link listen}) or a UDP socket (`new Socket({type:
 * 'udp4'})`). Methods that can wait return promises and are kill/timeout points; `close`,
 * `shutdown`, `settimeout`, `setNoDelay` and `makefile` are synchronous.
 *
 * Follows gevent's `gevent.socket.socket`; differences: one class for every family, and
 * `new Socket()` makes only UDP sockets (streams come from `createConnection` and `listen`).
 * @example
 * ```ts
 * import { Socket } from 'verdant/socket';
 * const udp = new Socket({ type: 'udp4' });
 * await udp.bind(['127.0.0.1', 0]);
 * const peer = new Socket({ type: 'udp4' });
 * await peer.sendto('ping', udp.getsockname());
 * const [data, from] = await udp.recvfrom(1024);
 * console.log(Buffer.from(data).toString(), from); // ping [ '127.0.0.1', <port> ]
 * peer.close();
 * udp.close();
 * ```
 */
export class Socket {
  /**
   * The machine: a StreamIO, a ListenerIO (`LISTENING`) or a DatagramIO (a UDP type); null
   * once a stream was detached for wrapping.
   */
  #io: StreamIO | ListenerIO<Socket> | DatagramIO | null = null;
  /** The type, LISTENING, CLOSED and TIMED (see {@link TYPES}). */
  #bits = 0;

  static {
    adopt = (ns, type, peer) => {
      const s = new Socket(ADOPT);
      s.#bits = type;
      if (peer !== null) {
        givenPeers.set(s, peer);
        if (!Array.isArray(peer)) s.#bits |= PATH;
        else if (net.isIP(peer[0]) === 6) s.#bits |= INET6;
      }
      const io = new StreamIO(ns);
      io.target = s; // run info names the socket a greenlet waits on
      s.#io = io;
      return s;
    };
  }

  /** The stream machine, or null (a listener, a UDP socket, a stream detached). */
  static #stream(self: Socket): StreamIO | null {
    const b = self.#bits;
    return (b & LISTENING) === 0 && (b & TYPE) < UDP4 ? (self.#io as StreamIO | null) : null;
  }

  /** The UDP machine, or null. */
  static #udp(self: Socket): DatagramIO | null {
    return (self.#bits & TYPE) >= UDP4 ? (self.#io as DatagramIO) : null;
  }

  /** The listener machine, or null. */
  static #listener(self: Socket): ListenerIO<Socket> | null {
    return (self.#bits & LISTENING) !== 0 ? (self.#io as ListenerIO<Socket>) : null;
  }

  /**
   * A new UDP socket (unbound until `bind()` or its first `sendto()`). gevent's
   * `socket(AF_INET6, SOCK_DGRAM)` is `new Socket({ type: 'udp6' })`; stream sockets come from
   * `createConnection` and `listen`. Never switches.
   * @param options `type`: `'udp4'` (default) or `'udp6'`
   * @throws TypeError for options that are not an object (gevent's numeric `family, type`
   *   arguments among them), an option other than `type` or a `type` that is not a string;
   *   RangeError for a type other than `'udp4'` and `'udp6'`
   */
  constructor(options?: SocketOptions) {
    if ((options as { [kAdopt]?: boolean } | undefined)?.[kAdopt] === true) return;
    const type = checkSocketOptions(options);
    this.#bits = TYPES.indexOf(type);
    const udp = new DatagramIO(dgram.createSocket(type));
    this.#io = udp;
    udp.target = this;
  }

  /** `'tcp'`, `'unix'`, `'tls'`, `'udp4'` or `'udp6'`. */
  get type(): SocketType {
    return TYPES[this.#bits & TYPE] as SocketType;
  }

  /**
   * The address family: `4` (IPv4), `6` (IPv6) or `'unix'` (a Unix socket, TLS over one too).
   * The numbers are those of {@link getaddrinfo}'s `family`; Python's `AF_UNIX` has no number
   * there, so it is named as in {@link Socket.type}. Fixed when the socket is made (it stays
   * readable after `close()`): a UDP socket's by its type, a client's by the address it
   * connected to, a listener's by the address it bound (`host: ''` may bind `::`: 6), an
   * accepted socket's by its listener's (an IPv6 listener's IPv4 clients are 6, as Python's).
   * Never switches.
   * @example
   * ```ts
   * import { listen, socketpair } from 'verdant/socket';
   * const server = await listen({ host: '::1', port: 0 });
   * console.log(server.family); // 6
   * const [a, b] = await socketpair();
   * console.log(a.family); // unix
   * server.close();
   * a.close();
   * b.close();
   * ```
   * Follows Python's `socket.family` (`AF_INET` → 4, `AF_INET6` → 6, `AF_UNIX` → 'unix').
   */
  get family(): 4 | 6 | 'unix' {
    const b = this.#bits;
    const t = b & TYPE;
    if (t === UNIX || (b & PATH) !== 0) return 'unix';
    if (t >= UDP4) return t === UDP4 ? 4 : 6;
    return (b & INET6) !== 0 ? 6 : 4;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return (this.#bits & CLOSED) !== 0;
  }

  /** @internal The readiness machine (for select and waitRead). */
  _readiness(): Readiness {
    const io = this.#io;
    if (io === null) throw badFd('select');
    return io as unknown as Readiness;
  }

  /** @internal Whether a UDP socket is bound (false for any other socket). */
  get _bound(): boolean {
    return Socket.#udp(this)?.bound === true;
  }

  /** @internal The Node handle (net.Socket, net.Server or dgram.Socket). */
  get _handle(): net.Socket | net.Server | dgram.Socket | null {
    const io = this.#io;
    return io === null ? null : io instanceof ListenerIO ? io.server : io.sock;
  }

  static #opts(self: Socket, opts: unknown, where: string): unknown {
    if (opts === undefined && (self.#bits & TIMED) === 0) {
      // The common call (`recv(n)`, `sendall(data)`): no options to read (W7's hot path).
      waitArgs.timeout = null;
      waitArgs.signal = null;
      return NONE;
    }
    const err = readWaitOptions(opts, where);
    if (err !== NONE) return err;
    if (waitArgs.timeout === null && (self.#bits & TIMED) !== 0 && !askedForever(opts))
      waitArgs.timeout = timeouts.get(self) ?? null;
    return NONE;
  }

  static #streamFor(self: Socket, where: string, file: boolean): StreamIO | Error {
    const io = Socket.#stream(self);
    if ((self.#bits & CLOSED) !== 0 && !(file && io !== null && !io.closed)) return badFd(where);
    if (io === null) {
      return coded(
        'ENOTCONN',
        `${where}: the socket is not a connected stream (it is ${(self.#bits & LISTENING) !== 0 ? 'listening' : self.type})`,
      );
    }
    return io;
  }

  /**
   * Receive up to `n` bytes: what is buffered, else wait for the next bytes. Resolves an empty
   * array at end of stream. A switch point when it waits: a kill or `Timeout` there loses no
   * bytes (the next `recv` gets them); the `timeout` option (or the socket's timeout) rejects
   * with `SocketTimeout`; `close()` from another greenlet rejects it with EBADF. On a UDP
   * socket it receives the next datagram (cut to `n` bytes).
   * @param n the most bytes to return (default 65536)
   * @param opts `{timeout, signal}` or a timeout in ms
   * @returns the bytes
   * @throws EBADF after `close()`; the socket's error (ECONNRESET …); SocketTimeout; TypeError
   *   for an `n` that is not a number, RangeError for a negative or fractional one (rejects)
   *   (and TypeError for an unknown option key)
   * @example
   * ```ts
   * import { StreamServer } from 'verdant/server';
   * import { createConnection } from 'verdant/socket';
   * const server = new StreamServer(['127.0.0.1', 0], async (conn) => {
   *   await conn.sendall('hello\n');
   * });
   * await server.start();
   * const sock = await createConnection(['127.0.0.1', server.serverPort!]);
   * const data = await sock.recv(1024, { timeout: 1000 });
   * console.log(Buffer.from(data).toString()); // hello
   * sock.close();
   * await server.stop();
   * ```
   */
  recv(n = 65536, opts?: WaitOptions | number | null): Promise<Uint8Array> {
    // The common call (`recv(n)` on an open stream, no options, no socket timeout): what
    // #recv does, without reading options (issue 16's W7 echo).
    if (opts === undefined && typeof n === 'number' && n > 0 && Number.isInteger(n)) {
      const b = this.#bits;
      const io = this.#io;
      if ((b & (TIMED | CLOSED | LISTENING)) === 0 && (b & TYPE) < UDP4 && io !== null) {
        const s = io as StreamIO;
        try {
          const got = s.tryRead(n);
          if (got !== null) {
            noteCompletedAtOnce();
            return Promise.resolve(got as Uint8Array);
          }
        } catch (e) {
          return Promise.reject(e);
        }
        return s.parkReader(n, null, null);
      }
    }
    return Socket.#recv(this, 'Socket.recv', n, opts, false);
  }

  static #recv(
    self: Socket,
    where: string,
    n: number,
    opts: unknown,
    file: boolean,
  ): Promise<Uint8Array> {
    const err = Socket.#opts(self, opts, where);
    if (err !== NONE) return rejectWait(err);
    const bad = checkSize(n, where);
    if (bad !== null) return Promise.reject(bad);
    if ((self.#bits & TYPE) >= UDP4) {
      return Socket.#recvfrom(self, where, n, waitArgs.timeout, waitArgs.signal).then((d) => d[0]);
    }
    const io = Socket.#streamFor(self, where, file);
    if (io instanceof Error) return Promise.reject(io);
    if (n === 0) return Promise.resolve(new Uint8Array(0));
    try {
      const got = io.tryRead(n);
      if (got !== null) {
        noteCompletedAtOnce();
        return Promise.resolve(got as Uint8Array);
      }
    } catch (e) {
      return Promise.reject(e);
    }
    return io.parkReader(n, waitArgs.timeout, waitArgs.signal);
  }

  /** @internal recv for a makefile() file: works while the file keeps the socket open. */
  _fileRecv(n: number, opts: unknown, where = 'SocketFile.read'): Promise<Uint8Array> {
    return Socket.#recv(this, where, n, opts, true);
  }

  /** @internal What a makefile() file can read now, without waiting: see RawFile._fileTryRead. */
  _fileTryRead(n: number): Uint8Array | null {
    const io = Socket.#streamFor(this, 'SocketFile.read', true);
    if (io instanceof Error) return null;
    try {
      return io.tryRead(n) as Uint8Array | null;
    } catch {
      return null; // the socket's error: _fileRecv rejects with it
    }
  }

  /**
   * Receive into `buffer` — a Uint8Array, any other ArrayBufferView (DataView, Int16Array …) or
   * an ArrayBuffer, written as bytes — at most `nbytes` bytes (default its byte length; `0` also
   * means its length, as Python's `recv_into`); resolves the count of bytes, 0 at end of stream.
   * Same waiting, timeout and kill rules as {@link Socket.recv}; an interrupted `recvInto` hands
   * its bytes back to the socket. A bad `nbytes` (negative, not an integer, larger than the
   * byte length) rejects with RangeError, one that is not a number (options given second) with
   * TypeError; so does a buffer that is none of these (TypeError).
   * @param buffer - where the bytes go
   * @param nbytes - the most bytes to receive (default: the byte length of `buffer`)
   * @param opts - `{timeout, signal}` or a timeout in ms
   * @returns the number of bytes received (0 at end of stream)
   * @example
   * ```ts
   * import { StreamServer } from 'verdant/server';
   * import { createConnection } from 'verdant/socket';
   * const server = new StreamServer(['127.0.0.1', 0], async (conn) => {
   *   await conn.sendall('hello\n');
   * });
   * await server.start();
   * const sock = await createConnection(['127.0.0.1', server.serverPort!]);
   * const buf = new Uint8Array(65536);
   * const n = await sock.recvInto(buf);
   * console.log(n, Buffer.from(buf.subarray(0, n)).toString()); // 6 hello
   * sock.close();
   * await server.stop();
   * ```
   */
  recvInto(
    buffer: ArrayBufferView | ArrayBuffer,
    nbytes?: number | null,
    opts?: WaitOptions | number | null,
  ): Promise<number> {
    const where = 'Socket.recvInto';
    const err = Socket.#opts(this, opts, where);
    if (err !== NONE) return rejectWait(err);
    // Any view (DataView, Int16Array …) or an ArrayBuffer: its bytes, as Python's recv_into
    // takes any writable buffer (a bytearray, a memoryview, an array.array).
    const bytes = bytesOf(buffer, where);
    if (bytes instanceof TypeError) return Promise.reject(bytes);
    if (bytes === null) {
      return Promise.reject(
        new TypeError(
          `${where}: buffer must be a Uint8Array (or another ArrayBufferView, or an ArrayBuffer), got ${buffer === null ? 'null' : typeof buffer}`,
        ),
      );
    }
    if (
      nbytes !== undefined &&
      nbytes !== null &&
      (typeof nbytes !== 'number' ||
        !Number.isInteger(nbytes) ||
        nbytes < 0 ||
        nbytes > bytes.length)
    ) {
      const e =
        typeof nbytes === 'number'
          ? new RangeError(
              `${where}: nbytes must be an integer from 0 to the buffer's length (${bytes.length}), got ${nbytes}`,
            )
          : new TypeError(
              `${where}: nbytes must be a number of bytes (options come third), got ${nbytes === null ? 'null' : typeof nbytes}`,
            );
      return Promise.reject(e);
    }
    // 0, as omitted, is the buffer's length (Python's recv_into).
    const into =
      nbytes === undefined || nbytes === null || nbytes === 0 ? bytes : bytes.subarray(0, nbytes);
    const io = Socket.#streamFor(this, where, false);
    if (io instanceof Error) return Promise.reject(io);
    if (into.length === 0) return Promise.resolve(0);
    try {
      const got = io.tryRead(into);
      if (got !== null) {
        noteCompletedAtOnce();
        return Promise.resolve(got as number);
      }
    } catch (e) {
      return Promise.reject(e);
    }
    return io.parkReader(into, waitArgs.timeout, waitArgs.signal) as Promise<number>;
  }

  /**
   * Send all of `data` (bytes: a Uint8Array, any other ArrayBufferView or an ArrayBuffer, sent
   * without a copy; or a string as UTF-8). Resolves once Node's socket has accepted
   * every byte without exceeding its buffer: large data goes in 64 KiB chunks, waiting for
   * `'drain'` whenever Node holds 1 MiB unsent (back-pressure). A kill or `Timeout` there stops sending what Node has not yet
   * accepted. The `timeout` option bounds the whole call (SocketTimeout).
   * @throws EBADF after `close()`; EPIPE after `shutdown('write')` or when the peer is gone
   * @example
   * ```ts
   * import { StreamServer } from 'verdant/server';
   * import { createConnection } from 'verdant/socket';
   * const server = new StreamServer(['127.0.0.1', 0], async (conn) => {
   *   for (let d = await conn.recv(4096); d.length > 0; d = await conn.recv(4096)) await conn.sendall(d);
   * });
   * await server.start();
   * const sock = await createConnection(['127.0.0.1', server.serverPort!]);
   * await sock.sendall('hello\n');
   * console.log(Buffer.from(await sock.recv(1024)).toString()); // hello
   * sock.close();
   * await server.stop();
   * ```
   */
  sendall(
    data: ArrayBufferView | ArrayBuffer | string,
    opts?: WaitOptions | number | null,
  ): Promise<void> {
    // The common call (`sendall(bytes)` on an open stream, no options, no socket timeout): what
    // #sendall does, without reading options (issue 16's W7 echo).
    if (opts === undefined && data instanceof Uint8Array && data.length <= WRITE_CHUNK) {
      const b = this.#bits;
      const io = this.#io;
      if ((b & (TIMED | CLOSED | LISTENING)) === 0 && (b & TYPE) < UDP4 && io !== null) {
        const s = io as StreamIO;
        const we = s.writeError('Socket.sendall');
        if (we !== null) return Promise.reject(we);
        return s.send(data, null, null);
      }
    }
    return Socket.#sendall(this, 'Socket.sendall', data, opts, false);
  }

  static #sendall(
    self: Socket,
    where: string,
    data: unknown,
    opts: unknown,
    file: boolean,
    progress?: SendProgress,
  ): Promise<void> {
    const err = Socket.#opts(self, opts, where);
    if (err !== NONE) return rejectWait(err);
    const bytes = toBytes(data, where);
    if (bytes instanceof TypeError) return Promise.reject(bytes);
    if ((self.#bits & TYPE) >= UDP4) {
      return Promise.reject(
        coded('EDESTADDRREQ', `${where}: a UDP socket sends with sendto(data, [host, port])`),
      );
    }
    const io = Socket.#streamFor(self, where, file);
    if (io instanceof Error) return Promise.reject(io);
    const we = io.writeError(where);
    if (we !== null) return Promise.reject(we);
    if (bytes.length <= WRITE_CHUNK) {
      if (progress === undefined) return io.send(bytes, waitArgs.timeout, waitArgs.signal);
      const fiber = currentFiber();
      const before = lastWait(fiber);
      const p = io.send(bytes, waitArgs.timeout, waitArgs.signal);
      progress.sent = bytes.length; // Node has them all
      progress.wait = parkedSince(fiber, before);
      return p;
    }
    return Socket.#sendLarge(io, bytes, where, waitArgs.timeout, waitArgs.signal, progress);
  }

  /**
   * Send more than a chunk: hand Node a chunk at a time, waiting for `'drain'` while it holds
   * {@link WRITE_AHEAD} bytes. `progress.sent` counts what Node took: an interrupted send
   * leaves the rest to the caller (a socket file keeps it for its next flush).
   */
  static async #sendLarge(
    io: StreamIO,
    bytes: Uint8Array,
    where: string,
    timeout: number | null,
    signal: AbortSignal | null,
    progress?: SendProgress,
  ): Promise<void> {
    // On the hub's clock, as every wait (virtual milliseconds under verdant/testing): with
    // performance.now(), real time passing while the virtual clock stood still ate the timeout.
    const hub = getHub();
    const deadline = timeout === null ? null : hub.now() + timeout;
    for (let pos = 0; pos < bytes.length; pos += WRITE_CHUNK) {
      const we = io.writeError(where);
      if (we !== null) throw we;
      const s = io.sock;
      const taken = s.write(bytes.subarray(pos, pos + WRITE_CHUNK));
      if (progress !== undefined) progress.sent = Math.min(bytes.length, pos + WRITE_CHUNK);
      if (!taken && s.writableLength >= WRITE_AHEAD) {
        const left = deadline === null ? null : Math.max(0, deadline - hub.now());
        await Socket.#parked(io.parkWriter(left, signal), progress);
      }
    }
    // Resolve once Node holds none of the caller's bytes (it may reuse its array then).
    if (io.sock.writableLength > 0) {
      const left = deadline === null ? null : Math.max(0, deadline - hub.now());
      await Socket.#parked(io.parkFlush(left, signal), progress);
    }
  }

  /** Note in `progress` the wait `p` parked (the current greenlet's newest): see SendProgress. */
  static #parked(p: Promise<void>, progress: SendProgress | undefined): Promise<void> {
    if (progress !== undefined) progress.wait = lastWait(currentFiber());
    return p;
  }

  /** @internal sendall for a makefile() file. */
  _fileSend(
    data: Uint8Array,
    opts: unknown,
    progress: SendProgress,
    where = 'SocketFile.flush',
  ): Promise<void> {
    return Socket.#sendall(this, where, data, opts, true, progress);
  }

  /**
   * Send `data` and resolve the number of bytes sent (all of them: Node takes whole writes).
   * Same waiting rules as {@link Socket.sendall}.
   * @example
   * ```ts
   * import { StreamServer } from 'verdant/server';
   * import { createConnection } from 'verdant/socket';
   * const server = new StreamServer(['127.0.0.1', 0], async (conn) => {
   *   for (let d = await conn.recv(4096); d.length > 0; d = await conn.recv(4096)) await conn.sendall(d);
   * });
   * await server.start();
   * const sock = await createConnection(['127.0.0.1', server.serverPort!]);
   * const n = await sock.send(new Uint8Array([1, 2, 3]));
   * console.log(n); // 3, all of it: Node takes whole writes (Python's send may send less)
   * sock.close();
   * await server.stop();
   * ```
   */
  send(
    data: ArrayBufferView | ArrayBuffer | string,
    opts?: WaitOptions | number | null,
  ): Promise<number> {
    const bytes = toBytes(data, 'Socket.send');
    if (bytes instanceof TypeError) return Promise.reject(bytes);
    return Socket.#sendall(this, 'Socket.send', bytes, opts, false).then(() => bytes.length);
  }

  /**
   * Accept one connection of a listening socket: resolves `[socket, address]` (`[host, port]`,
   * or `{path: ''}` for a Unix peer). A switch point when no connection is waiting; a kill or
   * `Timeout` there loses no connection (the next `accept` gets it).
   * @throws EBADF after `close()`; SocketTimeout when `timeout` elapses; an accept the kernel
   *   failed (EMFILE, ENFILE …), once, as Python's: the socket goes on listening and the next
   *   `accept` tries again
   * @example
   * ```ts
   * import { createConnection, listen } from 'verdant/socket';
   * const server = await listen({ host: '127.0.0.1', port: 0 });
   * const client = await createConnection(server.getsockname());
   * const [conn, address] = await server.accept();
   * console.log('accepted', address);
   * conn.close();
   * client.close();
   * server.close();
   * ```
   */
  accept(opts?: WaitOptions | number | null): Promise<[Socket, Address]> {
    const where = 'Socket.accept';
    const err = Socket.#opts(this, opts, where);
    if (err !== NONE) return rejectWait(err);
    if (this.closed) return Promise.reject(badFd(where));
    const io = Socket.#listener(this);
    if (io === null)
      return Promise.reject(
        coded('EINVAL', `${where}: the socket is not listening (it is ${this.type})`),
      );
    const failed = io.takeError();
    if (failed !== null) return Promise.reject(failed);
    const c = io.take();
    const conn = c === undefined ? null : c;
    if (conn !== null) {
      noteCompletedAtOnce();
      return Promise.resolve([conn, conn._peerAddress()]);
    }
    return io.park(waitArgs.timeout, waitArgs.signal).then((s) => [s, s._peerAddress()]);
  }

  /**
   * @internal `accept()` for a server's accept loop: the next connection's Socket, at once when
   * one is in the backlog (no promise, no address), else a promise of it (a switch point, as
   * `accept()`). The socket's timeout does not apply: a server waits for connections as long as
   * it runs, as gevent's accepts whenever its listener is readable (a listener given a timeout
   * with `settimeout` timed the loop out and closed the server; found by the breaker). Throws
   * (or rejects) as `accept()` rejects.
   */
  _acceptOne(): Socket | Promise<Socket> {
    if (this.closed) throw badFd('Socket.accept');
    const io = Socket.#listener(this);
    if (io === null) {
      throw coded('EINVAL', `Socket.accept: the socket is not listening (it is ${this.type})`);
    }
    const failed = io.takeError();
    if (failed !== null) throw failed;
    const c = io.take();
    if (c !== undefined) return c;
    return io.park(null, null);
  }

  /**
   * Receive one datagram: resolves `[data, [host, port]]`, the data cut to `n` bytes. A switch
   * point when none is queued; a kill or `Timeout` there loses no datagram.
   * @example
   * ```ts
   * import { Socket } from 'verdant/socket';
   * const udp = new Socket({ type: 'udp4' });
   * await udp.bind(['127.0.0.1', 0]);
   * const peer = new Socket({ type: 'udp4' });
   * await peer.sendto('ping', udp.getsockname());
   * const [data, [host, port]] = (await udp.recvfrom(2048)) as [Uint8Array, [string, number]];
   * console.log(Buffer.from(data).toString(), host, port);
   * peer.close();
   * udp.close();
   * ```
   */
  recvfrom(n = 65536, opts?: WaitOptions | number | null): Promise<[Uint8Array, [string, number]]> {
    const where = 'Socket.recvfrom';
    const err = Socket.#opts(this, opts, where);
    if (err !== NONE) return rejectWait(err);
    const bad = checkSize(n, where);
    if (bad !== null) return Promise.reject(bad);
    return Socket.#recvfrom(this, where, n, waitArgs.timeout, waitArgs.signal);
  }

  /**
   * @internal `recvfrom(n)` for a DatagramServer's loop: the socket's timeout does not apply
   * (see {@link Socket._acceptOne}).
   */
  _serveRecvfrom(n: number): Promise<[Uint8Array, [string, number]]> {
    return Socket.#recvfrom(this, 'Socket.recvfrom', n, null, null);
  }

  static #recvfrom(
    self: Socket,
    where: string,
    n: number,
    timeout: number | null,
    signal: AbortSignal | null,
  ): Promise<[Uint8Array, [string, number]]> {
    if (self.closed) return Promise.reject(badFd(where));
    const io = Socket.#udp(self);
    if (io === null)
      return Promise.reject(
        coded('EINVAL', `${where}: the socket is not a UDP socket (it is ${self.type})`),
      );
    const d = io.take();
    const cut = (x: [Uint8Array, [string, number]]): [Uint8Array, [string, number]] =>
      x[0].length > n ? [x[0].subarray(0, n), x[1]] : x;
    if (d !== undefined) {
      noteCompletedAtOnce();
      return Promise.resolve(cut(d));
    }
    const failed = io.takeError();
    if (failed !== null) return Promise.reject(failed);
    return io.park(timeout, signal).then(cut);
  }

  /**
   * Send one datagram to `address` (`[host, port]`); an unbound socket binds first (to an
   * ephemeral port). Resolves when Node has sent it.
   * @throws (rejects) EBADF after `close()`; TypeError for data that is not bytes or a string,
   *   or a bad address; RangeError for a port outside 0–65535, and for port 0 (with code
   *   `EINVAL`, Python's errno: the kernel sends to no port 0); EINVAL on a socket that is not
   *   UDP; SocketTimeout; Node's send error, naming the address
   * @example
   * ```ts
   * import { Socket } from 'verdant/socket';
   * const udp = new Socket({ type: 'udp4' });
   * await udp.bind(['127.0.0.1', 0]);
   * const peer = new Socket({ type: 'udp4' });
   * await peer.sendto('ping', udp.getsockname());
   * const [data] = await udp.recvfrom(2048);
   * console.log(Buffer.from(data).toString()); // ping
   * peer.close();
   * udp.close();
   * ```
   */
  sendto(
    data: ArrayBufferView | ArrayBuffer | string,
    address: AddressInput,
    opts?: WaitOptions | number | null,
  ): Promise<number> {
    return this._sendto('Socket.sendto', data, address, opts);
  }

  /**
   * {@link Socket.sendto} whose errors name the call `where` (`DatagramServer.sendto`).
   * @internal
   */
  _sendto(
    where: string,
    data: ArrayBufferView | ArrayBuffer | string,
    address: AddressInput,
    opts?: WaitOptions | number | null,
  ): Promise<number> {
    const bytes = toBytes(data, where);
    if (bytes instanceof TypeError) return Promise.reject(bytes);
    const t = parseAddress(address, where, this.type === 'udp6' ? '::1' : '127.0.0.1');
    if (t instanceof Error) return Promise.reject(t);
    if (this.closed) return Promise.reject(badFd(where));
    const io = Socket.#udp(this);
    if (io === null || t.path !== undefined)
      return Promise.reject(coded('EINVAL', `${where}: only a UDP socket sends to an address`));
    if (t.port === 0) {
      // A valid port to bind, not to send to: the kernel refuses it (Python's sendto raises
      // OSError EINVAL), Node's dgram with its own ERR_SOCKET_BAD_PORT that names no address.
      // A RangeError (bad input) carrying Python's code.
      const e = new RangeError(
        `${where}: cannot send to port 0 (${formatTarget(t)}): invalid argument (EINVAL)`,
      );
      return Promise.reject(Object.assign(e, { code: 'EINVAL', errno: -osConstants.errno.EINVAL }));
    }
    const err = Socket.#opts(this, opts, where);
    if (err !== NONE) return rejectWait(err);
    return callbackWait<number>(
      where,
      { timeout: waitArgs.timeout, signal: waitArgs.signal },
      (done) => {
        const untrack = io.track(() => done(badFd(where, true)));
        io.sock.send(bytes, t.port, t.host, (e) => {
          untrack();
          done(e === null ? null : (withAddress(e, formatTarget(t)) as Error), bytes.length);
        });
        return untrack;
      },
      null,
      null, // read from the checked options just above: no keys to check again
    );
  }

  /**
   * Bind a UDP socket to `[host, port]` (port 0: any free port). Rejects with EADDRINUSE
   * (naming the address) when the port is taken, with EINVAL when the socket is bound already
   * (by `bind` or a first `sendto`), as Python's.
   * @example
   * ```ts
   * import { Socket } from 'verdant/socket';
   * const udp = new Socket({ type: 'udp4' });
   * await udp.bind(['127.0.0.1', 0]);
   * const [, port] = udp.getsockname() as [string, number];
   * console.log('bound to port', port);
   * udp.close();
   * ```
   */
  bind(address: AddressInput, opts?: WaitOptions | number | null): Promise<void> {
    const where = 'Socket.bind';
    const t = parseAddress(address, where, this.type === 'udp6' ? '::' : '0.0.0.0');
    if (t instanceof Error) return Promise.reject(t);
    if (this.closed) return Promise.reject(badFd(where));
    const io = Socket.#udp(this);
    if (io === null || t.path !== undefined)
      return Promise.reject(
        coded('EINVAL', `${where}: only a UDP socket binds (use listen for streams)`),
      );
    return callbackWait<void>(where, opts, (done) => {
      const untrack = io.track(() => done(badFd(where, true)));
      const onErr = (e: Error): void => {
        untrack();
        done(withAddress(e, formatTarget(t)) as Error);
      };
      io.sock.once('error', onErr);
      try {
        io.sock.bind(t.port, t.host, () => {
          untrack();
          io.sock.off('error', onErr);
          io.error = null;
          done(null);
        });
      } catch (e) {
        untrack();
        io.sock.off('error', onErr);
        // Bound already (by bind, a first sendto, or a bind in flight): Python's EINVAL, named
        // (Node's ERR_SOCKET_ALREADY_BOUND said neither the method nor the errno).
        if ((e as { code?: unknown }).code === 'ERR_SOCKET_ALREADY_BOUND')
          throw coded('EINVAL', `${where}: the socket is already bound (EINVAL)`);
        throw e;
      }
      return untrack;
    });
  }

  /**
   * Shut down one side: `'write'` (send end of stream; we may still read; a `sendall` waiting
   * for the peer in another greenlet rejects with EPIPE), `'read'` (later `recv`s, and those
   * waiting in other greenlets, resolve empty) or `'both'`. Never switches.
   * @throws EBADF after close; TypeError for another `how`
   * @example
   * ```ts
   * import { StreamServer } from 'verdant/server';
   * import { createConnection } from 'verdant/socket';
   * const server = new StreamServer(['127.0.0.1', 0], async (conn) => {
   *   for (let d = await conn.recv(4096); d.length > 0; d = await conn.recv(4096)) await conn.sendall(d);
   * });
   * await server.start();
   * const sock = await createConnection(['127.0.0.1', server.serverPort!]);
   * await sock.sendall('request');
   * sock.shutdown('write'); // the peer reads end of stream; we can still recv its answer
   * for (let d = await sock.recv(1024); d.length > 0; d = await sock.recv(1024)) console.log(d);
   * sock.close();
   * await server.stop();
   * ```
   * Follows Python's `socket.shutdown(SHUT_WR)`.
   */
  shutdown(how: 'read' | 'write' | 'both' = 'write'): void {
    if (how !== 'read' && how !== 'write' && how !== 'both') {
      throw new TypeError(
        `Socket.shutdown: how must be 'read', 'write' or 'both', got ${String(how)}`,
      );
    }
    if (this.closed) throw badFd('Socket.shutdown');
    const io = Socket.#stream(this);
    if (io === null)
      throw coded('ENOTCONN', 'Socket.shutdown: the socket is not a connected stream');
    if (how !== 'read') io.shutdownWrite();
    if (how !== 'write') io.shutdownRead();
  }

  /**
   * Close the socket. Every greenlet waiting on it is woken (its wait rejects with EBADF); later
   * calls reject with EBADF. Bytes already handed to Node are still sent. A file from
   * `makefile()` keeps the connection open until it is closed too. Never switches; a second
   * call does nothing.
   * @example
   * ```ts
   * import { createConnection, listen } from 'verdant/socket';
   * const server = await listen({ host: '127.0.0.1', port: 0 });
   * const sock = await createConnection(server.getsockname());
   * sock.close();
   * console.log(sock.closed); // true
   * server.close();
   * ```
   */
  close(): void {
    if (this.closed) return;
    this.#bits |= CLOSED;
    if (!fileRefs.has(this)) Socket.#realClose(this);
  }

  /**
   * @internal A server's close once the handler has ended: the connection closes whatever files
   * `makefile()` made are still open (they then reject with EBADF). In gevent, CPython's
   * reference counting closes the files a returning handler forgot; here nothing would.
   */
  _closeConnection(): void {
    this.#bits |= CLOSED;
    fileRefs.delete(this);
    Socket.#realClose(this);
    // Detached by wrapSocket: the connection belongs to the TLS socket now.
    if (this.#io === null) successors.get(this)?._closeConnection();
  }

  /** Closed, and no `makefile()` file keeps the connection open: its addresses are gone. */
  static #gone(self: Socket): boolean {
    return (self.#bits & CLOSED) !== 0 && !fileRefs.has(self);
  }

  static #realClose(self: Socket): void {
    self.#io?.close();
  }

  /** `close()`, for `using sock = await createConnection(…)`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Set the timeout (ms) of every later wait of this socket that has no `timeout` option of
   * its own (an omitted or `null` one; `Infinity` is its own: forever); `null` waits forever.
   * Expiry rejects with `SocketTimeout`. Never switches.
   * @throws TypeError for a value that is not a number or null; RangeError for a negative or NaN one
   * @example
   * ```ts
   * import { StreamServer } from 'verdant/server';
   * import { createConnection, SocketTimeout } from 'verdant/socket';
   * const server = new StreamServer(['127.0.0.1', 0], async (conn) => {
   *   await conn.recv(1); // says nothing; returns when the client closes
   * });
   * await server.start();
   * const sock = await createConnection(['127.0.0.1', server.serverPort!]);
   * sock.settimeout(100); // a recv that waits more than 100 ms throws SocketTimeout
   * try {
   *   await sock.recv(1024);
   * } catch (e) {
   *   if (!(e instanceof SocketTimeout)) throw e;
   *   console.log('timed out');
   * }
   * sock.close();
   * await server.stop();
   * ```
   * Follows Python's `socket.settimeout` (milliseconds, not seconds).
   */
  settimeout(ms: number | null): void {
    if (ms !== null && ms !== undefined) {
      if (typeof ms !== 'number') {
        throw new TypeError(
          `Socket.settimeout: timeout must be a number of ms or null, got ${typeof ms}`,
        );
      }
      if (Number.isNaN(ms) || ms < 0) {
        throw new RangeError(
          `Socket.settimeout: timeout must be a non-negative number of ms or null, got ${ms}`,
        );
      }
    }
    if (ms === null || ms === undefined) {
      this.#bits &= ~TIMED;
      timeouts.delete(this);
    } else {
      this.#bits |= TIMED;
      timeouts.set(this, ms);
    }
  }

  /** The socket's timeout in ms, or `null` (forever). */
  gettimeout(): number | null {
    return (this.#bits & TIMED) !== 0 ? (timeouts.get(this) ?? null) : null;
  }

  /**
   * Set TCP_NODELAY: `true` (the default) turns Nagle's algorithm off, `false` turns it back on.
   * Stream sockets start with it on (`createConnection`'s `noDelay: false` starts it off). Does
   * nothing on a Unix or UDP socket. Never switches.
   */
  setNoDelay(noDelay = true): void {
    const s = Socket.#stream(this)?.sock;
    if (s !== undefined && (this.#bits & TYPE) !== UNIX) s.setNoDelay(noDelay);
  }

  /**
   * A buffered file over this stream socket: `readline()`, `read(n)`, `write()`, `flush()`.
   * The connection stays open until both the socket and every file are closed. Never switches.
   * It takes no mode: the file always reads and writes bytes (`Uint8Array`), as Python's
   * `makefile('rwb')`; decode lines yourself (`Buffer.from(line).toString()`).
   * @throws TypeError for any argument (a Python mode such as `'r'`, an options object): it
   *   would be ignored; EBADF after `close()`, ENOTCONN on a socket that is not a connected stream
   * @example
   * ```ts
   * import { StreamServer } from 'verdant/server';
   * import { createConnection } from 'verdant/socket';
   * const server = new StreamServer(['127.0.0.1', 0], async (conn) => {
   *   await conn.sendall('hello\nworld\n');
   * });
   * await server.start();
   * const sock = await createConnection(['127.0.0.1', server.serverPort!]);
   * const f = sock.makefile();
   * const line = await f.readline();
   * console.log(Buffer.from(line).toString()); // hello
   * f.close();
   * sock.close();
   * await server.stop();
   * ```
   */
  makefile(): FileObject;
  makefile(mode?: unknown): FileObject {
    if (mode !== undefined) {
      throw new TypeError(
        `Cannot make a file with a mode: Socket.makefile() takes no argument (its file reads and writes bytes, Uint8Array), got ${inspect(mode)}`,
      );
    }
    const io = Socket.#streamFor(this, 'Socket.makefile', false);
    if (io instanceof Error) throw io;
    fileRefs.set(this, (fileRefs.get(this) ?? 0) + 1);
    return new FileObject(this, () => {
      const left = (fileRefs.get(this) ?? 1) - 1;
      if (left > 0) fileRefs.set(this, left);
      else {
        fileRefs.delete(this);
        if (this.closed) Socket.#realClose(this);
      }
    });
  }

  /**
   * Our own address: `[host, port]`, or `{path}` for a Unix socket; `['0.0.0.0', 0]` (`['::',
   * 0]`) for a UDP socket not bound yet, as Python's. Never switches.
   * @throws EBADF once the socket is closed and no `makefile()` file keeps it open (Python's
   *   `getsockname` after `close()`; gevent's test__makefile_ref.py)
   * @example
   * ```ts
   * import { listen } from 'verdant/socket';
   * const server = await listen({ host: '127.0.0.1', port: 0 });
   * const [host, port] = server.getsockname() as [string, number];
   * console.log(host, port); // 127.0.0.1 <port>
   * server.close();
   * ```
   */
  getsockname(): Address {
    const h = this._handle;
    if (h === null || Socket.#gone(this)) throw badFd('Socket.getsockname');
    // An unbound UDP socket: the unspecified address and port 0, as Python's (Node's dgram
    // throws a bare EBADF, and toString showed the open socket as closed; found by the breaker).
    if (Socket.#udp(this)?.bound === false)
      return this.type === 'udp6' ? ['::', 0] : ['0.0.0.0', 0];
    if (h instanceof net.Socket) {
      if ((this.#bits & TYPE) === UNIX) return { path: '' };
      return [h.localAddress ?? '', h.localPort ?? 0];
    }
    const a = h.address();
    if (typeof a === 'string') return { path: a };
    if (a === null) return ['', 0];
    return [a.address, a.port];
  }

  /**
   * The peer's address: `[host, port]`, or `{path: ''}` for a Unix peer. Never switches. An
   * accepted socket asks its connection each time (it keeps no copy), so once the connection
   * is gone (closed by either side) it throws ENOTCONN, as Python's does after a reset.
   * @throws ENOTCONN when the socket is not connected (a listener, UDP, a connection gone);
   *   EBADF once it is closed and no `makefile()` file keeps it open
   * @example
   * ```ts
   * import { createConnection, listen } from 'verdant/socket';
   * const server = await listen({ host: '127.0.0.1', port: 0 });
   * const client = await createConnection(server.getsockname());
   * const [conn] = await server.accept();
   * console.log(conn.getpeername()); // [ '127.0.0.1', <the client's port> ]
   * conn.close();
   * client.close();
   * server.close();
   * ```
   * Follows Python's `socket.getpeername`.
   */
  getpeername(): Address {
    if (Socket.#gone(this)) throw badFd('Socket.getpeername');
    const p = Socket.#peerOrNull(this);
    if (p === null) throw coded('ENOTCONN', 'Socket.getpeername: the socket is not connected');
    return p;
  }

  /** @internal The peer, or `['', 0]` when the connection is already gone (what accept gives). */
  _peerAddress(): Address {
    return Socket.#peerOrNull(this) ?? ['', 0];
  }

  static #peerOrNull(self: Socket): Address | null {
    const given = givenPeers.get(self);
    if (given !== undefined) return given;
    const io = Socket.#stream(self);
    return io === null ? null : peerOf(io.sock, (self.#bits & TYPE) === UNIX);
  }

  /** Shown by `util.inspect` and `console.log` as {@link Socket.toString}. */
  [inspect.custom](): string {
    return this.toString();
  }

  /** `<Socket tcp 127.0.0.1:5000>`. */
  toString(): string {
    let where = '';
    try {
      const a = Socket.#peerOrNull(this) ?? this.getsockname();
      where = Array.isArray(a) ? formatTarget({ host: a[0], port: a[1] }) : a.path;
    } catch {
      where = 'closed';
    }
    // A Unix peer has no path (`{path: ''}`): `<Socket unix>`, no trailing space.
    return `<Socket ${this.type}${where === '' ? '' : ` ${where}`}${this.closed ? ' closed' : ''}>`;
  }

  /** @internal Wrap a listening server. */
  static _listening(server: net.Server, type: SocketType): Socket {
    const s = new Socket(ADOPT);
    const t = TYPES.indexOf(type);
    s.#bits = t | LISTENING;
    const io = new ListenerIO<Socket>(server);
    s.#io = io;
    io.target = s;
    const tls = type === 'tls';
    server.once('listening', () => {
      const a = server.address();
      if (typeof a === 'string') s.#bits |= PATH;
      else if (a !== null && net.isIP(a.address) === 6) s.#bits |= INET6;
    });
    server.on(tls ? 'secureConnection' : 'connection', (ns: net.Socket) => {
      // A TLS server half-opens only after the handshake: a client that leaves during it must
      // close the connection, or it would stay open forever.
      if (tls) ns.allowHalfOpen = true;
      io.offer(adopt(ns, t | (s.#bits & (INET6 | PATH)), null));
    });
    return s;
  }

  /** @internal Detach the stream for wrapping; the Socket is closed afterwards. */
  _detach(): { sock: net.Socket; rest: Uint8Array[]; timeout: number | null } {
    const io = Socket.#stream(this);
    if (io === null || this.closed) throw badFd('wrapSocket');
    const rest = io.detach();
    const timeout = this.gettimeout();
    this.#io = null;
    this.#bits |= CLOSED;
    return { sock: io.sock, rest, timeout };
  }

  /** @internal The connection of this detached socket belongs to `next` now (wrapSocket). */
  _succeededBy(next: Socket): void {
    successors.set(this, next);
  }

  /** @internal */
  static _adopt(ns: net.Socket, type: SocketType, peer: Address, timeout: number | null): Socket {
    const s = adopt(ns, TYPES.indexOf(type), peer);
    s.settimeout(timeout);
    return s;
  }
}

/** Options of `new Socket()`. */
export interface SocketOptions {
  /** `'udp4'` (default) or `'udp6'`. */
  type?: 'udp4' | 'udp6';
}

export {
  type ConnectOptions,
  createConnection,
  type ListenOptions,
  listen,
  type WrapOptions,
  wrapSocket,
} from './_connect.js';
export { waitRead, waitReadwrite, waitWrite } from './_ready.js';
export { socketpair } from './_socketpair.js';
export {
  type AddrInfo,
  type AddrInfoOptions,
  getaddrinfo,
  getfqdn,
  gethostbyaddr,
  gethostbyname,
  gethostbynameEx,
  getnameinfo,
  NI_DGRAM,
  NI_NAMEREQD,
  NI_NOFQDN,
  NI_NUMERICHOST,
  NI_NUMERICSERV,
} from './dns.js';
export { FileObject } from './fileobject.js';

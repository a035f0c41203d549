/**
 * Making stream sockets: `createConnection` (TCP, Unix, TLS clients), `listen` (listeners) and
 * `wrapSocket` (STARTTLS). Re-exported by verdant/socket; split from socket.ts to keep one
 * concept per file. Each is one {@link callbackWait}: a kill or `Timeout` while it waits closes
 * the half-made connection (tests: test/io/listener.test.ts).
 *
 * @module
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import {
  checkOptionKeys,
  NONE,
  readWaitOptions,
  rejectWait,
  type WaitOptions,
  waitArgs,
} from '../core/lowlevel.js';
import { callbackWait } from './_callwait.js';
import {
  type Address,
  type AddressInput,
  formatTarget,
  parseAddress,
  type Target,
  withAddress,
} from './_errors.js';
import { handedOver } from './_stream.js';
import { Socket, type SocketType } from './socket.js';

/** Options of {@link createConnection}. */
export interface ConnectOptions extends WaitOptions {
  /** TLS: `true` or Node's `tls.connect` options (`ca`, `servername`, `rejectUnauthorized` …). */
  tls?: tls.ConnectionOptions | boolean;
  /** Disable Nagle's algorithm (default true). */
  noDelay?: boolean;
}

/** Options of {@link listen}. */
export interface ListenOptions extends WaitOptions {
  /**
   * The address to bind. Omitted: '127.0.0.1' (the loopback only). `''`: every interface, as
   * Python's `''` (Node's default: `::` where IPv6 is available, which takes IPv4 too, else
   * `0.0.0.0`).
   */
  host?: string;
  /** The port to bind (0 or omitted: any free port). */
  port?: number;
  /** The Unix socket path to listen on (instead of host and port). */
  path?: string;
  /** The length of the queue of pending connections (Node's default when omitted). */
  backlog?: number;
  /**
   * SO_REUSEPORT: several listeners share the port. Needs Node ≥ 22.12 (or 23.1): on an older
   * Node, `true` rejects with an Error naming the version (Node would ignore it silently).
   */
  reusePort?: boolean;
  /** TLS server options (`key`, `cert` …): accepted sockets are TLS sockets. */
  tls?: tls.TlsOptions;
}

/**
 * Connect to `address` — `[host, port]`, `{host, port}`, `"host:port"` or `{path}` (Unix) —
 * and resolve the connected `Socket` (TCP_NODELAY on). With `{tls}` it completes a TLS
 * handshake too. A switch point: a kill or `Timeout` there closes the half-open connection. The
 * `timeout` option bounds the connect (SocketTimeout) and stays as the socket's timeout, as in
 * Python.
 * @throws TypeError/RangeError for a bad address or port (RangeError for port 0: it means any
 *   free port only to `listen`; Python's connect fails there with ECONNREFUSED), TypeError for a
 *   `tls` that is neither a boolean nor an object and for an unknown option, naming it and the
 *   options (all reject); ECONNREFUSED, ENOTFOUND, a TLS failure … each naming the address
 * @example
 * ```ts
 * import { StreamServer } from 'verdant/server';
 * import { createConnection } from 'verdant/socket';
 * const server = new StreamServer(['127.0.0.1', 0], async (conn) => {
 *   await conn.sendall('HTTP/1.0 200 OK\r\n\r\n');
 * });
 * await server.start();
 * const sock = await createConnection(['127.0.0.1', server.serverPort!], { timeout: 5000 });
 * await sock.sendall('GET / HTTP/1.0\r\n\r\n');
 * console.log(Buffer.from(await sock.recv(1024)).toString());
 * sock.close();
 * await server.stop();
 * ```
 * Follows gevent's `create_connection` (`timeout` in ms; `tls` is Node's, not `ssl.wrap_socket`).
 */
export function createConnection(
  address: AddressInput,
  opts?: ConnectOptions | number | null,
): Promise<Socket> {
  return connectAs(address, opts, 'createConnection');
}

/**
 * {@link createConnection}, its errors named after `where` (the function the user called:
 * `eventlet.connect`). @internal
 */
export function connectAs(
  address: AddressInput,
  opts: ConnectOptions | number | null | undefined,
  where: string,
): Promise<Socket> {
  const t = parseAddress(address, where, 'localhost');
  if (t instanceof Error) return Promise.reject(t);
  if (t.port === 0) {
    // Port 0 is "any free port" to listen or bind; connecting to it fails with ECONNREFUSED, as if
    // something there had refused.
    return Promise.reject(
      new RangeError(
        `${where}: port must be an integer from 1 to 65535 to connect to (0 means any free port only to listen), got 0`,
      ),
    );
  }
  const o: ConnectOptions = typeof opts === 'number' ? { timeout: opts } : (opts ?? {});
  if (typeof o !== 'object')
    return Promise.reject(new TypeError(`${where}: options must be an object, got ${typeof o}`));
  const unknown = checkOptionKeys(o, CONNECT_KEYS, where);
  if (unknown !== null) return Promise.reject(unknown);
  const err = readWaitOptions(o, where, undefined, null); // keys checked above
  if (err !== NONE) return rejectWait(err);
  const timeout = waitArgs.timeout;
  const label = formatTarget(t);
  const tlsOpt: unknown = o.tls;
  if (
    tlsOpt !== undefined &&
    typeof tlsOpt !== 'boolean' &&
    (tlsOpt === null || typeof tlsOpt !== 'object' || Array.isArray(tlsOpt))
  ) {
    return Promise.reject(
      new TypeError(
        `${where}: tls must be true, false or an object of TLS options (ca, servername …), got ${tlsOpt === null ? 'null' : Array.isArray(tlsOpt) ? 'an array' : typeof tlsOpt}`,
      ),
    );
  }
  const useTls = tlsOpt !== undefined && tlsOpt !== false;
  const type: SocketType = useTls ? 'tls' : t.path !== undefined ? 'unix' : 'tcp';
  return callbackWait<Socket>(
    where,
    o,
    (done) => {
      const base = {
        allowHalfOpen: true,
        ...(t.path !== undefined ? { path: t.path } : { host: t.host, port: t.port }),
      };
      const ns = useTls
        ? tls.connect({ ...base, ...(o.tls === true ? {} : (o.tls as tls.ConnectionOptions)) })
        : net.connect(base as net.NetConnectOpts);
      if (type !== 'unix' && o.noDelay !== false) ns.setNoDelay(true);
      const onErr = (e: Error): void => {
        ns.destroy();
        done(withAddress(e, label, useTls ? 'TLS connection failed: ' : '') as Error);
      };
      ns.once('error', onErr);
      ns.once(useTls ? 'secureConnect' : 'connect', () => {
        ns.off('error', onErr);
        done(
          null,
          Socket._adopt(
            ns,
            type,
            t.path !== undefined
              ? { path: t.path }
              : [ns.remoteAddress ?? t.host, ns.remotePort ?? t.port],
            timeout,
          ),
        );
      });
      return (held) => {
        if (held !== undefined) held.close();
        else ns.destroy();
      };
    },
    null,
    null, // the keys were checked above
  );
}

/** The options {@link listen} knows: another key is a mistake (a typo would listen elsewhere). */
const LISTEN_KEYS: readonly string[] = [
  'host',
  'port',
  'path',
  'backlog',
  'reusePort',
  'tls',
  'timeout',
  'signal',
];

/** The options {@link createConnection} knows: another key is a mistake (`timout` waited forever). */
const CONNECT_KEYS: readonly string[] = ['timeout', 'signal', 'tls', 'noDelay'];

function describe(x: unknown): string {
  return x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x;
}

/**
 * Check the listener options {@link listen} and `StreamServer` share: `backlog` (a
 * non-negative integer), `reusePort` (a boolean) and `tls` (an object of TLS server options).
 * Returns the TypeError (a value of the wrong type) or RangeError (a number out of range) to
 * throw or reject with, or null. An omitted (`undefined`) option is fine. @internal
 */
export function checkListenOptions(
  opts: { backlog?: unknown; reusePort?: unknown; tls?: unknown },
  where: string,
): Error | null {
  const { backlog, reusePort, tls: tlsOpts } = opts;
  if (backlog !== undefined) {
    if (typeof backlog !== 'number') {
      return new TypeError(
        `${where}: backlog must be a number of connections, got ${describe(backlog)}`,
      );
    }
    // Node passes it to listen(2) as a 32-bit int: 2 ** 32 became a backlog of 0.
    if (!Number.isInteger(backlog) || backlog < 0 || backlog > 0x7fffffff) {
      return new RangeError(
        `${where}: backlog must be an integer from 0 to 2147483647, got ${backlog}`,
      );
    }
  }
  if (reusePort !== undefined && typeof reusePort !== 'boolean') {
    return new TypeError(`${where}: reusePort must be a boolean, got ${describe(reusePort)}`);
  }
  if (
    tlsOpts !== undefined &&
    (tlsOpts === null || typeof tlsOpts !== 'object' || Array.isArray(tlsOpts))
  ) {
    return new TypeError(
      `${where}: tls must be an object of TLS server options (key, cert …), got ${describe(tlsOpts)}`,
    );
  }
  return null;
}

/**
 * Listen on `{host, port}` (port 0: any free port; host default `127.0.0.1`; `''`: every
 * interface, as Python's `''`) or `{path}` (a Unix socket) and resolve the listening `Socket`;
 * `accept()` takes its connections. With
 * `{tls}` (Node's TLS server options) accepted sockets are TLS sockets, their handshake done.
 * @throws EADDRINUSE naming the address when it is taken (unless `reusePort`); TypeError for an
 *   option of the wrong type (`reusePort` not a boolean, `tls` not an object, `backlog` not a
 *   number, an unknown option), RangeError for a negative or fractional `backlog` or a port out
 *   of range (all reject)
 * @example
 * ```ts
 * import { listen } from 'verdant/socket';
 * const server = await listen({ host: '127.0.0.1', port: 0 });
 * console.log(server.getsockname()); // [ '127.0.0.1', <port> ]
 * server.close();
 * ```
 */
export function listen(opts: ListenOptions = {}): Promise<Socket> {
  return listenAs(opts, 'listen');
}

/**
 * {@link listen}, its errors named after `where` (the function the user called:
 * `eventlet.listen`). @internal
 */
export function listenAs(opts: ListenOptions, where: string): Promise<Socket> {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    return Promise.reject(
      new TypeError(
        `${where}: options must be an object such as {host, port} or {path}, got ${Array.isArray(opts) ? 'an array' : opts === null ? 'null' : typeof opts}`,
      ),
    );
  }
  const unknown = checkOptionKeys(opts, LISTEN_KEYS, where);
  if (unknown !== null) return Promise.reject(unknown);
  // An omitted host is the loopback (safe by default); '' is every interface, as Python's ''
  // (INADDR_ANY): the host stays '' and Node picks `::` or `0.0.0.0` as `listen(port)` does.
  const host = opts.host === undefined || opts.host === null ? '127.0.0.1' : opts.host;
  const bad = checkListenOptions(opts, where);
  if (bad !== null) return Promise.reject(bad);
  const t: Target | Error =
    opts.path !== undefined
      ? parseAddress({ path: opts.path }, where, '')
      : parseAddress({ host, port: opts.port ?? 0 }, where, '');
  if (t instanceof Error) return Promise.reject(t);
  const label = formatTarget(t);
  const type: SocketType = opts.tls !== undefined ? 'tls' : t.path !== undefined ? 'unix' : 'tcp';
  if (opts.reusePort === true && !HAS_REUSE_PORT) return Promise.reject(reusePortError(where));
  return callbackWait<Socket>(where, { timeout: opts.timeout, signal: opts.signal }, (done) => {
    const server =
      opts.tls !== undefined
        ? tls.createServer({ ...opts.tls }) // allowHalfOpen is set once secure (see _listening)
        : net.createServer({ allowHalfOpen: true, noDelay: t.path === undefined });
    const sock = Socket._listening(server, type);
    server.on('tlsClientError', (_e: Error, ts: tls.TLSSocket) => ts.destroy());
    const onErr = (e: Error): void => {
      server.close();
      done(withAddress(e, label) as Error);
    };
    server.once('error', onErr);
    const lo: net.ListenOptions & { reusePort?: boolean } =
      t.path !== undefined
        ? { path: t.path }
        : t.host === ''
          ? { port: t.port }
          : { host: t.host, port: t.port };
    if (opts.backlog !== undefined) lo.backlog = opts.backlog;
    if (opts.reusePort === true) lo.reusePort = true;
    server.listen(lo, () => {
      server.off('error', onErr);
      done(null, sock);
    });
    return () => sock.close();
  });
}

/** Options of {@link wrapSocket}: Node's TLS options, plus the side we play. */
export interface WrapOptions extends Omit<tls.ConnectionOptions, 'timeout'> {
  /** Act as the TLS server (`key`/`cert` needed); default: client. */
  serverSide?: boolean;
  /** Bounds the handshake (ms); SocketTimeout when it elapses. */
  timeout?: number | null;
  /** Aborting it interrupts the handshake (which rejects with the signal's reason). */
  signal?: AbortSignal | null;
}

/**
 * Upgrade a connected stream socket to TLS (STARTTLS) and resolve the TLS `Socket`; `sock` is
 * closed for use (its connection now belongs to the result), and the result keeps its timeout.
 * A switch point: a kill or `Timeout` during the handshake closes the connection. In a
 * `StreamServer` handler the server closes the connection when the handler ends, whichever
 * socket owns it then: a handler that upgrades its socket and returns leaves nothing open.
 * Bytes `sock` received that no `recv` returned go to the TLS socket, in order: those buffered,
 * and those a reader in another greenlet was woken with and hands back when a kill or `Timeout`
 * lands before it resumes, in the same turn as the wrap (gevent: that recv never ran, the bytes
 * stay in the kernel). Handed back later, once the TLS socket has read what followed them,
 * they cannot go back in order: the connection is cut (ECONNABORTED) rather than misread.
 * @throws the handshake failure, naming the peer
 * @example
 * ```ts
 * import { generate } from 'selfsigned';
 * import { StreamServer } from 'verdant/server';
 * import { createConnection, wrapSocket } from 'verdant/socket';
 * const { private: key, cert } = await generate([{ name: 'commonName', value: 'localhost' }]);
 * const server = new StreamServer(['127.0.0.1', 0], (conn) => conn.sendall('hi'), { tls: { key, cert } });
 * await server.start();
 * const plain = await createConnection(['127.0.0.1', server.serverPort!]);
 * const secure = await wrapSocket(plain, { ca: cert, servername: 'localhost' });
 * console.log(Buffer.from(await secure.recv(1024)).toString()); // hi
 * secure.close();
 * await server.stop();
 * ```
 * Follows gevent's `ssl.wrap_socket` / `SSLContext.wrap_socket` (`server_side` → `serverSide`).
 */
export function wrapSocket(sock: Socket, opts: WrapOptions = {}): Promise<Socket> {
  const where = 'wrapSocket';
  if (!(sock instanceof Socket))
    return Promise.reject(
      new TypeError(`${where}: sock must be a verdant Socket, got ${typeof sock}`),
    );
  const err = readWaitOptions({ timeout: opts.timeout, signal: opts.signal }, where);
  if (err !== NONE) return rejectWait(err);
  let detached: ReturnType<Socket['_detach']>;
  let peer: Address;
  try {
    peer = sock.getpeername();
    detached = sock._detach();
  } catch (e) {
    return Promise.reject(e);
  }
  const { sock: ns, timeout, rest } = detached;
  // Bytes our buffer read ahead (a hello pipelined behind STARTTLS) belong to the TLS stream:
  // put them back in the Node socket's readable buffer, paused so that nothing emits them, where
  // the TLSSocket takes what is buffered when it starts reading.
  ns.pause();
  if (rest.length > 0)
    ns.unshift(rest.length === 1 ? (rest[0] as Uint8Array) : Buffer.concat(rest));
  const label = Array.isArray(peer) ? formatTarget({ host: peer[0], port: peer[1] }) : peer.path;
  const { serverSide, timeout: _t, signal: _s, ...tlsOpts } = opts;
  return callbackWait<Socket>(
    where,
    { timeout: opts.timeout ?? timeout, signal: opts.signal },
    (done) => {
      const ts =
        serverSide === true
          ? new tls.TLSSocket(ns, { ...(tlsOpts as tls.TLSSocketOptions), isServer: true })
          : tls.connect({ ...tlsOpts, socket: ns });
      // The TLS socket runs over ns: closing it must release ns too.
      ts.once('close', () => ns.destroy());
      handedOver(ns, ts);
      const onErr = (e: Error): void => {
        ts.destroy();
        done(withAddress(e, label, 'TLS handshake failed: ') as Error);
      };
      ts.once('error', onErr);
      ts.once(serverSide === true ? 'secure' : 'secureConnect', () => {
        ts.off('error', onErr);
        const secure = Socket._adopt(ts, 'tls', peer, timeout);
        sock._succeededBy(secure);
        done(null, secure);
      });
      return (held) => {
        if (held !== undefined) held.close();
        else ts.destroy();
      };
    },
  );
}

/** Whether this Node's `listen()` knows `reusePort` (added in 22.12.0 and 23.1.0). */
const HAS_REUSE_PORT = ((): boolean => {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
})();

/**
 * The Error for `reusePort: true` on a Node without it: Node's `listen()` ignores the option
 * there, and a second listener on the port would fail with a puzzling EADDRINUSE. @internal
 */
function reusePortError(where: string): Error {
  return new Error(
    `${where}: reusePort needs Node 22.12 or later (23.1 in the 23 line), got Node ${process.versions.node}`,
  );
}

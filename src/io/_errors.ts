/**
 * The errors of verdant/socket and the checks of addresses and ports, shared by the socket
 * families (stream, listener, datagram), select and the servers. Internal: `SocketTimeout` is
 * re-exported from verdant/socket.
 *
 * Messages name the address the call was about (`127.0.0.1:8080`, `/tmp/s.sock`), since a bare
 * `ECONNREFUSED` in a server with many upstreams says nothing. Node's own messages usually name
 * it already; {@link withAddress} adds it where they do not (TLS handshakes, resets).
 *
 * @module
 */
import { constants as osConstants } from 'node:os';

/**
 * The bytes of a binary buffer as Python takes any bytes-like object: a Uint8Array as it is,
 * another ArrayBufferView (DataView, Int16Array …) or an ArrayBuffer as a Uint8Array over the
 * same memory; null for anything else (a string included: callers that take text encode it);
 * a TypeError (naming `where`) for a detached buffer.
 * Shared by `sendall`, `recvInto` and a socket file's `write`.
 */
export function bytesOf(data: unknown, where: string): Uint8Array | TypeError | null {
  if (data instanceof Uint8Array) return data;
  try {
    if (ArrayBuffer.isView(data))
      return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
  } catch {
    // V8 refuses a view of a detached ArrayBuffer (one transferred with postMessage or
    // structuredClone): that threw from sendall, send, sendto and recvInto instead of
    // rejecting, with V8's "Cannot perform Construct on a detached ArrayBuffer".
    return new TypeError(
      `${where}: the buffer is detached (its ArrayBuffer was transferred), it holds no bytes`,
    );
  }
  return null;
}

/**
 * Thrown by a socket wait whose timeout elapsed: the `timeout` option of `recv`, `accept`,
 * `sendall` …, or the socket's own timeout set with `settimeout(ms)` or given to
 * `createConnection`. The socket stays usable (as Python's `socket.timeout`).
 *
 * Follows gevent's `socket.timeout` (Python's `TimeoutError`, message "timed out"). It is not a
 * `Timeout` (that one is a `Cancellation` thrown by a `Timeout` object).
 * @example
 * ```ts
 * import { StreamServer } from 'verdant/server';
 * import { createConnection, SocketTimeout } from 'verdant/socket';
 * const server = new StreamServer(['127.0.0.1', 0], async (conn) => {
 *   await conn.recv(1); // says nothing; returns when the client closes
 * });
 * await server.start();
 * const sock = await createConnection(['127.0.0.1', server.serverPort!]);
 * try {
 *   await sock.recv(1024, { timeout: 100 });
 * } catch (e) {
 *   if (!(e instanceof SocketTimeout)) throw e;
 *   console.log('no answer within 100 ms');
 * }
 * sock.close();
 * await server.stop();
 * ```
 */
export class SocketTimeout extends Error {
  /** Always `'ETIMEDOUT'`, as Node spells a timed-out socket operation. */
  readonly code = 'ETIMEDOUT';
  constructor(message = 'timed out', options?: ErrorOptions) {
    super(message, options);
    this.name = 'SocketTimeout';
  }
}

/** The `onTimeout` of every socket wait: throw a SocketTimeout. */
export function throwSocketTimeout(): never {
  throw new SocketTimeout();
}

/** An error with a Node-style `code` (EBADF, EPIPE …). */
export interface CodedError extends Error {
  code: string;
  errno?: number;
  syscall?: string;
  address?: string;
  port?: number;
}

/** An `Error` with `code` set. */
export function coded(code: string, message: string, cause?: unknown): CodedError {
  const err = new Error(message, cause === undefined ? undefined : { cause }) as CodedError;
  err.code = code;
  // As Node's own system errors: a negative errno (`util.getSystemErrorName(err.errno)` is the
  // code), so code written for either finds the number where it looks (Python's `ex.errno`).
  const n = (osConstants.errno as Record<string, number | undefined>)[code];
  if (n !== undefined) err.errno = -n;
  return err;
}

/** EBADF: the socket was closed (by this greenlet before the call, or by another during it). */
export function badFd(where: string, closedDuring = false): CodedError {
  return coded(
    'EBADF',
    closedDuring
      ? `${where}: the socket was closed in another greenlet (EBADF)`
      : `${where}: bad file descriptor, the socket is closed (EBADF)`,
  );
}

/**
 * `err` if its message already names `addr`, else a new error whose message names it, with the
 * same `code`/`errno`/`syscall` and `err` as `cause`.
 */
export function withAddress(err: unknown, addr: string, what = ''): unknown {
  if (!(err instanceof Error) || addr === '' || err.message.includes(addr)) return err;
  // Node names an IPv6 peer unbracketed ('connect ECONNREFUSED ::1:1'): named already.
  if (addr.startsWith('[') && err.message.includes(addr.replace(/^\[(.*)\]:/, '$1:'))) return err;
  const e = err as Partial<CodedError>;
  const out = new Error(`${what}${err.message} (${addr})`, { cause: err }) as CodedError;
  if (e.code !== undefined) out.code = e.code;
  if (e.errno !== undefined) out.errno = e.errno;
  if (e.syscall !== undefined) out.syscall = e.syscall;
  return out;
}

/** A socket address: `[host, port]` for IP sockets, `{path}` for Unix sockets. */
export type Address =
  | [host: string, port: number]
  | {
      /** The Unix socket's path. */ path: string;
    };

/** An address as a caller may give it: also `{host, port}` or `"host:port"`. */
export type AddressInput =
  | [host: string, port: number]
  | {
      /** The host name or IP address. */ host?: string;
      /** The port number (0: any free port). */ port?: number;
      /** The Unix socket's path. */ path?: string;
    }
  | string;

/** A checked address: an IP host and port, or a Unix path. */
export type Target =
  | { host: string; port: number; path?: undefined }
  | { path: string; host?: undefined; port?: undefined };

/** Check a port number; returns the error to reject with, or null. */
export function checkPort(port: unknown, where: string): Error | null {
  if (typeof port !== 'number' && typeof port !== 'string') {
    return new TypeError(`${where}: port must be a number, got ${typeof port}`);
  }
  if (typeof port === 'string' && !/^\d+$/.test(port)) {
    return new TypeError(
      `${where}: port must be a number or a string of digits, got ${JSON.stringify(port)}`,
    );
  }
  const n = typeof port === 'string' ? Number(port) : port;
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    return new RangeError(`${where}: port must be an integer from 0 to 65535, got ${String(port)}`);
  }
  return null;
}

/**
 * Parse an address given to `createConnection`, `listen`, `bind`, `sendto` or a server:
 * `[host, port]`, `{host, port}`, `{path}` or `"host:port"` (`"[::1]:80"` for IPv6). Returns
 * the target or the TypeError/RangeError to reject with. `defaultHost` fills an empty host.
 */
export function parseAddress(addr: unknown, where: string, defaultHost: string): Target | Error {
  let host: unknown;
  let port: unknown;
  if (typeof addr === 'string') {
    const m = /^\[([^\]]*)\]:(\d+)$/.exec(addr) ?? /^([^:]*):(\d+)$/.exec(addr);
    if (m === null) {
      return new TypeError(`${where}: address must be "host:port", got ${JSON.stringify(addr)}`);
    }
    host = m[1];
    port = Number(m[2]);
  } else if (Array.isArray(addr)) {
    if (addr.length !== 2) {
      return new TypeError(
        `${where}: address must be a [host, port] pair, got ${addr.length} items`,
      );
    }
    [host, port] = addr;
  } else if (addr !== null && typeof addr === 'object') {
    const o = addr as { host?: unknown; port?: unknown; path?: unknown };
    if (o.path !== undefined) {
      if (typeof o.path !== 'string' || o.path === '') {
        return new TypeError(
          `${where}: path must be a non-empty string, got ${o.path === null ? 'null' : typeof o.path === 'string' ? 'an empty string' : typeof o.path}`,
        );
      }
      return { path: o.path };
    }
    host = o.host;
    port = o.port;
  } else {
    return new TypeError(
      `${where}: address must be [host, port], {host, port}, {path} or "host:port", got ${addr === null ? 'null' : typeof addr}`,
    );
  }
  if (host === undefined || host === null || host === '') host = defaultHost;
  if (typeof host !== 'string') {
    return new TypeError(`${where}: host must be a string, got ${typeof host}`);
  }
  const err = checkPort(port, where);
  if (err !== null) return err;
  return { host, port: Number(port) };
}

/** `host:port`, `[v6]:port` or the path, for messages. */
export function formatTarget(t: {
  host?: string | undefined;
  port?: number | undefined;
  path?: string | undefined;
}): string {
  if (t.path !== undefined) return t.path;
  const h = t.host ?? '';
  return h.includes(':') ? `[${h}]:${t.port}` : `${h}:${t.port}`;
}

/**
 * Whether a wait's options ask to wait forever in so many words (`Infinity`, or `{timeout:
 * Infinity}`): that is a timeout of the call's own, which the socket's timeout (`settimeout`)
 * must not replace, as it replaces an omitted or null one (found by the breaker: the socket's
 * timeout cut such waits short).
 */
export function askedForever(opts: unknown): boolean {
  return (
    opts === Number.POSITIVE_INFINITY ||
    (opts !== null &&
      typeof opts === 'object' &&
      (opts as { timeout?: unknown }).timeout === Number.POSITIVE_INFINITY)
  );
}

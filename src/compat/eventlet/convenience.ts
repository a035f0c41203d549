/**
 * eventlet's convenience functions — `listen`, `connect`, `serve` and `StopServe` — on verdant
 * sockets (`verdant/socket`) and eventlet's `GreenPool`.
 *
 * Design note — who stops `serve`. `serve` is eventlet's loop run in the caller's greenlet:
 * `accept`, then `pool.spawn(handle, client, address)` (which waits for a slot when
 * `concurrency` handlers run: back-pressure), then a link on the handler's thread that closes
 * the client connection and, when the handler threw, stops the loop (eventlet's `_stop_checker`).
 * The link closes the connection itself (`_closeConnection`), not only the handle: a file from
 * `makefile()` the handler left open would keep it open forever (CPython drops that file with
 * the handler's frame; JavaScript has nothing to close it), so the client sees EOF as in
 * eventlet and that file then rejects with EBADF, as under `StreamServer`.
 * The link stops the loop by aborting the signal of the loop's `accept`, whose wait then
 * rejects with the handler's error: `StopServe` makes `serve` resolve, any other error makes
 * it reject. A kill or `Timeout` of the caller lands at the same `accept` (or at the slot wait)
 * and ends only the loop: the listening socket stays open and running handlers go on, as in
 * eventlet. A listening socket closed by someone else ends the loop quietly (eventlet would
 * raise EBADF). Tests: test/compat/eventlet/convenience.test.ts.
 *
 * @module
 */
import { GreenletExit } from '../../core/errors.js';
import { checkOptionKeys, type WaitOptions } from '../../core/lowlevel.js';
import { connectAs, listenAs } from '../../io/_connect.js';
import { type Address, Socket } from '../../io/socket.js';
import { guard } from './_guard.js';
import { GreenPool } from './greenpool.js';
import type { GreenThread } from './greenthread.js';

/** A socket family, as eventlet's `family` argument names it (`socket.AF_INET` …). */
export type AddressFamily = 'AF_INET' | 'AF_INET6' | 'AF_UNIX';

/** An eventlet address: `[host, port]` for `AF_INET`/`AF_INET6`, a path for `AF_UNIX`. */
export type EventletAddress = readonly [host: string, port: number] | string;

/** Extra options of {@link listen} (verdant's; eventlet has `reuse_addr`/`reuse_port`). */
export interface EventletListenOptions extends WaitOptions {
  /** SO_REUSEPORT: several listeners share the port. Needs Node ≥ 22.12 (else rejects). */
  reusePort?: boolean;
}

/** A handler of {@link serve}: called as `handle(clientSocket, clientAddress)`. */
export type ServeHandler = (sock: Socket, address: Address) => unknown;

/**
 * Thrown by a {@link serve} handler to stop the server gracefully: `serve` then resolves
 * instead of rejecting. Handlers already running go on.
 *
 * Source: eventlet's `eventlet.StopServe`.
 * @example
 * ```ts
 * import { connect, listen, serve, StopServe } from 'verdant/eventlet';
 * const server = await listen(['127.0.0.1', 0]);
 * const [, port] = server.getsockname() as [string, number];
 * const client = await connect(['127.0.0.1', port]);
 * await serve(server, () => {
 *   throw new StopServe(); // the first connection stops the server
 * });
 * client.close();
 * server.close();
 * ```
 */
export class StopServe extends Error {
  /** @param message - optional text */
  constructor(message = 'serve() stopped by a handler') {
    super(message);
    this.name = 'StopServe';
  }
}

const FAMILIES: readonly string[] = ['AF_INET', 'AF_INET6', 'AF_UNIX'];

/** The options {@link listen} takes. */
const LISTEN_KEYS: readonly string[] = ['reusePort', 'timeout', 'signal'];

type Target = { host: string; port: number } | { path: string };

function readTarget(addr: unknown, family: unknown, where: string): Target | TypeError {
  if (typeof family !== 'string' || !FAMILIES.includes(family)) {
    return new TypeError(
      `${where}: family must be 'AF_INET', 'AF_INET6' or 'AF_UNIX', got ${String(family)}`,
    );
  }
  if (family === 'AF_UNIX') {
    if (typeof addr !== 'string') {
      return new TypeError(
        `${where}: an AF_UNIX address must be a path string, got ${typeof addr}`,
      );
    }
    return { path: addr };
  }
  if (
    !Array.isArray(addr) ||
    addr.length !== 2 ||
    typeof addr[0] !== 'string' ||
    typeof addr[1] !== 'number'
  ) {
    return new TypeError(
      `${where}: an ${family} address must be a [host, port] pair, got ${Array.isArray(addr) ? `an array of ${addr.length}` : typeof addr}`,
    );
  }
  return { host: addr[0], port: addr[1] };
}

/**
 * Open a listening socket on `addr` (`[host, port]`, port 0 for any free port; a path for
 * `AF_UNIX`) with room for `backlog` pending connections, for {@link serve} or your own
 * `accept()` loop. A switch point while the socket binds: a kill or `Timeout` there closes it.
 *
 * Source: eventlet's `eventlet.listen(addr, family, backlog)`; SO_REUSEADDR is Node's default
 * for listeners, `reuse_port` is the `reusePort` option.
 * @param addr - where to listen
 * @param family - `'AF_INET'` (default), `'AF_INET6'` or `'AF_UNIX'`
 * @param backlog - the most queued connections (default 50)
 * @param options - `{reusePort, timeout, signal}`
 * @returns the listening `Socket`
 * @throws TypeError for an address that does not fit `family`, a backlog that is not a
 *   number, options that are not an object or an option other than `reusePort`, `timeout`,
 *   `signal`; RangeError for a bad port or backlog; EADDRINUSE naming the address (all reject).
 *   Every message starts `eventlet.listen:`
 * @example
 * ```ts
 * import { listen } from 'verdant/eventlet';
 * const server = await listen(['127.0.0.1', 0]);
 * console.log(server.getsockname()); // ['127.0.0.1', <port>]
 * server.close();
 * ```
 */
export function listen(
  addr: EventletAddress,
  family: AddressFamily = 'AF_INET',
  backlog = 50,
  options: EventletListenOptions = {},
): Promise<Socket> {
  const where = 'eventlet.listen';
  const t = readTarget(addr, family, where);
  if (t instanceof TypeError) return Promise.reject(t);
  if (typeof backlog !== 'number') {
    return Promise.reject(
      new TypeError(`${where}: backlog must be a number of connections, got ${typeof backlog}`),
    );
  }
  if (!Number.isInteger(backlog) || backlog < 0) {
    return Promise.reject(
      new RangeError(`${where}: backlog must be a non-negative integer, got ${backlog}`),
    );
  }
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    return Promise.reject(
      new TypeError(
        `${where}: options must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`,
      ),
    );
  }
  // Its own keys: `host`, `port` or `tls` here would be overridden by `addr` (or not meant).
  const unknown = checkOptionKeys(options, LISTEN_KEYS, where);
  if (unknown !== null) return Promise.reject(unknown);
  // Errors of the checks listen() makes (port, path, reusePort, timeout …) name eventlet.listen.
  return listenAs({ ...options, ...t, backlog }, where);
}

/**
 * Open a client socket connected to `addr` (`[host, port]`, or a path for `AF_UNIX`). A switch
 * point: a kill or `Timeout` there closes the half-open connection.
 *
 * Source: eventlet's `eventlet.connect(addr, family, bind)`. Differs: binding the local end
 * (`bind`) is not supported (verdant's `createConnection` has no local address); pass `null`.
 * @param addr - the server's address
 * @param family - `'AF_INET'` (default), `'AF_INET6'` or `'AF_UNIX'`
 * @param bind - must be `null` or `undefined`
 * @returns the connected `Socket`
 * @throws TypeError for an address that does not fit `family` or a `bind` address;
 *   RangeError for a bad port (0 included: it means any free port only to listen); these
 *   messages start `eventlet.connect:`; ECONNREFUSED naming the address (all reject)
 * @example
 * ```ts
 * import { connect, listen } from 'verdant/eventlet';
 * const server = await listen(['127.0.0.1', 0]);
 * const [, port] = server.getsockname() as [string, number];
 * const sock = await connect(['127.0.0.1', port]);
 * await sock.sendall('hello');
 * sock.close();
 * server.close();
 * ```
 */
export function connect(
  addr: EventletAddress,
  family: AddressFamily = 'AF_INET',
  bind: null = null,
): Promise<Socket> {
  const where = 'eventlet.connect';
  const t = readTarget(addr, family, where);
  if (t instanceof TypeError) return Promise.reject(t);
  if (bind !== null && bind !== undefined) {
    return Promise.reject(
      new TypeError(`${where}: binding the local address is not supported, got ${String(bind)}`),
    );
  }
  return connectAs('path' in t ? t : [t.host, t.port], null, where);
}

/**
 * Run a server on the listening socket `sock`: each connection runs `handle(client, address)`
 * in a thread of a `GreenPool` of `concurrency` threads; the client connection is closed when
 * its handler ends, also while a `makefile()` file of it is still open (that file then rejects
 * with EBADF: a handler that hands the socket to another greenlet waits for it first). At `concurrency` running handlers the loop waits (the next connection waits in
 * the backlog). Resolves when a handler throws {@link StopServe} or the listening socket is
 * closed; rejects with the error of a handler that throws anything else. Other handlers go on
 * either way, and `sock` stays open.
 *
 * Blocks the calling greenlet, as eventlet's does: spawn it to go on. A switch point: a kill or
 * `Timeout` lands in the accept loop and ends it (running handlers go on, `sock` stays open).
 * Source: eventlet's `eventlet.serve(sock, handle, concurrency=1000)` and its
 * `tests/convenience_test.py`.
 * @param sock - a listening socket (from {@link listen})
 * @param handle - called as `handle(client, address)`; may be async
 * @param concurrency - the most handlers running at once (default 1000)
 * @throws TypeError for a `sock` that is not a verdant `Socket` or a `handle` that is not a
 *   function or a `concurrency` that is not a number; RangeError for a bad `concurrency`; a
 *   handler's error (all reject)
 * @example
 * ```ts
 * import { connect, listen, serve, spawn, StopServe } from 'verdant/eventlet';
 * import type { Socket } from 'verdant/socket';
 * async function echo(sock: Socket): Promise<void> {
 *   const data = await sock.recv(1024);
 *   await sock.sendall(data);
 *   throw new StopServe(); // one client only
 * }
 * const server = await listen(['127.0.0.1', 0]);
 * const [, port] = server.getsockname() as [string, number];
 * const done = spawn(serve, server, echo, 10);
 * const client = await connect(['127.0.0.1', port]);
 * await client.sendall('ping');
 * console.log(Buffer.from(await client.recv(1024)).toString()); // ping
 * await done.wait();
 * client.close();
 * server.close();
 * ```
 */
export function serve(sock: Socket, handle: ServeHandler, concurrency = 1000): Promise<void> {
  return guard(serveLoop(sock, handle, concurrency));
}

async function serveLoop(sock: Socket, handle: ServeHandler, concurrency: number): Promise<void> {
  const where = 'eventlet.serve';
  if (!(sock instanceof Socket)) {
    throw new TypeError(`${where}: sock must be a listening Socket, got ${typeof sock}`);
  }
  if (typeof handle !== 'function') {
    throw new TypeError(`${where}: handle must be a function, got ${typeof handle}`);
  }
  if (typeof concurrency !== 'number') {
    throw new TypeError(
      `${where}: concurrency must be a number of handlers, got ${typeof concurrency}`,
    );
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`${where}: concurrency must be an integer >= 1, got ${concurrency}`);
  }
  const pool = new GreenPool(concurrency);
  const stop = new AbortController();
  const checker = async (gt: GreenThread<unknown>, client: Socket): Promise<void> => {
    try {
      await gt.wait();
    } catch (err) {
      if (!(err instanceof GreenletExit) && !stop.signal.aborted) stop.abort(err);
    } finally {
      // The connection, not just this handle: a handler's makefile() file it did not close
      // would otherwise keep the connection open forever (as StreamServer's closeClient).
      client._closeConnection();
    }
  };
  for (;;) {
    let conn: [Socket, Address];
    try {
      if (stop.signal.aborted) throw stop.signal.reason;
      conn = await sock.accept({ signal: stop.signal });
    } catch (err) {
      if (err instanceof StopServe) return;
      if (sock.closed && !stop.signal.aborted) return;
      throw err;
    }
    const [client, address] = conn;
    let gt: GreenThread<unknown>;
    try {
      gt = await pool.spawn(handle, client, address);
    } catch (err) {
      client.close();
      throw err;
    }
    gt.link(checker, client);
  }
}

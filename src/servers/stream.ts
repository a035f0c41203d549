/**
 * `StreamServer`: a TCP, Unix or TLS server that runs `handle(socket, address)` in its own
 * greenlet for every connection (`verdant/server`). gevent's `gevent.server.StreamServer`.
 *
 * Design note — the accept loop and back-pressure. One loop greenlet accepts; with a `Pool`
 * it waits for a free slot *before* accepting, so a full pool leaves connections in the
 * kernel's backlog (gevent stops accepting the same way). A connection already in the
 * listener's backlog is taken and its handler spawned without a wait (`_acceptOne`,
 * `spawnHandlerNow`): a burst of connections costs no promise per connection (test:
 * "connections waiting in the backlog when the server starts each get their own handler…").
 * The client socket is closed when its handler ends — returns, throws or is killed — by a
 * quiet link (gevent's `do_close`), so no client can leak a socket: one that vanishes, sends
 * garbage, half-closes or stalls only ends its own handler, and `stop()` kills stalled ones
 * after its timeout. A connection accepted while the loop then waits for a slot (a pool shared
 * with other work took it) belongs to no handler yet: a kill of the loop there closes it (test:
 * "a connection accepted while the loop then waits for a slot …"). A failing handler is
 * reported by the hub and the server goes on; so is a failing `spawn` of a `Group` subclass (the
 * connection it was for is closed; test: "a spawn that fails is reported …"). So is a failed
 * accept (EMFILE when the process is out of file descriptors): the loop pauses 10 ms, doubling
 * up to 1 s while accepts keep failing, and goes on (gevent's `_do_read` delay); only EBADF,
 * EINVAL and ENOTSOCK end it (test: "a failed accept (EMFILE) is reported …"). Tests:
 * test/servers/stream.test.ts.
 *
 * @module
 */
import type { TlsOptions } from 'node:tls';
import { Cancellation } from '../core/errors.js';
import type { Greenlet } from '../core/greenlet.js';
import { getHub } from '../core/lowlevel.js';
import { checkListenOptions } from '../io/_connect.js';
import type { Address } from '../io/_errors.js';
import { listen, type Socket } from '../io/socket.js';
import { BaseServer, type BaseServerOptions, type Listener, MIN_DELAY } from './base.js';

/**
 * Closes a handler's client connection (its argument) once the handler has ended, also when a
 * file from `makefile()` is still open (gevent's `do_close`), and also when the handler wrapped
 * it in TLS (`wrapSocket`, STARTTLS): the TLS socket that owns the connection then is closed.
 */
function closeClient(g: Greenlet): void {
  (g.args[0] as Socket)._closeConnection();
}

/**
 * The body of a handler greenlet: `handle(client, address)`, called with the client socket as
 * the greenlet's one argument (no arguments array per connection) and the address read when it
 * starts (no tuple kept by an idle connection). A plain function that returns the handler's
 * result: no frame or promise of its own stays while the handler waits. Named as the handler,
 * so a greenlet shows (and reports) the handler's name.
 */
function handlerBody(handle: StreamHandler<never>): (client: Socket) => unknown {
  // The address is of the listener's kind (StreamAddress): a Unix listener's peers are {path}.
  const body = (client: Socket): unknown => handle(client, client._peerAddress() as never);
  Object.defineProperty(body, 'name', { value: handle.name });
  return body;
}

/**
 * A connection handler: runs in its own greenlet; the socket is closed when it ends. `address`
 * is the peer's, `A` (see {@link StreamAddress}): `[host, port]`, or `{path}` on a Unix socket.
 */
export type StreamHandler<A extends Address = Address> = (socket: Socket, address: A) => unknown;

/**
 * The peer address a handler of a server on listener `L` gets: `[host, port]` for a TCP or TLS
 * listener (`[host, port]`, `{host, port}`, `"host:port"`), `{path}` for a Unix one (`{path}`;
 * the path is `''`, as Node gives no name for the client end), and either for a listening
 * `Socket`, whose kind is known only when it runs.
 */
export type StreamAddress<L extends Listener = Listener> = L extends Socket
  ? Address
  : L extends {
        /** A Unix listener's path. */
        path: string;
      }
    ? {
        /** The peer's path: `''` (Node gives no name for a Unix client's end). */
        path: string;
      }
    : [host: string, port: number];

/** Options of {@link StreamServer}. */
export interface StreamServerOptions extends BaseServerOptions {
  /** Listen backlog. */
  backlog?: number;
  /** SO_REUSEPORT: needs Node ≥ 22.12 (or 23.1); on an older Node `start()` rejects with an Error. */
  reusePort?: boolean;
  /** TLS server options (`key`, `cert` …): handlers get TLS sockets, handshake done. */
  tls?: TlsOptions;
}

/**
 * A stream server: `handle(socket, address)` runs in its own greenlet for each connection;
 * the connection is closed when it returns, throws or is killed (gevent's `do_close`), also
 * when the handler upgraded it with `wrapSocket` (STARTTLS: the TLS socket is closed).
 *
 * A deliberate difference with gevent: the connection closes when the handler ends even while a
 * `makefile()` file of it is open, and that file then rejects with EBADF. gevent keeps the
 * socket open while a file references it (CPython's reference counting); JavaScript has nothing
 * to close a forgotten file, the common case, which would keep its connection open forever. A
 * handler that hands the socket or a file to another greenlet keeps the connection by waiting
 * for that greenlet (`await worker.join()`) before it returns.
 *
 * The listener's host: `''` (`['', port]`, `':port'`, `{port}`) binds every interface, as
 * gevent's `''` (Node's choice: `::`, which takes IPv4 too, or `0.0.0.0`).
 * @example
 * ```ts
 * import { StreamServer } from 'verdant/server';
 * import { createConnection } from 'verdant/socket';
 * const server = new StreamServer(['127.0.0.1', 0], async (conn) => {
 *   for (let d = await conn.recv(4096); d.length > 0; d = await conn.recv(4096)) await conn.sendall(d);
 * });
 * await server.start();
 * const sock = await createConnection(['127.0.0.1', server.serverPort!]);
 * await sock.sendall('hello');
 * console.log(Buffer.from(await sock.recv(4096)).toString()); // hello
 * sock.close();
 * await server.stop();
 * ```
 * @typeParam L - the listener's form, inferred from the constructor's first argument: it types
 *   the handler's `address` ({@link StreamAddress}), `[host, port]` for a TCP listener and
 *   `{path}` for a Unix one
 *
 * Follows gevent's `StreamServer` (`ssl_args` → `tls`; `spawn` as Pool, size or Group).
 */
export class StreamServer<L extends Listener = Listener> extends BaseServer {
  /** The option keys of {@link StreamServerOptions}; another key throws a TypeError. */
  protected static override readonly optionKeys: readonly string[] = [
    ...BaseServer.optionKeys,
    'backlog',
    'reusePort',
    'tls',
  ];
  readonly #body: (client: Socket) => unknown;
  readonly #opts: StreamServerOptions;

  /**
   * @param listener `[host, port]`, `"host:port"`, `{path}` or a listening `Socket`
   * @param handle called as `handle(socket, address)` in a new greenlet per connection
   * @throws TypeError/RangeError for a bad listener, handler or option (TypeError for an
   *   unknown option, naming it and the options, for
   *   `reusePort` that is not a boolean, `tls` that is not an object, `backlog` that is not a
   *   number; RangeError for a negative or fractional `backlog`); TypeError for a `Socket` that
   *   is not a listening stream socket (a UDP socket, a connection), and for
   *   `backlog`, `reusePort` or `tls` with a listening Socket (they configure the listener the
   *   server makes: give them to `listen()`)
   */
  constructor(
    listener: L,
    handle: StreamHandler<StreamAddress<L>>,
    options: StreamServerOptions = {},
  ) {
    super(listener, options, 'StreamServer');
    if (typeof handle !== 'function') {
      throw new TypeError(`StreamServer: handle must be a function, got ${typeof handle}`);
    }
    if ('socket' in this.listener) {
      // They configure the listener the server makes; a listening Socket is made already
      // (gevent's test__server.py test_backlog_is_not_accepted_for_socket).
      for (const key of ['backlog', 'reusePort', 'tls'] as const) {
        if (options[key] !== undefined) {
          throw new TypeError(
            `StreamServer: ${key} must be omitted when the listener is a listening Socket (give it to listen()), got ${key === 'tls' ? 'TLS options' : String(options[key])}`,
          );
        }
      }
    }
    const bad = checkListenOptions(options, 'StreamServer');
    if (bad !== null) throw bad;
    this.#body = handlerBody(handle);
    this.#opts = options;
  }

  protected async initSocket(): Promise<Address> {
    const l = this.listener;
    if ('socket' in l) this.socket = l.socket;
    else {
      const o = this.#opts;
      this.socket = await listen({
        ...l,
        ...(o.backlog !== undefined ? { backlog: o.backlog } : {}),
        ...(o.reusePort !== undefined ? { reusePort: o.reusePort } : {}),
        ...(o.tls !== undefined ? { tls: o.tls } : {}),
      });
    }
    return this.socket.getsockname();
  }

  protected startAccepting(): void {
    const sock = this.socket as Socket;
    const pool = this.pool;
    const body = this.#body;
    this.spawnLoop(async () => {
      let delay = MIN_DELAY;
      for (;;) {
        if (pool.full()) await pool.waitAvailable();
        let client: Socket;
        try {
          // A connection already in the backlog is taken without a wait (a burst of
          // connections costs no promise per connection); the address is the handler's.
          const c = sock._acceptOne();
          client = c instanceof Promise ? await c : c;
        } catch (e) {
          // A failed accept (EMFILE, ENFILE …): reported, then accepting resumes after a pause.
          const next = await this.pauseAfterFailure(e, 'accept', delay);
          if (next === null) return;
          delay = next;
          continue;
        }
        delay = MIN_DELAY;
        if (this.spawnHandlerNow(body, client, closeClient) === null) {
          try {
            await this.spawnHandler(body, [client], closeClient);
          } catch (e) {
            // Killed (stop) while waiting for a slot of a pool shared with other work, or the
            // pool's own spawn failed: no handler owns the client, so close it here rather than
            // leave its connection open.
            client.close();
            if (e instanceof Cancellation) throw e;
            // A failing spawn costs this connection only (gevent's test__server.py
            // test_error_in_spawn: reported, the connection closed, the server goes on).
            getHub().reportError(e, `${this.toString()} spawn`);
          }
        }
      }
    });
  }
}

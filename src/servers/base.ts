/**
 * `BaseServer`: what every verdant server shares — the listener forms, the `spawn` option
 * (`Pool`, a number, a `Group`, or nothing), the lifecycle (`start`, `serveForever`,
 * `stop({timeout})`, `close`, `started`, `closed`), `address`/`serverPort`, and the handler
 * greenlets' bookkeeping. gevent's `gevent.baseserver.BaseServer` is the model.
 *
 * Design note — how a subclass plugs in (StreamServer, DatagramServer, HttpServer, the backdoor).
 * A subclass overrides four protected methods; everything else is shared:
 * - `initSocket()` (async): create and bind the listener from `this.listener` (a
 *   {@link ListenerSpec}: `{host, port}`, `{path}`, or `{socket}` — a listening verdant `Socket`
 *   given by the user) and resolve the bound {@link Address}. Called once by `start()`.
 * - `startAccepting()`: begin serving. An accept-loop server spawns its loop with
 *   {@link BaseServer.spawnLoop}; a callback server (node:http) just starts routing requests.
 * - `stopAccepting()`: stop taking new work at once (never waits). The loop greenlet is killed.
 * - `closeSocket()`: close the listener (default: `this.socket?.close()`). Called by `close()`.
 * Each unit of work runs in a handler greenlet made by {@link BaseServer.spawnHandler}, a member
 * of `this.pool`: the pool's membership is a quiet link, so a handler that throws is still
 * reported by the hub (the server's bookkeeping does not count as "linked"), and the server goes
 * on. `spawnHandler(fn, args, onEnd)` runs `onEnd` from the hub when the handler has ended, by
 * return, throw or kill — a StreamServer closes the client socket there (gevent's `do_close`).
 *
 * Lifecycle invariants. `started` is true from `start()`/`serveForever()` until `stop()`/`close()`;
 * `closed` is true once the listener is closed (false before `start()`). `stop({timeout})` closes
 * the listener at once, lets live handlers finish for `timeout` ms (default 1000, gevent's
 * `stop_timeout`), kills what is left (waiting up to 1000 ms more) and resolves when every handler
 * has ended. `serveForever()` resolves once the server has stopped. Nothing here waits on Node
 * directly: handlers and the loop are greenlets, so kill and `Timeout` work everywhere.
 * Tests: test/servers/stream.test.ts ("stop() closes the listener at once…", "stop({timeout}) kills a handler…",
 * "serveForever() resolves once the server has stopped…"), test/servers/datagram.test.ts.
 *
 * @module
 */
import * as net from 'node:net';
import { getCurrent } from '../core/current.js';
import { Cancellation } from '../core/errors.js';
import { Greenlet } from '../core/greenlet.js';
import {
  checkOptionKeys,
  getHub,
  kQuietLink,
  type LinkEntry,
  quietLinkEntry,
} from '../core/lowlevel.js';
import { sleep } from '../core/sleep.js';
import { until } from '../core/until.js';
import { type Address, parseAddress } from '../io/_errors.js';
import { Socket } from '../io/socket.js';
import { Group, Pool } from '../pool/index.js';
import { Event } from '../sync/event.js';

/** A listener as the constructor takes it: `[host, port]`, `"host:port"`, `{path}`, `{host, port}` or a listening `Socket`. */
export type Listener =
  | [host: string, port: number]
  | string
  | {
      /** The Unix socket path to listen on. */
      path: string;
    }
  | {
      /**
       * The address to bind (omitted or `''`: every interface, as gevent's `''`; Node's
       * default, `::` where IPv6 is available, which takes IPv4 too, else `0.0.0.0`).
       */
      host?: string;
      /** The port to bind (0: any free port). */
      port: number;
    }
  | Socket;

/** The listener, checked: where to bind, or the socket to serve. */
export type ListenerSpec =
  | {
      /** The address to bind. */
      host: string;
      /** The port to bind (0: any free port). */
      port: number;
    }
  | {
      /** The Unix socket path to listen on. */
      path: string;
    }
  | {
      /** A listening socket to serve. */
      socket: Socket;
    };

/** What runs the handlers: a `Pool` (bounded: the server stops accepting while it is full), its size, or a `Group`. */
export type SpawnOption = Pool | Group | number | null | undefined;

/** Options every server takes. */
export interface BaseServerOptions {
  /** A `Pool`, a pool size (at least 1: 0 throws RangeError), or a `Group`; omitted: a new unbounded `Group`. */
  spawn?: SpawnOption;
}

/** Options of `stop()`. */
export interface StopOptions {
  /** How long live handlers may go on before they are killed (ms; default 1000). */
  timeout?: number | null;
}

/**
 * Accept (or receive) errors that end a server's loop (gevent's `BaseServer.fatal_errors`);
 * others are reported and pause it.
 */
const FATAL: ReadonlySet<unknown> = new Set<unknown>(['EBADF', 'EINVAL', 'ENOTSOCK']);
/** The first pause after a failed accept or receive, in ms (gevent's `min_delay`, 0.01 s). */
export const MIN_DELAY = 10;
/** The longest pause after failures in a row, in ms (gevent's `max_delay`, 1 s). */
const MAX_DELAY = 1000;

/** The keys of {@link StopOptions}. */
const STOP_KEYS: readonly string[] = ['timeout'];

/**
 * The `timeout` of `stop(opts)` (ms; default 1000); throws TypeError for options that are neither
 * an object nor a number and for a timeout that is not a number, RangeError for a negative or
 * NaN one, and for an unknown key (`{timout: 5}` was ignored: the default 1 s). @internal
 */
export function readStopTimeout(opts: unknown, where: string): number {
  if (opts !== undefined && opts !== null && typeof opts !== 'number' && typeof opts !== 'object') {
    throw new TypeError(
      `${where}: options must be {timeout} or a timeout in ms, got ${typeof opts === 'string' ? JSON.stringify(opts) : typeof opts}`,
    );
  }
  if (typeof opts === 'object' && opts !== null) {
    const unknown = checkOptionKeys(opts, STOP_KEYS, where);
    if (unknown !== null) throw unknown;
  }
  const timeout =
    typeof opts === 'number' ? opts : ((opts as StopOptions | null | undefined)?.timeout ?? 1000);
  if (typeof timeout !== 'number') {
    throw new TypeError(
      `${where}: timeout must be a number of ms, got ${timeout === null ? 'null' : typeof timeout}`,
    );
  }
  if (Number.isNaN(timeout) || timeout < 0) {
    throw new RangeError(`${where}: timeout must be a non-negative number of ms, got ${timeout}`);
  }
  return timeout;
}

/**
 * Parse a listener; throws TypeError/RangeError naming the problem. A `Socket` must be of the
 * server's kind: a listening stream socket (from `listen()`) for a stream server, a bound UDP
 * socket for a datagram server (found by the breaker: the wrong kind was taken, and the server
 * failed only once serving, reported as an error with `started` false). @internal
 */
export function parseListener(
  listener: unknown,
  where: string,
  kind: 'stream' | 'datagram' = 'stream',
): ListenerSpec {
  if (listener instanceof Socket) {
    if (listener.closed) throw new TypeError(`${where}: the listener socket is closed`);
    const h = listener._handle;
    if (kind === 'stream' && !(h instanceof net.Server)) {
      throw new TypeError(
        `${where}: the listener socket must be a listening stream socket (from listen()), got a ${listener.type} socket that is not listening`,
      );
    }
    if (kind === 'datagram') {
      if (listener.type !== 'udp4' && listener.type !== 'udp6') {
        throw new TypeError(
          `${where}: the listener socket must be a bound UDP socket, got a ${h instanceof net.Server ? 'listening ' : ''}${listener.type} socket`,
        );
      }
      if (!listener._bound) {
        throw new TypeError(
          `${where}: the listener socket must be a bound UDP socket (bind() it first, or give an address), got an unbound one`,
        );
      }
    }
    return { socket: listener };
  }
  // An empty host is every interface (gevent's ''): it stays '' and the listener lets Node
  // choose (`::` or `0.0.0.0`).
  const t = parseAddress(listener, where, '');
  if (t instanceof Error) throw t;
  return t.path !== undefined ? { path: t.path } : { host: t.host, port: t.port };
}

function makePool(spawn: unknown, where: string): Group {
  if (spawn === undefined || spawn === null) return new Group();
  if (spawn instanceof Group) return spawn;
  if (typeof spawn === 'number') {
    // A pool of 0 is always full: the server would accept nothing and answer no one.
    if (!Number.isInteger(spawn) || spawn < 1)
      throw new RangeError(`${where}: spawn must be a pool size of at least 1, got ${spawn}`);
    return new Pool(spawn);
  }
  throw new TypeError(
    `${where}: spawn must be a Pool, a Group or a pool size, got ${typeof spawn}`,
  );
}

/**
 * The generic server. Not used directly: `StreamServer`, `DatagramServer` and `HttpServer`
 * extend it (see the module's design note for what a subclass overrides).
 *
 * Follows gevent's `BaseServer` (`start`, `serve_forever`, `stop(timeout)`, `close`,
 * `started`, `closed`, `address`, `server_port`; `stop_timeout` is the `timeout` default).
 */
export abstract class BaseServer {
  /**
   * The option keys the constructor takes: another key throws a TypeError naming it and these
   * (a typo such as `{backlg: 5}` was ignored). A subclass that takes options of its own adds
   * their keys: `protected static override readonly optionKeys = [...StreamServer.optionKeys,
   * 'retries']`.
   */
  protected static readonly optionKeys: readonly string[] = ['spawn'];
  /** The listener as checked at construction. */
  protected readonly listener: ListenerSpec;
  /** The listening socket, once `initSocket()` made it (null for servers without one). */
  protected socket: Socket | null = null;
  /** Where handler greenlets run. */
  readonly pool: Group;
  #address: Address | null = null;
  #started = false;
  #closed = false;
  #stopped = new Event();
  #loop: Greenlet | null = null;
  #starting: Promise<void> | null = null;
  /** The greenlet whose start() makes the listener (its waits are that greenlet's). */
  #starter: unknown = null;
  #end: { onEnd: (g: Greenlet) => void; entry: LinkEntry } | null = null;

  constructor(
    listener: Listener,
    options: BaseServerOptions = {},
    where = 'Server',
    kind: 'stream' | 'datagram' = 'stream',
  ) {
    this.listener = parseListener(listener, where, kind);
    if (options === null || typeof options !== 'object') {
      throw new TypeError(
        `${where}: options must be an object, got ${options === null ? 'null' : typeof options}`,
      );
    }
    // The keys of the class being made (a subclass adds its own), named after it.
    const unknown = checkOptionKeys(
      options,
      (new.target as typeof BaseServer).optionKeys,
      new.target.name,
    );
    if (unknown !== null) throw unknown;
    this.pool = makePool(options.spawn, where);
  }

  /** Whether the server is serving: true from `start()` until `stop()`/`close()`. */
  get started(): boolean {
    return this.#started;
  }

  /** Whether the listener has been closed (false before `start()`). */
  get closed(): boolean {
    return this.#closed;
  }

  /** The bound address (`[host, port]` or `{path}`); before `start()`, the one asked for. */
  get address(): Address {
    if (this.#address !== null) return this.#address;
    const l = this.listener;
    if ('socket' in l) return l.socket.getsockname();
    if ('path' in l) return { path: l.path };
    return [l.host, l.port];
  }

  /** The bound port (useful with port 0), or `undefined` for a Unix socket. */
  get serverPort(): number | undefined {
    const a = this.address;
    return Array.isArray(a) ? a[1] : undefined;
  }

  /**
   * Bind (if needed) and start serving in the background; resolves once listening (a switch
   * point while it binds). Calling it again does nothing. A `stop()` or `close()` while it binds
   * wins: the start resolves and nothing is left listening. Another greenlet calling it while it
   * binds waits for that start (a kill or Timeout of its own lands there); when that start is
   * interrupted, it rejects with an `Error` saying so (the interruption as `cause`), never with
   * the other greenlet's `GreenletExit` or `Timeout`.
   * @throws EADDRINUSE (naming the address) and other bind errors; an Error after `close()`
   * @example
   * ```ts
   * import { StreamServer } from 'verdant/server';
   * const server = new StreamServer(['127.0.0.1', 0], (conn) => conn.sendall('hello\n'));
   * await server.start();
   * console.log('listening on', server.serverPort);
   * await server.stop();
   * ```
   */
  start(): Promise<void> {
    if (this.#closed)
      return Promise.reject(
        new Error('Server.start: the server was closed and cannot start again'),
      );
    this.#started = true;
    const shared = this.#starting;
    if (shared !== null) {
      if (getCurrent() === this.#starter) return shared;
      // Another greenlet's start, under way or done: a wait of ours (a kill or Timeout of ours
      // lands here), and its kill or Timeout is not ours to throw (found by the breaker: the
      // second caller got the first one's GreenletExit, and could not be killed meanwhile).
      return until(
        shared.catch((e: unknown) => {
          if (e instanceof Cancellation) {
            throw new Error(
              `Server.start: the start under way in another greenlet was interrupted (${e.name}); the server is closed`,
              { cause: e },
            );
          }
          throw e;
        }),
      );
    }
    this.#starter = getCurrent();
    this.#starting = this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    try {
      this.#address = await this.initSocket();
    } catch (e) {
      // stop()/close() ran while the listener was being made: a DatagramServer's bind then
      // fails with EBADF (its socket was closed under it); the start resolves, as a
      // StreamServer's does (found by the breaker: it waited forever).
      const closedMeanwhile = this.#closed && (e as { code?: unknown }).code === 'EBADF';
      this.#started = false;
      this.#closed = true;
      this.#stopped.set();
      // A start interrupted by a kill or Timeout: what initSocket made goes (a UDP socket whose
      // bind went on kept the process alive and answered nobody; found by the breaker).
      try {
        this.closeSocket();
      } catch {
        // Nothing was made: nothing to close.
      }
      if (closedMeanwhile) return;
      throw e;
    }
    if (this.#closed) {
      // stop()/close() ran while the listener was being made: it found none to close.
      this.closeSocket();
      return;
    }
    this.startAccepting();
  }

  /**
   * Start (if needed) and resolve once the server has stopped (`stop()` or `close()`). A switch
   * point: a kill or `Timeout` that lands there stops the server first — `stop({timeout})` in a
   * greenlet of its own, joined — then is thrown (gevent's `serve_forever`: `finally:
   * spawn(self.stop, timeout=stop_timeout).join()`), so killing the serving greenlet is a way to
   * shut the server down.
   * @param opts `{timeout}` or a number: the stop timeout in ms for that stop (gevent's
   *   `stop_timeout`; default 1000). Checked before the server starts: TypeError/RangeError.
   * @example
   * ```ts
   * import { sleep, spawn } from 'verdant';
   * import { StreamServer } from 'verdant/server';
   * const server = new StreamServer(['127.0.0.1', 0], (conn) => conn.sendall('hello\n'));
   * const serving = spawn(() => server.serveForever());
   * await sleep(100);
   * await serving.kill(); // the server stops: gevent's way of ending serve_forever
   * console.log(server.started, server.closed); // false true
   * ```
   */
  async serveForever(opts?: StopOptions | number | null): Promise<void> {
    const timeout = readStopTimeout(opts, `${this.constructor.name}.serveForever`);
    await this.start();
    try {
      await this.#stopped.wait();
    } finally {
      if (!this.#stopped.isSet()) await Greenlet.spawn(() => this.stop({ timeout })).join();
    }
  }

  /**
   * Stop listening at once; handlers go on (as gevent's `close`). Resolves once the listener
   * is closed; never waits for handlers. Calling it again does nothing.
   * @example
   * ```ts
   * import { StreamServer } from 'verdant/server';
   * const server = new StreamServer(['127.0.0.1', 0], (conn) => conn.sendall('hello\n'));
   * await server.start();
   * await server.close(); // no new connections; live ones finish on their own
   * console.log(server.closed); // true
   * ```
   */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#started = false;
    try {
      this.stopAccepting();
    } finally {
      this.closeSocket();
      this.#stopped.set();
    }
    return Promise.resolve();
  }

  /**
   * Graceful stop: close the listener at once, let live handlers finish for `timeout` ms
   * (default 1000), then kill the rest (their `finally` blocks run); resolves when every
   * handler has ended. A switch point.
   * @throws RangeError for a negative or NaN timeout, TypeError for a timeout that is not a
   *   number or options that are neither an object nor a number (rejects)
   *   (and TypeError for an unknown option key)
   * @example
   * ```ts
   * import { StreamServer } from 'verdant/server';
   * import { createConnection } from 'verdant/socket';
   * const server = new StreamServer(['127.0.0.1', 0], async (conn) => {
   *   await conn.recv(1); // waits for a request that never comes
   * });
   * await server.start();
   * const sock = await createConnection(['127.0.0.1', server.serverPort!]);
   * await server.stop({ timeout: 200 }); // the waiting handler is killed after 200 ms
   * console.log(await sock.recv(1)); // end of stream: Uint8Array(0)
   * sock.close();
   * ```
   */
  async stop(opts?: StopOptions | number | null): Promise<void> {
    const timeout = readStopTimeout(opts, 'Server.stop');
    await this.close();
    if (this.pool.size === 0) return;
    await this.pool.join({ timeout });
    if (this.pool.size > 0) await this.pool.kill({ block: true, timeout: 1000 });
  }

  // ---- what a subclass overrides ----

  /** Create and bind the listener; resolve its bound address. */
  protected abstract initSocket(): Promise<Address>;

  /** Begin serving (spawn the accept loop, or start routing callbacks). */
  protected abstract startAccepting(): void;

  /** Stop taking new work at once. The default kills the loop started by {@link spawnLoop}. */
  protected stopAccepting(): void {
    const g = this.#loop;
    this.#loop = null;
    if (g !== null) void g.kill({ block: false });
  }

  /** Close the listener. */
  protected closeSocket(): void {
    this.socket?.close();
  }

  // ---- helpers for subclasses ----

  /**
   * After a failed accept or receive of the loop: `null` when the loop ends quietly (it was
   * killed, or its socket closed); a fatal error (EBADF, EINVAL, ENOTSOCK) is thrown (it ends
   * the loop); any other is reported, then the loop pauses `delay` ms (a switch point: a kill
   * lands there) and gets the next pause, doubled up to a second (gevent's
   * `BaseServer._do_read`, `min_delay`, `max_delay`). Tests: test/servers/stream.test.ts "a failed accept (EMFILE) is reported …",
   * test/servers/datagram.test.ts.
   * @internal
   */
  protected async pauseAfterFailure(
    e: unknown,
    what: string,
    delay: number,
  ): Promise<number | null> {
    if (e instanceof Cancellation || (this.socket?.closed ?? true)) return null;
    if (FATAL.has((e as { code?: unknown }).code)) throw e;
    getHub().reportError(e, `${this.toString()} ${what}`);
    await sleep(delay);
    return Math.min(MAX_DELAY, delay * 2);
  }

  /**
   * Run `loop` as the server's accept loop (one greenlet, killed by `stopAccepting`). A failure
   * of the loop other than a cancellation or the listener's close is reported and the server
   * closes.
   */
  protected spawnLoop(loop: () => Promise<void>): void {
    this.#loop = Greenlet.spawn(async () => {
      try {
        await loop();
      } catch (e) {
        if (e instanceof Cancellation || this.#closed) return;
        getHub().reportError(e, `${this.toString()} accept loop`);
        void this.close();
      }
    });
  }

  /**
   * Spawn a handler greenlet `fn(...args)` in `this.pool`; `onEnd(greenlet)` (if given) runs
   * from the hub when it has ended, however it ended (one shared function serves every handler:
   * it finds what to close in `greenlet.args`). Waits for a free slot when the pool is full.
   */
  protected async spawnHandler<A extends unknown[]>(
    fn: (...args: A) => unknown,
    args: A,
    onEnd?: (g: Greenlet) => void,
  ): Promise<Greenlet> {
    const pool = this.pool;
    const proto = Object.getPrototypeOf(pool);
    if (onEnd === undefined || (proto !== Pool.prototype && proto !== Group.prototype)) {
      // A Group subclass may override spawn/add: go through them, and link onEnd on its own.
      const g = await pool.spawn(fn, ...args);
      if (onEnd !== undefined) g[kQuietLink](onEnd);
      return g;
    }
    if (!pool._takeSlot()) await pool._waitSlot(); // a kill lands here, holding no slot
    const g = new Greenlet(fn, ...args);
    pool._admitEntry(g, this.#endEntry(onEnd));
    g.start();
    return g;
  }

  /**
   * {@link BaseServer.spawnHandler} of a one-argument handler when it need not wait: the
   * greenlet, started, or null when the pool has no free slot now or is a `Group` subclass
   * (then call `spawnHandler`). No promise and no arguments array per connection.
   */
  protected spawnHandlerNow<X>(
    fn: (arg: X) => unknown,
    arg: X,
    onEnd: (g: Greenlet) => void,
  ): Greenlet | null {
    const pool = this.pool;
    const proto = Object.getPrototypeOf(pool);
    if ((proto !== Pool.prototype && proto !== Group.prototype) || !pool._takeSlot()) return null;
    const g = new Greenlet(fn, arg);
    pool._admitEntry(g, this.#endEntry(onEnd));
    g.start();
    return g;
  }

  /**
   * The one quiet link entry shared by every handler greenlet of this server: it ends the pool
   * membership, then runs `onEnd`. One link per handler and no link object per handler: a link
   * object and the array of two links were 128 bytes of every idle connection (issue 16).
   */
  #endEntry(onEnd: (g: Greenlet) => void): LinkEntry {
    const e = this.#end;
    if (e !== null && e.onEnd === onEnd) return e.entry;
    const pool = this.pool;
    const cb = (g: Greenlet): void => {
      pool._exit(g);
      onEnd(g);
    };
    const entry = quietLinkEntry(cb);
    this.#end = { onEnd, entry };
    return entry;
  }

  /** `<StreamServer 127.0.0.1:8000>`. */
  toString(): string {
    const a = this.address;
    return `<${this.constructor.name} ${Array.isArray(a) ? `${a[0]}:${a[1]}` : a.path}>`;
  }
}

/**
 * `DatagramServer`: a UDP server that runs `handle(data, address)` in its own greenlet for
 * every datagram (`verdant/server`); the handler answers with `server.sendto(data, address)`.
 * gevent's `gevent.server.DatagramServer`.
 *
 * Design note — one loop greenlet receives; with a `Pool` it waits for a free slot before
 * receiving, so a burst waits in the socket's queue (bounded; beyond it datagrams are dropped,
 * as the kernel drops them). Tests: test/servers/datagram.test.ts.
 *
 * @module
 */
import { Cancellation } from '../core/errors.js';
import { getHub, type WaitOptions } from '../core/lowlevel.js';
import type { Address, AddressInput } from '../io/_errors.js';
import { Socket } from '../io/socket.js';
import { BaseServer, type BaseServerOptions, type Listener, MIN_DELAY } from './base.js';

/** A datagram handler: runs in its own greenlet. */
export type DatagramHandler = (data: Uint8Array, address: [host: string, port: number]) => unknown;

/** Options of {@link DatagramServer}. */
export interface DatagramServerOptions extends BaseServerOptions {
  /** `'udp4'` (default) or `'udp6'`. */
  type?: 'udp4' | 'udp6';
}

/**
 * A UDP server: `handle(data, address)` runs in its own greenlet for each datagram.
 * @example
 * ```ts
 * import { DatagramServer } from 'verdant/server';
 * import { Socket } from 'verdant/socket';
 * const server = new DatagramServer(['127.0.0.1', 0], async (data, address) => {
 *   await server.sendto(data, address);
 * });
 * await server.start();
 * const udp = new Socket({ type: 'udp4' });
 * await udp.sendto('ping', ['127.0.0.1', server.serverPort!]);
 * const [reply] = await udp.recvfrom(1024, { timeout: 1000 });
 * console.log(Buffer.from(reply).toString()); // ping
 * udp.close();
 * await server.stop();
 * ```
 * Follows gevent's `DatagramServer`.
 */
export class DatagramServer extends BaseServer {
  /** The option keys of {@link DatagramServerOptions}; another key throws a TypeError. */
  protected static override readonly optionKeys: readonly string[] = [
    ...BaseServer.optionKeys,
    'type',
  ];
  readonly #handle: DatagramHandler;
  readonly #type: 'udp4' | 'udp6';

  /**
   * @param listener `[host, port]`, `"host:port"` or a bound UDP `Socket`
   * @param handle called as `handle(data, address)` in a new greenlet per datagram
   * @throws TypeError for a bad listener or handler, an unknown option (naming it and the
   *   options), a `Socket` that is not a bound UDP socket
   *   (a listening TCP socket, an unbound UDP socket), a `type` that is not a string;
   *   RangeError for a `type` other than `'udp4'` and `'udp6'`
   */
  constructor(listener: Listener, handle: DatagramHandler, options: DatagramServerOptions = {}) {
    super(listener, options, 'DatagramServer', 'datagram');
    if (typeof handle !== 'function') {
      throw new TypeError(`DatagramServer: handle must be a function, got ${typeof handle}`);
    }
    if ('path' in this.listener)
      throw new TypeError('DatagramServer: a UDP server needs [host, port], not a path');
    const type: unknown = options.type;
    if (type !== undefined && typeof type !== 'string') {
      throw new TypeError(
        `DatagramServer: type must be 'udp4' or 'udp6', got ${type === null ? 'null' : typeof type}`,
      );
    }
    if (type !== undefined && type !== 'udp4' && type !== 'udp6') {
      throw new RangeError(`DatagramServer: type must be 'udp4' or 'udp6', got '${type}'`);
    }
    this.#handle = handle;
    this.#type =
      options.type ??
      (typeof (this.listener as { host?: string }).host === 'string' &&
      (this.listener as { host: string }).host.includes(':')
        ? 'udp6'
        : 'udp4');
  }

  protected async initSocket(): Promise<Address> {
    const l = this.listener;
    if ('socket' in l) this.socket = l.socket;
    else {
      const s = new Socket({ type: this.#type });
      this.socket = s;
      await s.bind(l as { host: string; port: number });
    }
    return this.socket.getsockname();
  }

  protected startAccepting(): void {
    const sock = this.socket as Socket;
    const pool = this.pool;
    this.spawnLoop(async () => {
      let delay = MIN_DELAY;
      for (;;) {
        if (pool.full()) await pool.waitAvailable();
        let d: [Uint8Array, [string, number]];
        try {
          d = await sock._serveRecvfrom(65536); // the socket's own timeout does not apply
        } catch (e) {
          // A failed receive: reported, then receiving resumes after a pause, as StreamServer's
          // failed accept.
          const next = await this.pauseAfterFailure(e, 'recvfrom', delay);
          if (next === null) return;
          delay = next;
          continue;
        }
        delay = MIN_DELAY;
        try {
          await this.spawnHandler(this.#handle, d);
        } catch (e) {
          if (e instanceof Cancellation) throw e;
          // A failing spawn costs this datagram only (gevent's test_error_in_spawn).
          getHub().reportError(e, `${this.toString()} spawn`);
        }
      }
    });
  }

  /**
   * Send `data` to `address` from the server's socket (a handler's answer): `Socket.sendto`,
   * whose errors here name `DatagramServer.sendto`. A switch point (a kill or `Timeout` lands
   * there); the `timeout` option rejects with SocketTimeout.
   * @throws (rejects) an Error when the server was never started; EBADF when it is stopped or
   *   closed; the errors of `Socket.sendto` (bad data, address or options)
   */
  sendto(
    data: ArrayBufferView | ArrayBuffer | string,
    address: AddressInput,
    opts?: WaitOptions | number | null,
  ): Promise<number> {
    const s = this.socket;
    if (s === null)
      return Promise.reject(new Error('DatagramServer.sendto: the server is not started'));
    return s._sendto('DatagramServer.sendto', data, address, opts);
  }
}

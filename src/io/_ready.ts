/**
 * Readiness waits: `waitRead`, `waitWrite`, `waitReadwrite` and the wait under `select`. One Waiter watches
 * several sockets at once through their watcher sets; the first change that makes one of them
 * ready wakes it, and every watcher is removed when the wait ends (woken, killed, timed out).
 *
 * Design note — readiness takes nothing. A readiness wait only looks: it consumes no byte,
 * connection or datagram, so an interrupted one has nothing to hand back, and two greenlets
 * waiting for the same socket are both woken. Tests: test/io/select.test.ts.
 *
 * @module
 */
import {
  ioEnded,
  ioStarted,
  NONE,
  readWaitOptions,
  rejectWait,
  Waiter,
  type WaitOptions,
  type WaitOwner,
  waitArgs,
} from '../core/lowlevel.js';
import { askedForever, badFd, throwSocketTimeout } from './_errors.js';
import type { Readiness, Socket } from './socket.js';

/** One socket and what is waited for. */
export interface Watch {
  io: Readiness;
  write: boolean;
  /** Wait for an error only (select's xlist): bytes arriving do not make it ready. */
  error?: true;
}

/** Whether `w` is ready now: readable (or at EOF, or failed), writable, or failed (`error`). */
export function isReady(w: Watch): boolean {
  if (w.error === true) return hasFailed(w.io);
  return w.write ? w.io.writable || w.io.error !== null : w.io.readable;
}

/** Whether a socket holds an error, or was closed under the wait (select's "errored"). */
export function hasFailed(io: Readiness): boolean {
  return io.error !== null || io.closed;
}

class ReadyWait implements WaitOwner {
  readonly w: Waiter<void>;
  done = false;
  readonly watches: Watch[];
  constructor(watches: Watch[], onTimeout: (() => unknown) | null) {
    this.watches = watches;
    this.w = new Waiter<void>(this, onTimeout ?? throwSocketTimeout);
    for (const x of watches) {
      if (x.io.watchers === null) x.io.watchers = new Set();
      x.io.watchers.add(this.check);
    }
  }

  readonly check = (): void => {
    if (this.done) return;
    for (const x of this.watches) {
      if (isReady(x)) {
        this.#finish();
        this.w.wake(undefined);
        return;
      }
    }
  };

  #finish(): void {
    this.done = true;
    ioEnded(this.w.hub);
    for (const x of this.watches) x.io.watchers?.delete(this.check);
  }

  abortWait(_w: Waiter, _held: boolean): void {
    if (!this.done) this.#finish();
  }
}

/**
 * Wait until one of `watches` is ready. Resolves at once (not a wait) when one already is.
 * `onTimeout` decides what the `timeout` elapsing does (default: SocketTimeout).
 * @internal
 */
export function waitReady(
  watches: Watch[],
  timeout: number | null,
  signal: AbortSignal | null,
  onTimeout: (() => unknown) | null = null,
): Promise<void> {
  for (const x of watches) if (isReady(x)) return Promise.resolve();
  const rw = new ReadyWait(watches, onTimeout);
  ioStarted(rw.w.hub);
  return rw.w.start(timeout, signal);
}

/** `write`: false (readable), true (writable) or 'either' (waitReadwrite). */
function one(sock: Socket, write: boolean | 'either', opts: unknown, where: string): Promise<void> {
  const err = readWaitOptions(opts, where);
  if (err !== NONE) return rejectWait(err);
  const { timeout, signal } = waitArgs;
  if (
    sock === null ||
    typeof sock !== 'object' ||
    typeof (sock as { _readiness?: unknown })._readiness !== 'function'
  ) {
    return Promise.reject(
      new TypeError(
        `${where}: sock must be a verdant Socket, got ${sock === null ? 'null' : typeof sock}`,
      ),
    );
  }
  let io: Readiness;
  try {
    io = sock._readiness();
  } catch (e) {
    return Promise.reject(e);
  }
  if (sock.closed) return Promise.reject(badFd(where));
  return waitReady(
    write === 'either'
      ? [
          { io, write: false },
          { io, write: true },
        ]
      : [{ io, write }],
    timeout ?? (askedForever(opts) ? null : sock.gettimeout()),
    signal,
  );
}

/**
 * Wait until `sock` can be read without waiting: bytes are buffered, the peer ended, an error
 * is pending, or (listening) a connection is queued. Takes nothing. A switch point; the
 * `timeout` option rejects with SocketTimeout. A `close()` of the socket by another greenlet
 * ends the wait too: it resolves (as gevent's `wait_read` returns), and the next call on the
 * socket rejects with EBADF. Rejects with EBADF when the socket is closed already.
 * @example
 * ```ts
 * import { StreamServer } from 'verdant/server';
 * import { createConnection, waitRead } from 'verdant/socket';
 * const server = new StreamServer(['127.0.0.1', 0], async (conn) => {
 *   await conn.sendall('hello\n');
 * });
 * await server.start();
 * const sock = await createConnection(['127.0.0.1', server.serverPort!]);
 * await waitRead(sock, { timeout: 1000 });
 * const data = await sock.recv(4096); // does not wait now
 * console.log(data.length); // 6
 * sock.close();
 * await server.stop();
 * ```
 * Follows gevent's `wait_read` (which takes a file descriptor; this takes the socket).
 */
export function waitRead(sock: Socket, opts?: WaitOptions | number | null): Promise<void> {
  return one(sock, false, opts, 'waitRead');
}

/**
 * Wait until `sock` accepts writes without waiting for `'drain'`. A switch point; the
 * `timeout` option rejects with SocketTimeout.
 * @example
 * ```ts
 * import { createConnection, listen, waitWrite } from 'verdant/socket';
 * const server = await listen({ host: '127.0.0.1', port: 0 });
 * const sock = await createConnection(server.getsockname());
 * await waitWrite(sock);
 * console.log('writable');
 * sock.close();
 * server.close();
 * ```
 * Follows gevent's `wait_write`.
 */
export function waitWrite(sock: Socket, opts?: WaitOptions | number | null): Promise<void> {
  return one(sock, true, opts, 'waitWrite');
}

/**
 * Wait until `sock` can be read or written without waiting: whichever of {@link waitRead} and
 * {@link waitWrite} would return first. Takes nothing; resolves at once (no switch) when it
 * already is. A switch point otherwise: a kill or `Timeout` lands there (nothing to lose); the
 * `timeout` option (or the socket's timeout) rejects with SocketTimeout; `close()` in another
 * greenlet ends it.
 * @param sock a verdant Socket
 * @param opts `{timeout, signal}` or a timeout in ms
 * @throws TypeError when `sock` is not a verdant Socket; EBADF once it is closed (rejects)
 * @example
 * ```ts
 * import { createConnection, listen, waitReadwrite } from 'verdant/socket';
 * const server = await listen({ host: '127.0.0.1', port: 0 });
 * const sock = await createConnection(server.getsockname());
 * await waitReadwrite(sock, { timeout: 1000 }); // writable at once
 * sock.close();
 * server.close();
 * ```
 * Follows gevent's `wait_readwrite` (which takes a file descriptor; this takes the socket).
 */
export function waitReadwrite(sock: Socket, opts?: WaitOptions | number | null): Promise<void> {
  return one(sock, 'either', opts, 'waitReadwrite');
}

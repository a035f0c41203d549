/**
 * The listening side of a verdant `Socket`: Node's `net.Server` (or `tls.Server`) feeds a
 * backlog of accepted connections; `accept()` takes the oldest or parks a {@link Waiter}.
 *
 * Design note — nothing is lost. A connection arriving while an acceptor waits wakes it
 * holding that connection; when a kill or `Timeout` lands before it resumes, `abortWait(w,
 * true)` puts the connection back at the head of the backlog (or hands it to the next acceptor),
 * so the next `accept()` gets it (the queue is an {@link Arrivals}); connections handed back
 * together keep the order they came in. Connections still in the backlog when the listener closes are
 * closed (as the kernel drops its backlog). Tests: test/io/listener.test.ts.
 *
 * @module
 */
import type { Server } from 'node:net';
import { ioEnded } from '../core/lowlevel.js';
import { Watched } from './_arrivals.js';
import { badFd } from './_errors.js';

/** One accepted connection, already wrapped (any type the Socket layer chooses). */
export interface Closable {
  close(): void;
}

/** The accept machinery of one listening socket. @internal */
export class ListenerIO<C extends Closable> extends Watched<C> {
  readonly server: Server;
  readonly backlog: C[] = [];
  /**
   * How many connections at the head of the backlog interrupted acceptors handed back: the next
   * one handed back goes behind them, so acceptors woken together and killed together leave
   * the connections in the order they came (each went to the front, reversing them).
   */
  #back = 0;
  closed = false;
  /** A failed accept no accept() has been told of yet (see the constructor); taken by {@link ListenerIO.takeError}. */
  error: Error | null = null;

  constructor(server: Server) {
    super();
    this.server = server;
    // Once listening, Node's server emits 'error' only for a failed accept (EMFILE, ENFILE …)
    // and goes on listening: as Python's accept raises it once and the next one tries again,
    // the oldest waiting accept gets it, else the next accept() does (`error`, then cleared).
    // It was kept for every later accept, so a server hitting its fd limit once never accepted
    // again (found by the breaker).
    server.on('error', (err: Error) => {
      const w = this.shiftLive();
      if (w !== null) {
        ioEnded(w.hub);
        w.wakeError(err);
      } else if (this.error === null) this.error = err;
      this.notify();
    });
  }

  /** The oldest connection of the backlog, taken; undefined when it is empty. */
  take(): C | undefined {
    const c = this.backlog.shift();
    if (this.#back > 0) this.#back--;
    return c;
  }

  /** The failed accept to report to this accept() (then forgotten), or null. */
  takeError(): Error | null {
    const e = this.error;
    this.error = null;
    return e;
  }

  /** An interrupted acceptor's connection goes back to the head of the backlog. */
  override handBack(conn: C): void {
    this.offer(conn, true);
  }

  /** A new connection (or one an interrupted acceptor handed back, `front`). */
  offer(conn: C, front = false): void {
    if (this.closed) {
      conn.close();
      return;
    }
    if (this.deliver(conn)) return;
    if (front) this.backlog.splice(this.#back++, 0, conn);
    else this.backlog.push(conn);
    this.notify();
  }

  get readable(): boolean {
    return this.backlog.length > 0 || this.closed || this.error !== null;
  }

  get writable(): boolean {
    return false;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.close();
    this.#back = 0;
    for (const c of this.backlog.splice(0)) c.close();
    this.failAll(() => badFd('Socket.accept', true));
    this.notify();
  }
}

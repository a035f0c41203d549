/**
 * The listening side of a verdant `Socket`: Node's `net.Server` (or `tls.Server`) feeds a
 * backlog of accepted connections; `accept()` takes the oldest or parks a {@link Waiter}.
 *
 * Design note — nothing is lost. A connection arriving while an acceptor waits wakes it
 * holding that connection; when a kill or `Timeout` lands before it resumes, `abortWait(w,
 * true)` puts the connection back at the head of the backlog (or hands it to the next acceptor),
 * so the next `accept()` gets it (the queue is a {@link Backlog}, as a UDP socket's);
 * connections handed back together keep the order they came in. Connections still in the
 * backlog when the listener closes are closed (as the kernel drops its backlog). Tests:
 * test/io/listener.test.ts.
 *
 * @module
 */
import type { Server } from 'node:net';
import { Backlog } from './_arrivals.js';
import { badFd } from './_errors.js';

/** One accepted connection, already wrapped (any type the Socket layer chooses). */
export interface Closable {
  close(): void;
}

/** The accept machinery of one listening socket. @internal */
export class ListenerIO<C extends Closable> extends Backlog<C> {
  readonly server: Server;

  constructor(server: Server) {
    super();
    this.server = server;
    // Once listening, Node's server emits 'error' only for a failed accept (EMFILE, ENFILE …)
    // and goes on listening: as Python's accept raises it once and the next one tries again,
    // the oldest waiting accept gets it, else the next accept() does (`error`, then cleared).
    // It was kept for every later accept, so a server hitting its fd limit once never accepted
    // again (found by the breaker).
    server.on('error', (err: Error) => this.fail(err));
  }

  /** A connection nobody will accept (the listener is closed) is closed, as the kernel drops it. */
  override discard(conn: C): void {
    conn.close();
  }

  get writable(): boolean {
    return false;
  }

  close(): void {
    if (this.closed) return;
    const backlog = this.shut();
    this.server.close();
    for (const c of backlog) c.close();
    this.failAll(() => badFd('Socket.accept', true));
    this.notify();
  }
}

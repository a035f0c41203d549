/**
 * The listening side of a verdant `Socket`: Node's `net.Server` (or `tls.Server`) feeds a
 * backlog of accepted connections; `accept()` takes the oldest or parks a {@link Waiter}.
 *
 * Design note — nothing is lost. A connection arriving while an acceptor waits wakes it
 * holding that connection; when a kill or `Timeout` lands before it resumes, `abortWait(w,
 * true)` puts the connection back at the head of the backlog (or hands it to the next acceptor),
 * so the next `accept()` gets it. Connections still in the backlog when the listener closes are
 * closed (as the kernel drops its backlog). Tests: test/io/listener.test.ts.
 *
 * @module
 */
import type { Server } from 'node:net';
import { ioEnded, ioStarted, Waiter, WaitList } from '../core/lowlevel.js';
import { badFd, throwSocketTimeout } from './_errors.js';

/** One accepted connection, already wrapped (any type the Socket layer chooses). */
export interface Closable {
  close(): void;
}

class Acceptors<C extends Closable> extends WaitList {
  readonly io: ListenerIO<C>;
  constructor(io: ListenerIO<C>) {
    super();
    this.io = io;
  }
  override abortWait(w: Waiter, held: boolean): void {
    if (!held) {
      this.remove(w);
      ioEnded(w.hub);
      return;
    }
    this.io.offer(w.value as C, true);
  }
}

/** The accept machinery of one listening socket. @internal */
export class ListenerIO<C extends Closable> {
  readonly server: Server;
  readonly backlog: C[] = [];
  readonly acceptors: Acceptors<C>;
  closed = false;
  error: Error | null = null;
  watchers: Set<() => void> | null = null;

  constructor(server: Server) {
    this.server = server;
    this.acceptors = new Acceptors(this);
    server.on('error', (err: Error) => {
      if (this.error === null) this.error = err;
      let w = this.acceptors.shift();
      while (w !== null) {
        ioEnded(w.hub);
        w.wakeError(err);
        w = this.acceptors.shift();
      }
      this.notify();
    });
  }

  /** A new connection (or one an interrupted acceptor handed back, `front`). */
  offer(conn: C, front = false): void {
    if (this.closed) {
      conn.close();
      return;
    }
    const w = this.acceptors.shiftLive();
    if (w !== null) {
      ioEnded(w.hub);
      w.wake(conn);
      return;
    }
    if (front) this.backlog.unshift(conn);
    else this.backlog.push(conn);
    this.notify();
  }

  get readable(): boolean {
    return this.backlog.length > 0 || this.closed || this.error !== null;
  }

  get writable(): boolean {
    return false;
  }

  /** Park an acceptor (the backlog is empty). */
  park(timeout: number | null, signal: AbortSignal | null): Promise<C> {
    const w = new Waiter<C>(this.acceptors, throwSocketTimeout);
    this.acceptors.push(w);
    ioStarted(w.hub);
    return w.start(timeout, signal);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.close();
    for (const c of this.backlog.splice(0)) c.close();
    let w = this.acceptors.shift();
    while (w !== null) {
      ioEnded(w.hub);
      w.wakeError(badFd('Socket.accept', true));
      w = this.acceptors.shift();
    }
    this.notify();
  }

  notify(): void {
    const ws = this.watchers;
    if (ws === null || ws.size === 0) return;
    for (const cb of [...ws]) cb();
  }
}

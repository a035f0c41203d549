/**
 * The datagram side of a verdant `Socket` (UDP over `node:dgram`): a bounded queue of received
 * datagrams; `recvfrom()` takes the oldest or parks a {@link Waiter}.
 *
 * Design note — nothing is lost, bounded. A datagram arriving while a receiver waits wakes it
 * holding that datagram; a kill or `Timeout` landing before it resumes puts it back at the head
 * of the queue (or hands it to the next receiver). The queue keeps at most
 * {@link MAX_QUEUED} datagrams: beyond that new ones are dropped, as a full kernel buffer drops
 * them. Tests: test/io/udp.test.ts.
 *
 * @module
 */
import type { Socket as DgramSocket, RemoteInfo } from 'node:dgram';
import { ioEnded, ioStarted, Waiter, WaitList } from '../core/lowlevel.js';
import { badFd, throwSocketTimeout } from './_errors.js';

/** Datagrams kept unread before new ones are dropped. */
export const MAX_QUEUED = 4096;

/** One received datagram and who sent it. */
export type Datagram = [data: Uint8Array, address: [host: string, port: number]];

class Receivers extends WaitList {
  readonly io: DatagramIO;
  constructor(io: DatagramIO) {
    super();
    this.io = io;
  }
  override abortWait(w: Waiter, held: boolean): void {
    if (!held) {
      this.remove(w);
      ioEnded(w.hub);
      return;
    }
    this.io.offer(w.value as Datagram, true);
  }
}

/** The receive machinery of one UDP socket. @internal */
export class DatagramIO {
  readonly sock: DgramSocket;
  readonly queue: Datagram[] = [];
  readonly receivers: Receivers;
  closed = false;
  error: Error | null = null;
  /** Bound (explicitly, or by a first send). */
  bound = false;
  watchers: Set<() => void> | null = null;

  constructor(sock: DgramSocket) {
    this.sock = sock;
    this.receivers = new Receivers(this);
    sock.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
      this.offer([msg, [rinfo.address, rinfo.port]]);
    });
    sock.on('listening', () => {
      this.bound = true;
    });
    sock.on('error', (err: Error) => {
      if (this.error === null) this.error = err;
      let w = this.receivers.shift();
      while (w !== null) {
        ioEnded(w.hub);
        w.wakeError(err);
        w = this.receivers.shift();
      }
      this.notify();
    });
  }

  offer(d: Datagram, front = false): void {
    if (this.closed) return;
    const w = this.receivers.shiftLive();
    if (w !== null) {
      ioEnded(w.hub);
      w.wake(d);
      return;
    }
    if (front) this.queue.unshift(d);
    else if (this.queue.length < MAX_QUEUED) this.queue.push(d);
    this.notify();
  }

  get readable(): boolean {
    return this.queue.length > 0 || this.closed || this.error !== null;
  }

  get writable(): boolean {
    return true;
  }

  park(timeout: number | null, signal: AbortSignal | null): Promise<Datagram> {
    const w = new Waiter<Datagram>(this.receivers, throwSocketTimeout);
    this.receivers.push(w);
    ioStarted(w.hub);
    return w.start(timeout, signal);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    try {
      this.sock.close();
    } catch {
      // never bound: nothing to close
    }
    let w = this.receivers.shift();
    while (w !== null) {
      ioEnded(w.hub);
      w.wakeError(badFd('Socket.recvfrom', true));
      w = this.receivers.shift();
    }
    this.notify();
  }

  notify(): void {
    const ws = this.watchers;
    if (ws === null || ws.size === 0) return;
    for (const cb of [...ws]) cb();
  }
}

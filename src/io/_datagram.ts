/**
 * The datagram side of a verdant `Socket` (UDP over `node:dgram`): a bounded queue of received
 * datagrams; `recvfrom()` takes the oldest or parks a {@link Waiter}.
 *
 * Design note — nothing is lost, bounded. A datagram arriving while a receiver waits wakes it
 * holding that datagram; a kill or `Timeout` landing before it resumes puts it back at the head
 * of the queue (or hands it to the next receiver): the receivers' queue is a {@link Backlog}, as
 * a listener's. The queue keeps at most {@link MAX_QUEUED} datagrams: beyond that new ones are
 * dropped, as a full kernel buffer drops them. Tests: test/io/udp.test.ts.
 *
 * @module
 */
import type { Socket as DgramSocket, RemoteInfo } from 'node:dgram';
import { Backlog } from './_arrivals.js';
import { badFd } from './_errors.js';

/** Datagrams kept unread before new ones are dropped. */
export const MAX_QUEUED = 4096;

/** One received datagram and who sent it. */
export type Datagram = [data: Uint8Array, address: [host: string, port: number]];

/** The receive machinery of one UDP socket. @internal */
export class DatagramIO extends Backlog<Datagram> {
  readonly sock: DgramSocket;
  /** Bound (explicitly, or by a first send). */
  bound = false;
  /**
   * The `bind` and `sendto` calls in flight, each as the function that fails it: once the
   * socket is closed Node never calls them back, so `close()` fails them with EBADF (else they
   * waited forever, counted as I/O in flight). Null while none is in flight.
   */
  inFlight: Set<() => void> | null = null;

  constructor(sock: DgramSocket) {
    super(MAX_QUEUED);
    this.sock = sock;
    sock.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
      this.offer([msg, [rinfo.address, rinfo.port]]);
    });
    sock.on('listening', () => {
      this.bound = true;
    });
    // Node's dgram reports a failed receive (recvmsg) here and goes on receiving: as Python's
    // recvfrom raises it once and the next one tries again, the oldest waiting recvfrom gets
    // it, else the next recvfrom does (`error`, then cleared). It was kept for every later call,
    // so one failed receive ended a DatagramServer for good (found by the breaker).
    sock.on('error', (err: Error) => this.fail(err));
  }

  get writable(): boolean {
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.shut();
    try {
      this.sock.close();
    } catch {
      // never bound: nothing to close
    }
    this.failAll(() => badFd('Socket.recvfrom', true));
    const calls = this.inFlight;
    this.inFlight = null;
    if (calls !== null) for (const fail of calls) fail();
    this.notify();
  }

  /**
   * Track a `bind`/`sendto` in flight until its callback: `fail` ends its wait with EBADF when
   * the socket closes first. Returns the function that untracks it (call it from the callback).
   */
  track(fail: () => void): () => void {
    if (this.inFlight === null) this.inFlight = new Set();
    const calls = this.inFlight;
    calls.add(fail);
    return () => {
      calls.delete(fail);
    };
  }
}

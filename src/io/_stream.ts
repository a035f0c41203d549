/**
 * The stream side of a verdant `Socket` (TCP, Unix, TLS): a read buffer fed by Node's `'data'`
 * events, FIFO lists of readers and writers, and readiness watchers for `waitRead`/`select`.
 * Every wait is a {@link Waiter} of the door (core/lowlevel.ts), not an `until` of a promise:
 * a `recv` that finds no bytes parks one Waiter; the `'data'` event wakes it with the bytes.
 *
 * Design note — nothing is lost, and bounded read-ahead.
 * - A reader is woken *holding* its bytes (taken from the buffer when woken). When a kill or
 *   `Timeout` lands before it resumes, `abortWait(w, true)` puts them back at the head of the
 *   buffer and serves the next reader: the next `recv` gets them, in order. Readers interrupted
 *   together (woken by one chunk, then all killed) put theirs back behind those handed back before
 *   and not taken since, so the bytes keep the order they arrived in. A `recvInto` reader
 *   hands back a copy of what it wrote into the caller's array.
 * - The buffer holds at most about {@link READ_AHEAD} bytes (256 KiB): above that the Node
 *   socket is paused, and resumed when a reader takes it below. A reader served from the buffer
 *   without waiting goes through the hub once it has taken {@link YIELD_EVERY} bytes (64 KiB)
 *   that way: its next read parks and is woken at once, so a greenlet that drains a fast socket
 *   lets the others run at least every 64 KiB.
 * - `close()` (of the Socket) wakes every reader and writer with EBADF; the peer's end of
 *   stream wakes readers with an empty array and does not end our writing side (half-close).
 * - A wait counts as I/O in flight (`ioStarted`) from park to wake or interruption.
 * Tests: test/io/stream.conformance.ts ("a recv woken by bytes and killed before it resumes loses nothing…",
 * "readers woken by one chunk and killed together hand their bytes back in the order they arrived",
 * "a kill lands at recv (cancel point)…", "bounded read-ahead…").
 *
 * @module
 */
import type { Socket as NodeSocket } from 'node:net';
import { ioEnded, type Waiter } from '../core/lowlevel.js';
import { Arrivals } from './_arrivals.js';
import { badFd, coded } from './_errors.js';

/** Pause the Node socket when this many bytes are buffered and unread. */
export const READ_AHEAD = 256 * 1024;
/** A reader served from the buffer yields to the hub after this many bytes. */
export const YIELD_EVERY = 64 * 1024;
/** `sendall` writes in chunks of this size. */
export const WRITE_CHUNK = 64 * 1024;
/**
 * `sendall` waits for `'drain'` once Node holds this many of its bytes unsent: a wait per
 * 64 KiB chunk made a bulk transfer stall on a drain cycle every 64 KiB (1 GiB took 1.6× a
 * piped node:net pair).
 */
export const WRITE_AHEAD = 1024 * 1024;

const EMPTY = new Uint8Array(0);
/** StreamIO flags. */
const EOF = 1;
const CLOSED = 2;
/** The Node socket is paused (read-ahead full). */
const PAUSED = 4;
/** Interrupted readers handed back bytes that are still at the buffer's head ({@link handedBack}). */
const BACK = 8;
/**
 * How many bytes at the head of a stream's buffer interrupted readers handed back and nobody has
 * taken since, for the streams flagged BACK: the next bytes handed back go behind them, so
 * readers interrupted together (two greenlets in `recv` killed at once, a `Promise.all` of two)
 * leave the bytes in the order they arrived. Rare: a map, not a field of every connection.
 */
const handedBack = new WeakMap<StreamIO, number>();
/** The buffer of every socket with nothing unread (never written to): no array per idle socket. */
const NO_CHUNKS: Uint8Array[] = [];

/** What a reader asks for: at most this many bytes, or bytes copied into this array. */
type ReadRequest = number | Uint8Array;

/** The StreamIO of a Node socket: one shared listener per event instead of closures per socket. */
const kIO: unique symbol = Symbol('verdant.streamIO');
type Tagged = NodeSocket & { [kIO]: StreamIO };
function onData(this: Tagged, chunk: Buffer): void {
  this[kIO]._onData(chunk);
}
/**
 * Node's own `'end'` listener of every net.Socket (`onReadableStreamEnd`, which shuts our side
 * when half-open is off). {@link StreamIO} takes its place and {@link onEnd} calls it first:
 * with two listeners the event holds an array, 104 bytes of every idle connection (issue 16).
 */
let nodeOnEnd: ((this: NodeSocket) => void) | null = null;
function onEnd(this: Tagged): void {
  nodeOnEnd?.call(this);
  this[kIO]._onEnd();
}

/** Install {@link onEnd} in place of Node's own listener (when it is the only one). */
function listenEnd(sock: NodeSocket): void {
  const ends = sock.rawListeners('end');
  const own = ends[0] as ((this: NodeSocket) => void) | undefined;
  if (ends.length === 1 && own !== undefined && own.name === 'onReadableStreamEnd') {
    if (nodeOnEnd === null) nodeOnEnd = own;
    if (own === nodeOnEnd) sock.removeListener('end', own);
  }
  sock.on('end', onEnd);
}
function onError(this: Tagged, err: Error): void {
  this[kIO]._onError(err);
}
function onClose(this: Tagged): void {
  this[kIO]._onClose();
}
function onDrain(this: Tagged): void {
  this[kIO]._onDrain();
}

/**
 * The read/write machinery of one connected stream socket. It is its readers' queue (an
 * {@link Arrivals}: one object per connection less, which counts with 10k idle connections).
 * @internal
 */
export class StreamIO extends Arrivals<Uint8Array | number> {
  readonly sock: NodeSocket;
  /** Unread chunks; the first may be partly read (`#offset`). Empty: the shared NO_CHUNKS. */
  #chunks: Uint8Array[] = NO_CHUNKS;
  #offset = 0;
  /** Bytes buffered and unread. */
  buffered = 0;
  /** A socket error, kept for every later call. */
  error: Error | null = null;
  /**
   * EOF, CLOSED and PAUSED in one field, and no private instance method (a class that has one
   * gives each instance a brand field): every field is 8 bytes of each idle connection.
   */
  #flags = 0;
  /** Bytes handed to readers without a wait since the last wait. */
  #unyielded = 0;
  /** The writers' queue (`sendall` waiting for `'drain'`), made on the first such wait. */
  #writers: Arrivals<void> | null = null;
  /** The peer ended its side (or we shut down reading). */
  get eof(): boolean {
    return (this.#flags & EOF) !== 0;
  }
  set eof(v: boolean) {
    this.#flags = v ? this.#flags | EOF : this.#flags & ~EOF;
  }

  /** Closed by our side. */
  get closed(): boolean {
    return (this.#flags & CLOSED) !== 0;
  }

  /**
   * Names the peer in error messages, as ` (host:port)`, or '' once the peer of an accepted
   * socket is gone (the Socket's `getpeername()`: no copy is kept for an idle connection).
   */
  get label(): string {
    let p: unknown;
    try {
      p = (this.target as { getpeername(): unknown }).getpeername();
    } catch {
      return '';
    }
    const s = Array.isArray(p)
      ? String(p[0]).includes(':')
        ? `[${p[0]}]:${p[1]}`
        : `${p[0]}:${p[1]}`
      : String((p as { path?: string }).path ?? '');
    return s === '' ? '' : ` (${s})`;
  }

  constructor(sock: NodeSocket) {
    super();
    this.sock = sock;
    (sock as Tagged)[kIO] = this;
    sock.on('data', onData);
    listenEnd(sock);
    sock.on('error', onError);
    sock.on('close', onClose);
    sock.on('drain', onDrain);
    // A socket paused by its previous owner keeps what it buffered until resumed: 'data' then
    // delivers that first, in order.
    if (sock.readableFlowing === false) sock.resume();
  }

  /** Stop listening to the Node socket (before it is wrapped in TLS). Returns unread bytes. */
  detach(): Uint8Array[] {
    const s = this.sock;
    s.off('data', onData);
    s.off('end', onEnd);
    if (nodeOnEnd !== null && !s.rawListeners('end').includes(nodeOnEnd)) s.on('end', nodeOnEnd);
    s.off('error', onError);
    s.off('close', onClose);
    s.off('drain', onDrain);
    const rest = this.#chunks;
    if (rest.length > 0 && this.#offset > 0)
      rest[0] = (rest[0] as Uint8Array).subarray(this.#offset);
    this.#chunks = NO_CHUNKS;
    this.#offset = 0;
    this.buffered = 0;
    if ((this.#flags & BACK) !== 0) StreamIO.#tookBack(this, Number.POSITIVE_INFINITY);
    if ((this.#flags & PAUSED) !== 0) {
      this.#flags &= ~PAUSED;
      s.resume();
    }
    return rest;
  }

  // ---- reading ----

  /** Whether a recv would complete at once. */
  get readable(): boolean {
    return this.buffered > 0 || this.eof || this.error !== null || this.closed;
  }

  /** Take up to `max` bytes from the buffer (some must be there). */
  take(max: number): Uint8Array {
    const first = this.#chunks[0] as Uint8Array;
    const avail = first.length - this.#offset;
    let out: Uint8Array;
    if (avail > max) {
      out = first.subarray(this.#offset, this.#offset + max);
      this.#offset += max;
    } else if (avail === max || this.#chunks.length === 1) {
      out = this.#offset === 0 ? first : first.subarray(this.#offset);
      this.#chunks.shift();
      this.#offset = 0;
    } else {
      const n = Math.min(max, this.buffered);
      const buf = Buffer.allocUnsafe(n);
      let pos = 0;
      while (pos < n) {
        const c = this.#chunks[0] as Uint8Array;
        const k = Math.min(c.length - this.#offset, n - pos);
        buf.set(c.subarray(this.#offset, this.#offset + k), pos);
        pos += k;
        if (this.#offset + k === c.length) {
          this.#chunks.shift();
          this.#offset = 0;
        } else this.#offset += k;
      }
      out = buf;
    }
    this.buffered -= out.length;
    if ((this.#flags & BACK) !== 0) StreamIO.#tookBack(this, out.length);
    if ((this.#flags & PAUSED) !== 0 && this.buffered < READ_AHEAD) {
      this.#flags &= ~PAUSED;
      this.sock.resume();
    }
    return out;
  }

  /** Copy up to `into.length` bytes into `into`; returns the count. */
  takeInto(into: Uint8Array): number {
    let pos = 0;
    while (pos < into.length && this.buffered > 0) {
      const c = this.take(into.length - pos);
      into.set(c, pos);
      pos += c.length;
    }
    return pos;
  }

  /** Serve a read request at once: the bytes, or null when it must wait. */
  tryRead(req: ReadRequest): Uint8Array | number | null {
    if (this.buffered > 0) {
      if (this.#unyielded >= YIELD_EVERY) return null; // parkReader wakes it at once
      const got = typeof req === 'number' ? this.take(req) : this.takeInto(req);
      this.#unyielded += typeof got === 'number' ? got : got.length;
      return got;
    }
    if (this.error !== null) throw this.error;
    if (this.eof) return typeof req === 'number' ? EMPTY : 0;
    return null;
  }

  /** Park a reader (the caller checked it must wait). */
  parkReader<R>(req: ReadRequest, timeout: number | null, signal: AbortSignal | null): Promise<R> {
    const p = this.park<R>(timeout, signal, req);
    if (this.buffered > 0) StreamIO.#serve(this); // the yield of tryRead: woken at once, resumed in turn
    return p;
  }

  /**
   * Hand the bytes an interrupted reader held back to the buffer's head, behind those handed back
   * before them and not taken since, then serve.
   */
  override handBack(got: Uint8Array | number, w: Waiter): void {
    const req = w.data as ReadRequest;
    const bytes =
      typeof req === 'number' ? (got as Uint8Array) : Buffer.from(req.subarray(0, got as number));
    if (bytes.length > 0 && !this.closed) {
      if (this.#chunks === NO_CHUNKS) this.#chunks = [];
      else if (this.#offset > 0) {
        this.#chunks[0] = (this.#chunks[0] as Uint8Array).subarray(this.#offset);
      }
      this.#offset = 0;
      // Bytes handed back earlier fill whole chunks at the head (a take shortens them from the
      // front only): these go right after them.
      const back = (this.#flags & BACK) !== 0 ? (handedBack.get(this) ?? 0) : 0;
      let i = 0;
      for (let at = 0; at < back && i < this.#chunks.length; i++) {
        at += (this.#chunks[i] as Uint8Array).length;
      }
      this.#chunks.splice(i, 0, bytes);
      handedBack.set(this, back + bytes.length);
      this.#flags |= BACK;
      this.buffered += bytes.length;
    }
    StreamIO.#serve(this);
  }

  /** `n` bytes were taken from the head: fewer handed-back bytes remain there. */
  static #tookBack(self: StreamIO, n: number): void {
    const left = (handedBack.get(self) ?? 0) - n;
    if (left > 0) handedBack.set(self, left);
    else {
      handedBack.delete(self);
      self.#flags &= ~BACK;
    }
  }

  /** Wake waiting readers while there is something for them. */
  static #serve(self: StreamIO): void {
    self.#unyielded = 0;
    while (self.readable) {
      const w = self.shiftLive();
      if (w === null) return;
      ioEnded(w.hub);
      if (self.closed) {
        w.wakeError(badFd('Socket.recv', true));
        continue;
      }
      const req = w.data as ReadRequest;
      if (self.buffered > 0) {
        w.wake(typeof req === 'number' ? self.take(req) : self.takeInto(req));
      } else if (self.error !== null) w.wakeError(self.error);
      else w.wake(typeof req === 'number' ? EMPTY : 0);
    }
  }

  /** @internal */
  _onData(chunk: Buffer): void {
    if (this.closed || this.eof) return;
    if (this.buffered === 0 && this.watchers === null) {
      // The common case: a reader waits for just this chunk.
      const w = this.peekLive();
      if (w !== null) {
        const req = w.data as ReadRequest;
        if (typeof req === 'number' && chunk.length <= req) {
          this.wakeWith(w, chunk);
          return;
        }
      }
    }
    if (this.#chunks === NO_CHUNKS) this.#chunks = [chunk];
    else this.#chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.size > 0) StreamIO.#serve(this);
    if (this.buffered >= READ_AHEAD && (this.#flags & PAUSED) === 0) {
      this.#flags |= PAUSED;
      this.sock.pause();
    }
    this.notify();
  }

  /** @internal */
  _onEnd(): void {
    this.eof = true;
    StreamIO.#serve(this);
    this.notify();
  }

  /** @internal */
  _onError(err: Error): void {
    if (this.error === null) this.error = err;
    StreamIO.#serve(this);
    StreamIO.#failWriters(this, err);
    this.notify();
  }

  /** @internal */
  _onClose(): void {
    if (!this.eof && this.error === null) this.eof = true;
    StreamIO.#serve(this);
    if (!this.closed)
      StreamIO.#failWriters(
        this,
        this.error ??
          coded('EPIPE', `Socket.sendall: broken pipe, the connection is closed${this.label}`),
      );
    this.notify();
  }

  /** @internal */
  _onDrain(): void {
    const ws = this.#writers;
    if (ws !== null) while (ws.deliver(undefined));
    this.notify();
  }

  static #failWriters(self: StreamIO, err: Error): void {
    self.#writers?.failAll(err);
  }

  // ---- writing ----

  /** Whether a write would be accepted without waiting for `'drain'`. */
  get writable(): boolean {
    return !this.sock.writableNeedDrain || this.closed || this.error !== null;
  }

  /** An error that makes writing impossible, or null. */
  writeError(where: string): Error | null {
    if (this.closed) return badFd(where);
    if (this.error !== null) return this.error;
    const s = this.sock;
    if (s.destroyed || s.writableEnded) {
      return coded(
        'EPIPE',
        `${where}: broken pipe, the socket's writing side is shut down${this.label}`,
      );
    }
    return null;
  }

  /** Wait for `'drain'`. */
  parkWriter(timeout: number | null, signal: AbortSignal | null): Promise<void> {
    if (this.#writers === null) {
      this.#writers = new Arrivals<void>();
      this.#writers.target = this.target; // run info names the socket
    }
    return this.#writers.park(timeout, signal);
  }

  // ---- closing ----

  /** Our side closes: wake every waiter with EBADF, drop the buffer, close the Node socket. */
  close(): void {
    if (this.closed) return;
    this.#flags |= CLOSED;
    this.#chunks = NO_CHUNKS;
    this.#offset = 0;
    this.buffered = 0;
    if ((this.#flags & BACK) !== 0) StreamIO.#tookBack(this, Number.POSITIVE_INFINITY);
    StreamIO.#serve(this);
    StreamIO.#failWriters(this, badFd('Socket.sendall', true));
    const s = this.sock;
    if (s.writableLength === 0 || s.destroyed) s.destroy();
    else {
      // Let Node flush what sendall handed it, but never hold a stalled peer's socket forever.
      s.end();
      setTimeout(() => s.destroy(), 1000).unref();
    }
    this.notify();
  }
}

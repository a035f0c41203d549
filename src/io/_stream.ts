/**
 * The stream side of a verdant `Socket` (TCP, Unix, TLS): a read buffer fed by Node's `'data'`
 * events, FIFO lists of readers and writers, and readiness watchers for `waitRead`/`select`.
 * Every wait is a {@link Waiter} of the door (core/lowlevel.ts), not an `until` of a promise:
 * a `recv` that finds no bytes parks one Waiter; the `'data'` event wakes it with the bytes.
 *
 * Design note — nothing is lost, and bounded read-ahead.
 * - A reader is woken *holding* its bytes (taken from the buffer when woken). When a kill or
 *   `Timeout` lands before it resumes, `abortWait(w, true)` puts them back at the head of the
 *   buffer and serves the next reader: the next `recv` gets them, in order. A `recvInto` reader
 *   hands back a copy of what it wrote into the caller's array.
 * - The buffer holds at most about {@link READ_AHEAD} bytes: above that the Node socket is
 *   paused, and resumed when a reader takes it below. A reader that drains a fast socket
 *   therefore waits (gives the turn to the hub) at least every 64 KiB.
 * - `close()` (of the Socket) wakes every reader and writer with EBADF; the peer's end of
 *   stream wakes readers with an empty array and does not end our writing side (half-close).
 * - A wait counts as I/O in flight (`ioStarted`) from park to wake or interruption.
 * Tests: test/io/stream.conformance.ts ("nothing lost", "cancel point", "read-ahead").
 *
 * @module
 */
import type { Socket as NodeSocket } from 'node:net';
import { ioEnded, ioStarted, Waiter, WaitList } from '../core/lowlevel.js';
import { badFd, coded, throwSocketTimeout } from './_errors.js';

/** Pause the Node socket when this many bytes are buffered and unread. */
export const READ_AHEAD = 64 * 1024;
/** `sendall` writes in chunks of this size, waiting for `'drain'` between them. */
export const WRITE_CHUNK = 64 * 1024;

const EMPTY = new Uint8Array(0);

/** What a reader asks for: at most `max` bytes, or bytes copied into `into`. */
interface ReadRequest {
  max: number;
  into: Uint8Array | null;
}

/** The readers' list: hands back what an interrupted reader held. */
class Readers extends WaitList {
  readonly io: StreamIO;
  constructor(io: StreamIO) {
    super();
    this.io = io;
  }
  override abortWait(w: Waiter, held: boolean): void {
    if (!held) {
      this.remove(w);
      ioEnded(w.hub);
      return;
    }
    this.io.handBack(w);
  }
}

/** The writers' list (`sendall` waiting for `'drain'`). */
class Writers extends WaitList {
  override abortWait(w: Waiter, held: boolean): void {
    if (!held) {
      this.remove(w);
      ioEnded(w.hub);
    }
  }
}

/** The read/write machinery of one connected stream socket. @internal */
export class StreamIO {
  readonly sock: NodeSocket;
  /** Unread chunks; the first may be partly read (`#offset`). */
  #chunks: Uint8Array[] = [];
  #offset = 0;
  /** Bytes buffered and unread. */
  buffered = 0;
  /** The peer ended its side (or we shut down reading). */
  eof = false;
  /** A socket error, kept for every later call. */
  error: Error | null = null;
  /** Closed by our side. */
  closed = false;
  #paused = false;
  readonly readers: Readers;
  readonly writers = new Writers();
  /** Readiness watchers (waitRead, waitWrite, select): called on every change. */
  watchers: Set<() => void> | null = null;
  /** Names the peer in error messages. */
  label: string;

  constructor(sock: NodeSocket, label: string) {
    this.sock = sock;
    this.label = label;
    this.readers = new Readers(this);
    sock.on('data', this.#onData);
    sock.on('end', this.#onEnd);
    sock.on('error', this.#onError);
    sock.on('close', this.#onClose);
    sock.on('drain', this.#onDrain);
  }

  /** Stop listening to the Node socket (before it is wrapped in TLS). Returns unread bytes. */
  detach(): Uint8Array[] {
    const s = this.sock;
    s.off('data', this.#onData);
    s.off('end', this.#onEnd);
    s.off('error', this.#onError);
    s.off('close', this.#onClose);
    s.off('drain', this.#onDrain);
    const rest = this.#chunks;
    if (rest.length > 0 && this.#offset > 0)
      rest[0] = (rest[0] as Uint8Array).subarray(this.#offset);
    this.#chunks = [];
    this.#offset = 0;
    this.buffered = 0;
    if (this.#paused) {
      this.#paused = false;
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
    if (this.#paused && this.buffered < READ_AHEAD) {
      this.#paused = false;
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
    if (this.buffered > 0) return req.into === null ? this.take(req.max) : this.takeInto(req.into);
    if (this.error !== null) throw this.error;
    if (this.eof) return req.into === null ? EMPTY : 0;
    return null;
  }

  /** Park a reader (the caller checked it must wait). */
  parkReader(req: ReadRequest, timeout: number | null, signal: AbortSignal | null): Promise<never> {
    const w = new Waiter<never>(this.readers, throwSocketTimeout);
    w.data = req;
    this.readers.push(w);
    ioStarted(w.hub);
    return w.start(timeout, signal);
  }

  /** Hand the bytes an interrupted reader held back to the buffer's head, then serve. */
  handBack(w: Waiter): void {
    const req = w.data as ReadRequest;
    const v = w.value;
    let bytes: Uint8Array;
    if (req.into === null) bytes = v as Uint8Array;
    else bytes = Buffer.from(req.into.subarray(0, v as number));
    if (bytes.length > 0 && !this.closed) {
      if (this.#offset > 0) {
        this.#chunks[0] = (this.#chunks[0] as Uint8Array).subarray(this.#offset);
        this.#offset = 0;
      }
      this.#chunks.unshift(bytes);
      this.buffered += bytes.length;
    }
    this.#serve();
  }

  /** Wake waiting readers while there is something for them. */
  #serve(): void {
    while (this.readable) {
      const w = this.readers.shiftLive();
      if (w === null) return;
      ioEnded(w.hub);
      if (this.closed) {
        w.wakeError(badFd('Socket.recv', true));
        continue;
      }
      const req = w.data as ReadRequest;
      if (this.buffered > 0) {
        w.wake(req.into === null ? this.take(req.max) : this.takeInto(req.into));
      } else if (this.error !== null) w.wakeError(this.error);
      else w.wake(req.into === null ? EMPTY : 0);
    }
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.closed || this.eof) return;
    this.#chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.readers.size > 0) this.#serve();
    if (this.buffered >= READ_AHEAD && !this.#paused) {
      this.#paused = true;
      this.sock.pause();
    }
    this.notify();
  };

  readonly #onEnd = (): void => {
    this.eof = true;
    this.#serve();
    this.notify();
  };

  readonly #onError = (err: Error): void => {
    if (this.error === null) this.error = err;
    this.#serve();
    this.#failWriters(err);
    this.notify();
  };

  readonly #onClose = (): void => {
    if (!this.eof && this.error === null) this.eof = true;
    this.#serve();
    if (!this.closed)
      this.#failWriters(
        this.error ??
          coded('EPIPE', `Socket.sendall: broken pipe, the connection is closed (${this.label})`),
      );
    this.notify();
  };

  readonly #onDrain = (): void => {
    let w = this.writers.shift();
    while (w !== null) {
      ioEnded(w.hub);
      w.wake(undefined);
      w = this.writers.shift();
    }
    this.notify();
  };

  #failWriters(err: Error): void {
    let w = this.writers.shift();
    while (w !== null) {
      ioEnded(w.hub);
      w.wakeError(err);
      w = this.writers.shift();
    }
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
        `${where}: broken pipe, the socket's writing side is shut down (${this.label})`,
      );
    }
    return null;
  }

  /** Wait for `'drain'`. */
  parkWriter(timeout: number | null, signal: AbortSignal | null): Promise<void> {
    const w = new Waiter<void>(this.writers, throwSocketTimeout);
    this.writers.push(w);
    ioStarted(w.hub);
    return w.start(timeout, signal);
  }

  // ---- closing ----

  /** Our side closes: wake every waiter with EBADF, drop the buffer, close the Node socket. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#chunks = [];
    this.#offset = 0;
    this.buffered = 0;
    this.#serve();
    this.#failWriters(badFd('Socket.sendall', true));
    const s = this.sock;
    if (s.writableLength === 0 || s.destroyed) s.destroy();
    else {
      // Let Node flush what sendall handed it, but never hold a stalled peer's socket forever.
      s.end();
      setTimeout(() => s.destroy(), 2000).unref();
    }
    this.notify();
  }

  /** Tell the readiness watchers that something changed. */
  notify(): void {
    const ws = this.watchers;
    if (ws === null || ws.size === 0) return;
    for (const cb of [...ws]) cb();
  }
}

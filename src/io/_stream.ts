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
 * - The buffer holds at most about {@link READ_AHEAD} bytes (256 KiB): above that the Node
 *   socket is paused, and resumed when a reader takes it below. A reader served from the buffer
 *   without waiting goes through the hub once it has taken {@link YIELD_EVERY} bytes (64 KiB)
 *   that way: its next read parks and is woken at once, so a greenlet that drains a fast socket
 *   lets the others run at least every 64 KiB.
 * - `close()` (of the Socket) wakes every reader and writer with EBADF; the peer's end of
 *   stream wakes readers with an empty array and does not end our writing side (half-close).
 *   It destroys the Node socket at once only when nothing is left to flush and it is not TLS;
 *   otherwise it ends it (FIN; close_notify for TLS) and destroys it when the peer ends or 1 s
 *   later, so the peer gets every byte `sendall` handed over and no reset (test/io/socket.test.ts
 *   "close() right after sendall …", "one end sends and closes …" (TLS)).
 * - The end of stream is served one hub step late (`EOF_FRESH`, from the hub's ready queue):
 *   readers woken holding bytes before it resume or hand them back first, so handed-back bytes
 *   always come before the end of stream, for whoever reads next (two readers in `recv`, one
 *   killed in the turn the end came: the other gets the bytes, then the end).
 * - A wait counts as I/O in flight (`ioStarted`) from park to wake or interruption.
 * - Memory per idle connection (issue 16): a StreamIO has the wait list, the Node socket and one
 *   more field, the flags or, once the stream has used any, a {@link More} record (buffer,
 *   error, writers, readiness watchers, and then the flags): 72 bytes for an idle connection.
 * Tests: test/io/stream.conformance.ts ("a recv woken by bytes and killed before it resumes loses nothing…",
 * "bytes a killed reader hands back come before an end of stream …",
 * "a kill lands at recv (cancel point)…", "bounded read-ahead…").
 *
 * @module
 */
import type { Socket as NodeSocket } from 'node:net';
import { getHub, ioEnded, ioStarted, Waiter } from '../core/lowlevel.js';
import { Arrivals, notifyAll } from './_arrivals.js';
import { badFd, coded, throwSocketTimeout } from './_errors.js';

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
const RESOLVED = Promise.resolve();
/** StreamIO flags. */
const EOF = 1;
const CLOSED = 2;
/** The Node socket is paused (read-ahead full). */
const PAUSED = 4;
/** Node's own `'end'` listener was taken off this socket ({@link onEnd} calls it instead). */
const NODE_END = 8;
/**
 * The end of stream (EOF) came and is not served yet: it is, from the hub's ready queue, once
 * every reader woken before it holding bytes has resumed or handed them back ({@link serveEof}).
 */
const EOF_FRESH = 16;
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
 * when half-open is off). {@link StreamIO} takes its place (flag NODE_END) and {@link onEnd}
 * calls it first: with two listeners the event holds an array, 104 bytes of every idle
 * connection (issue 16).
 */
let nodeOnEnd: ((this: NodeSocket) => void) | null = null;
function onEnd(this: Tagged): void {
  this[kIO]._onEnd();
}

/**
 * Take Node's own `'end'` listener off `sock` when it is the only one; true when taken. Only
 * the first socket is asked for its listeners (an array): the others count them.
 */
function takeNodeEnd(sock: NodeSocket): boolean {
  if (nodeOnEnd === null) {
    const own = sock.rawListeners('end')[0] as ((this: NodeSocket) => void) | undefined;
    if (own === undefined || own.name !== 'onReadableStreamEnd') return false;
    nodeOnEnd = own;
  }
  if (sock.listenerCount('end') !== 1) return false;
  sock.removeListener('end', nodeOnEnd);
  return sock.listenerCount('end') === 0;
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
 * Streams detached for wrapping (`wrapSocket`) whose Node socket its next owner (the TLS
 * socket) has not started reading yet, each with the bytes interrupted readers handed back since
 * the detach, in the order they came back; null once the next owner reads (see
 * {@link StreamIO.detach}). Only detached streams are in it.
 */
const handoff = new WeakMap<StreamIO, Uint8Array[] | null>();

/** The stream now running over a detached stream's Node socket (the TLS socket), by socket. */
const successors = new WeakMap<NodeSocket, { destroy(err?: Error): unknown }>();

/**
 * `next` (the TLS socket `wrapSocket` made) runs over `sock`, a detached stream's Node socket:
 * a failure of the hand-over (see {@link StreamIO.detach}) destroys it too. @internal
 */
export function handedOver(sock: NodeSocket, next: { destroy(err?: Error): unknown }): void {
  successors.set(sock, next);
}

/** The hub's ready-queue step that serves a fresh end of stream ({@link EOF_FRESH}). */
function serveEof(io: unknown): void {
  (io as StreamIO)._serveEof();
}

/**
 * What a stream holds only once it has used it: buffered bytes, an error, waiting writers,
 * readiness watchers. An idle connection (issue 16: 10k of them) has none of these, and each
 * field of {@link StreamIO} is 8 bytes of every connection: they live here, made on first use
 * and kept (a connection that buffered once will again).
 */
class More {
  /** The stream's flags, once it has a More (see {@link StreamIO}). */
  flags = 0;
  /** Unread chunks; the first may be partly read (`offset`). Empty: the shared NO_CHUNKS. */
  chunks: Uint8Array[] = NO_CHUNKS;
  offset = 0;
  /** Bytes buffered and unread. */
  buffered = 0;
  /** Bytes handed to readers without a wait since the last wait. */
  unyielded = 0;
  /**
   * Bytes at the head of `chunks` that interrupted readers handed back and nobody has taken
   * since: the next bytes handed back go behind them, so readers interrupted together (two
   * greenlets in `recv` killed at once, a `Promise.all` of two) leave the bytes in the order
   * they arrived.
   */
  back = 0;
  /** A socket error, kept for every later call. */
  error: Error | null = null;
  /** The writers' queue (`sendall` waiting for `'drain'`), made on the first such wait. */
  writers: Arrivals<void> | null = null;
  /** Readiness watchers (waitRead, waitWrite, select): called on every change. */
  watchers: Set<() => void> | null = null;
}

/**
 * The read/write machinery of one connected stream socket. It is its readers' queue (an
 * {@link Arrivals}: one object per connection less, which counts with 10k idle connections).
 * Its own fields are the Node socket, the flags and {@link More} (null until used).
 * @internal
 */
export class StreamIO extends Arrivals<Uint8Array | number> {
  readonly sock: NodeSocket;
  /**
   * The flags (EOF, CLOSED, PAUSED, NODE_END) while the stream has no {@link More}, else its
   * More (which keeps the flags): one field, and no private instance method (a class that has
   * one gives each instance a brand field): every field is 8 bytes of each idle connection.
   */
  #st: number | More = 0;

  static #flags(self: StreamIO): number {
    const st = self.#st;
    return typeof st === 'number' ? st : st.flags;
  }

  static #setFlags(self: StreamIO, f: number): void {
    const st = self.#st;
    if (typeof st === 'number') self.#st = f;
    else st.flags = f;
  }

  static #more(self: StreamIO): More | null {
    const st = self.#st;
    return typeof st === 'number' ? null : st;
  }

  /** The peer ended its side (or we shut down reading). */
  get eof(): boolean {
    return (StreamIO.#flags(this) & EOF) !== 0;
  }

  /** Closed by our side. */
  get closed(): boolean {
    return (StreamIO.#flags(this) & CLOSED) !== 0;
  }

  /** Bytes buffered and unread. */
  get buffered(): number {
    return StreamIO.#more(this)?.buffered ?? 0;
  }

  /** A socket error, kept for every later call. */
  get error(): Error | null {
    return StreamIO.#more(this)?.error ?? null;
  }

  /** Readiness watchers (waitRead, waitWrite, select): called on every change. */
  get watchers(): Set<() => void> | null {
    return StreamIO.#more(this)?.watchers ?? null;
  }
  set watchers(ws: Set<() => void> | null) {
    StreamIO.#use(this).watchers = ws;
  }

  /** Tell the readiness watchers that something changed. */
  notify(): void {
    const m = StreamIO.#more(this);
    if (m !== null) notifyAll(m.watchers);
  }

  static #use(self: StreamIO): More {
    const st = self.#st;
    if (typeof st !== 'number') return st;
    const m = new More();
    m.flags = st;
    self.#st = m;
    return m;
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
    if (takeNodeEnd(sock)) this.#st = NODE_END;
    sock.on('end', onEnd);
    sock.on('error', onError);
    sock.on('close', onClose);
    sock.on('drain', onDrain);
    // A socket paused by its previous owner keeps what it buffered until resumed: 'data' then
    // delivers that first, in order.
    if (sock.readableFlowing === false) sock.resume();
  }

  /**
   * Stop listening to the Node socket (before it is wrapped in TLS). Returns unread bytes.
   * Greenlets still waiting on this stream (a `recv` or `sendall` in another greenlet) are woken
   * with EBADF: the socket they wait on is closed for use, and nothing would wake them (gevent's
   * `detach` cancels the socket's waits the same way; they waited forever, found by the breaker).
   *
   * A reader woken holding bytes that has not resumed yet keeps them: resumed, it returns them
   * (its recv completed before the detach). Killed (or timed out) before it resumes, it hands
   * them back: in gevent that recv never ran and the bytes are still in the kernel for whoever
   * reads the fd next, so they go back to the Node socket, before the unread bytes returned
   * here, with `unshift` at the next tick, which comes before the TLS socket takes what the Node
   * socket buffered (its `initRead` tick is queued after, when `wrapSocket` makes it). Bytes
   * handed back later cannot be put back in order (the TLS socket has read the bytes after
   * them): the Node socket is destroyed with ECONNABORTED, so the loss shows at once instead of
   * a TLS stream stalling or misreading. Tests: test/io/listener.test.ts "bytes a reader held
   * when wrapSocket detached its socket …", "bytes handed back by a reader killed after …".
   */
  detach(): Uint8Array[] {
    handoff.set(this, []);
    process.nextTick(StreamIO.#endHandoff, this);
    this.failAll(() => badFd('Socket.recv', true));
    StreamIO.#more(this)?.writers?.failAll(() => badFd('Socket.sendall', true));
    const s = this.sock;
    s.off('data', onData);
    s.off('end', onEnd);
    if ((StreamIO.#flags(this) & NODE_END) !== 0) {
      StreamIO.#setFlags(this, StreamIO.#flags(this) & ~NODE_END);
      s.on('end', nodeOnEnd as (this: NodeSocket) => void);
    }
    s.off('error', onError);
    s.off('close', onClose);
    s.off('drain', onDrain);
    const m = StreamIO.#more(this);
    let rest = NO_CHUNKS;
    if (m !== null) {
      rest = m.chunks;
      if (rest.length > 0 && m.offset > 0) rest[0] = (rest[0] as Uint8Array).subarray(m.offset);
      m.chunks = NO_CHUNKS;
      m.offset = 0;
      m.buffered = 0;
      m.back = 0;
      if ((StreamIO.#flags(this) & PAUSED) !== 0) {
        StreamIO.#setFlags(this, StreamIO.#flags(this) & ~PAUSED);
        s.resume();
      }
    }
    // Closed for use from now on: a waitRead or select still watching it sees a closed socket
    // (readable, and errored), as after close(), instead of waiting forever.
    StreamIO.#setFlags(this, StreamIO.#flags(this) | CLOSED);
    this.notify();
    return rest;
  }

  // ---- reading ----

  /** Whether a recv would complete at once. */
  get readable(): boolean {
    const m = StreamIO.#more(this);
    const f = StreamIO.#flags(this);
    return (
      (f & (EOF | EOF_FRESH | CLOSED)) === EOF ||
      (f & CLOSED) !== 0 ||
      (m !== null && (m.buffered > 0 || (m.error !== null && (f & EOF) === 0)))
    );
  }

  /** Take up to `max` bytes from the buffer (some must be there). */
  static #take(self: StreamIO, m: More, max: number): Uint8Array {
    const chunks = m.chunks;
    const first = chunks[0] as Uint8Array;
    const avail = first.length - m.offset;
    let out: Uint8Array;
    if (avail > max) {
      out = first.subarray(m.offset, m.offset + max);
      m.offset += max;
    } else if (avail === max || chunks.length === 1) {
      out = m.offset === 0 ? first : first.subarray(m.offset);
      chunks.shift();
      m.offset = 0;
    } else {
      const n = Math.min(max, m.buffered);
      const buf = Buffer.allocUnsafe(n);
      let pos = 0;
      while (pos < n) {
        const c = chunks[0] as Uint8Array;
        const k = Math.min(c.length - m.offset, n - pos);
        buf.set(c.subarray(m.offset, m.offset + k), pos);
        pos += k;
        if (m.offset + k === c.length) {
          chunks.shift();
          m.offset = 0;
        } else m.offset += k;
      }
      out = buf;
    }
    m.buffered -= out.length;
    if (m.back > 0) m.back = m.back > out.length ? m.back - out.length : 0;
    if ((StreamIO.#flags(self) & PAUSED) !== 0 && m.buffered < READ_AHEAD) {
      StreamIO.#setFlags(self, StreamIO.#flags(self) & ~PAUSED);
      self.sock.resume();
    }
    return out;
  }

  /** Copy up to `into.length` bytes into `into`; returns the count. */
  static #takeInto(self: StreamIO, m: More, into: Uint8Array): number {
    let pos = 0;
    while (pos < into.length && m.buffered > 0) {
      const c = StreamIO.#take(self, m, into.length - pos);
      into.set(c, pos);
      pos += c.length;
    }
    return pos;
  }

  /** Serve a read request at once: the bytes, or null when it must wait. */
  tryRead(req: ReadRequest): Uint8Array | number | null {
    const m = this.#st;
    // No More: nothing buffered, no error (the common recv of an echo: it waits).
    if (typeof m === 'number') {
      return (m & (EOF | EOF_FRESH)) !== EOF ? null : typeof req === 'number' ? EMPTY : 0;
    }
    if (m.buffered > 0) {
      if (m.unyielded >= YIELD_EVERY) return null; // parkReader wakes it at once
      const got =
        typeof req === 'number' ? StreamIO.#take(this, m, req) : StreamIO.#takeInto(this, m, req);
      m.unyielded += typeof got === 'number' ? got : got.length;
      return got;
    }
    // The peer's end read before the error wins (Linux's recv gives 0 once the FIN is in, even
    // after a write failed with EPIPE): a read-side error only without it.
    if (m.error !== null && (m.flags & EOF) === 0) throw m.error;
    if ((m.flags & (EOF | EOF_FRESH)) === EOF) return typeof req === 'number' ? EMPTY : 0;
    return null; // nothing yet, or a fresh end of stream: served from the hub's queue
  }

  /** Park a reader (the caller checked it must wait). */
  parkReader<R>(req: ReadRequest, timeout: number | null, signal: AbortSignal | null): Promise<R> {
    const p = this.park<R>(timeout, signal, req);
    // The yield of tryRead: woken at once, resumed in turn.
    const st = this.#st;
    if (typeof st !== 'number' && st.buffered > 0) StreamIO.#serve(this);
    return p;
  }

  /**
   * The next owner of a detached stream's Node socket starts reading it: the bytes readers
   * handed back since the detach go back in front of what the socket buffered.
   */
  static #endHandoff(self: StreamIO): void {
    const held = handoff.get(self);
    handoff.set(self, null);
    if (held === undefined || held === null || held.length === 0 || self.sock.destroyed) return;
    self.sock.unshift(held.length === 1 ? (held[0] as Uint8Array) : Buffer.concat(held));
  }

  /** Bytes an interrupted reader handed back after the detach (see {@link StreamIO.detach}). */
  static #handBackDetached(self: StreamIO, bytes: Uint8Array): void {
    const held = handoff.get(self);
    if (held === undefined) return; // closed, not detached: nobody reads them any more
    if (held !== null) {
      held.push(bytes);
      return;
    }
    const err = coded(
      'ECONNABORTED',
      `wrapSocket: ${bytes.length} bytes a killed reader held came back after the TLS socket started reading; they cannot go back in order, so the connection is cut${self.label}`,
    );
    // The TLS socket reads the handle itself: destroying the Node socket alone does not tell it.
    successors.get(self.sock)?.destroy(err);
    self.sock.destroy();
  }

  /** Hand the bytes an interrupted reader held back to the buffer's head, then serve. */
  override handBack(got: Uint8Array | number, w: Waiter): void {
    const req = w.data as ReadRequest;
    const bytes =
      typeof req === 'number' ? (got as Uint8Array) : Buffer.from(req.subarray(0, got as number));
    if (bytes.length > 0 && this.closed) StreamIO.#handBackDetached(this, bytes);
    else if (bytes.length > 0) {
      const m = StreamIO.#use(this);
      if (m.chunks === NO_CHUNKS) m.chunks = [];
      else if (m.offset > 0) m.chunks[0] = (m.chunks[0] as Uint8Array).subarray(m.offset);
      m.offset = 0;
      // Bytes handed back earlier fill whole chunks at the head (a take shortens them from the
      // front only): these go right after them.
      let i = 0;
      for (let at = 0; at < m.back && i < m.chunks.length; i++) {
        at += (m.chunks[i] as Uint8Array).length;
      }
      m.chunks.splice(i, 0, bytes);
      m.back += bytes.length;
      m.buffered += bytes.length;
    }
    StreamIO.#serve(this);
  }

  /** Wake waiting readers while there is something for them. */
  static #serve(self: StreamIO): void {
    const m = StreamIO.#more(self);
    if (m !== null) m.unyielded = 0;
    while (self.readable) {
      const w = self.shiftLive();
      if (w === null) return;
      ioEnded(w.hub);
      if (self.closed) {
        w.wakeError(badFd('Socket.recv', true));
        continue;
      }
      const req = w.data as ReadRequest;
      if (m !== null && m.buffered > 0) {
        w.wake(
          typeof req === 'number' ? StreamIO.#take(self, m, req) : StreamIO.#takeInto(self, m, req),
        );
      } else if (m !== null && m.error !== null && (m.flags & EOF) === 0) w.wakeError(m.error);
      else w.wake(typeof req === 'number' ? EMPTY : 0);
    }
  }

  /** @internal */
  _onData(chunk: Buffer): void {
    const st = this.#st;
    let m: More | null;
    if (typeof st === 'number') {
      if ((st & (EOF | CLOSED)) !== 0) return;
      m = null;
    } else {
      if ((st.flags & (EOF | CLOSED)) !== 0) return;
      m = st;
    }
    if (m === null || (m.buffered === 0 && m.watchers === null)) {
      // The common case: a reader waits for just this chunk.
      const w = this.peekLive();
      if (w !== null) {
        const req = w.data as ReadRequest;
        if (typeof req === 'number' && chunk.length <= req) {
          this.wakeWith(w, chunk);
          return;
        }
      }
      if (m === null) m = StreamIO.#use(this);
    }
    if (m.chunks === NO_CHUNKS) m.chunks = [chunk];
    else m.chunks.push(chunk);
    m.buffered += chunk.length;
    if (this.size > 0) StreamIO.#serve(this);
    if (m.buffered >= READ_AHEAD && (StreamIO.#flags(this) & PAUSED) === 0) {
      StreamIO.#setFlags(this, StreamIO.#flags(this) | PAUSED);
      this.sock.pause();
    }
    this.notify();
  }

  /**
   * Our side stops writing (`shutdown('write')`): Node sends what it holds, then the end of
   * stream; every `sendall` still waiting for the peer (for `'drain'` or a flush) is woken with
   * EPIPE, as a send blocked in another thread fails once the socket is shut for writing
   * (gevent's shutdown cancels the waits on its write event). They waited forever when the peer
   * did not read (found by the breaker).
   */
  shutdownWrite(): void {
    this.sock.end();
    StreamIO.#more(this)?.writers?.failAll(() =>
      coded(
        'EPIPE',
        `Socket.sendall: broken pipe, the socket's writing side was shut down in another greenlet${this.label}`,
      ),
    );
    this.notify();
  }

  /**
   * Our side stops reading (`shutdown('read')`): waiting readers get what is buffered, then end
   * of stream, as a `recv` blocked in another thread returns 0 after `SHUT_RD`.
   */
  shutdownRead(): void {
    StreamIO.#endOfStream(this);
  }

  /**
   * The end of stream came (the peer's FIN, `shutdown('read')`, a close without error). What
   * is buffered is served first, as always; the end itself is served from the hub's ready queue
   * (`EOF_FRESH` until then), behind the readers woken holding bytes before it: one killed
   * before it resumes hands its bytes back, and they must come before the end of stream for
   * whoever reads next, as in a kernel's socket, where the bytes stay ahead of the FIN (test:
   * "bytes a killed reader hands back come before an end of stream …").
   */
  static #endOfStream(self: StreamIO): void {
    const f = StreamIO.#flags(self);
    if ((f & EOF) !== 0) return;
    StreamIO.#setFlags(self, f | EOF | EOF_FRESH);
    getHub().schedule(serveEof, self);
    StreamIO.#serve(self);
  }

  /** @internal The end of stream is served now (see {@link StreamIO.#endOfStream}). */
  _serveEof(): void {
    StreamIO.#setFlags(this, StreamIO.#flags(this) & ~EOF_FRESH);
    StreamIO.#serve(this);
    this.notify();
  }

  /** @internal */
  _onEnd(): void {
    if ((StreamIO.#flags(this) & NODE_END) !== 0)
      (nodeOnEnd as (this: NodeSocket) => void).call(this.sock);
    StreamIO.#endOfStream(this);
  }

  /** @internal */
  _onError(err: Error): void {
    const m = StreamIO.#use(this);
    if (m.error === null) m.error = err;
    StreamIO.#serve(this);
    m.writers?.failAll(err);
    this.notify();
  }

  /** @internal */
  _onClose(): void {
    const err = this.error;
    if (err === null) StreamIO.#endOfStream(this);
    StreamIO.#serve(this);
    if (!this.closed) {
      StreamIO.#more(this)?.writers?.failAll(
        err ?? coded('EPIPE', `Socket.sendall: broken pipe, the connection is closed${this.label}`),
      );
    }
    this.notify();
  }

  /** @internal */
  _onDrain(): void {
    const ws = StreamIO.#more(this)?.writers;
    if (ws !== undefined && ws !== null) while (ws.deliver(undefined));
    this.notify();
  }

  // ---- writing ----

  /** Whether a write would be accepted without waiting for `'drain'`. */
  get writable(): boolean {
    return !this.sock.writableNeedDrain || this.closed || this.error !== null;
  }

  /** An error that makes writing impossible, or null. */
  writeError(where: string): Error | null {
    const st = this.#st;
    if ((typeof st === 'number' ? st : st.flags) & CLOSED) return badFd(where);
    if (typeof st !== 'number' && st.error !== null) return st.error;
    const s = this.sock;
    if (s.destroyed || s.writableEnded) {
      return coded(
        'EPIPE',
        `${where}: broken pipe, the socket's writing side is shut down${this.label}`,
      );
    }
    return null;
  }

  /** The writers' queue, made on first use. */
  static #writers(self: StreamIO): Arrivals<void> {
    const m = StreamIO.#use(self);
    if (m.writers === null) {
      m.writers = new Arrivals<void>();
      m.writers.target = self.target; // run info names the socket
    }
    return m.writers;
  }

  /** Wait for `'drain'`. */
  parkWriter(timeout: number | null, signal: AbortSignal | null): Promise<void> {
    return StreamIO.#writers(this).park(timeout, signal);
  }

  /**
   * Hand `bytes` (at most a chunk) to Node; resolve once Node holds none of them, so the caller
   * may reuse its array (Python's `sendall` returns once the kernel has the bytes). Node keeps a
   * reference to an array it could not write at once: `sendall` resolving then let a caller
   * that refilled its buffer send the new bytes in place of the old (found by the breaker).
   * Resolves at once when the kernel took everything (the common case); else waits for
   * `'drain'`, or, when Node took the bytes without asking for one, for the flush of a marker
   * written behind them.
   */
  send(bytes: Uint8Array, timeout: number | null, signal: AbortSignal | null): Promise<void> {
    const s = this.sock;
    if (!s.write(bytes)) return this.parkWriter(timeout, signal);
    return s.writableLength === 0 ? RESOLVED : this.parkFlush(timeout, signal);
  }

  /** Wait until what was handed to Node so far has left it (a marker's write callback). */
  parkFlush(timeout: number | null, signal: AbortSignal | null): Promise<void> {
    const writers = StreamIO.#writers(this);
    // Not a pooled waiter: the marker's callback may come after the wait ended otherwise.
    const w = new Waiter<void>(writers, throwSocketTimeout);
    writers.push(w);
    ioStarted(w.hub);
    this.sock.write(EMPTY, (err?: Error | null) => {
      if (!w.isPending) return;
      writers.remove(w);
      ioEnded(w.hub);
      if (err) w.wakeError(err);
      else w.wake();
    });
    return w.start(timeout, signal);
  }

  // ---- closing ----

  /** Our side closes: wake every waiter with EBADF, drop the buffer, close the Node socket. */
  close(): void {
    if (this.closed) return;
    StreamIO.#setFlags(this, StreamIO.#flags(this) | CLOSED);
    const m = StreamIO.#more(this);
    if (m !== null) {
      m.chunks = NO_CHUNKS;
      m.offset = 0;
      m.buffered = 0;
      m.back = 0;
    }
    StreamIO.#serve(this);
    m?.writers?.failAll(badFd('Socket.sendall', true));
    const s = this.sock;
    const tls = (s as { encrypted?: boolean }).encrypted === true;
    if (s.destroyed || (s.writableLength === 0 && !tls)) s.destroy();
    else {
      // Let Node flush what sendall handed it, but never hold a stalled peer's socket forever.
      // TLS always goes this way: a TLS 1.3 server sends its session tickets just after the
      // handshake, and a client that closed with them unread in the kernel sent a reset (RST)
      // instead of FIN, so the peer lost the bytes we had sent (ECONNRESET; Node 24, a TLS
      // `sendall` then `close()` right after connecting — test/io/socket.test.ts
      // "one end sends and closes …" (TLS)). Ending (close_notify, then FIN) and reading on
      // until the peer ends drains them; what arrives now is dropped (_onData after CLOSED).
      if ((StreamIO.#flags(this) & PAUSED) !== 0 || s.isPaused()) s.resume();
      s.end();
      setTimeout(() => s.destroy(), 1000).unref();
    }
    this.notify();
  }
}

/**
 * The buffered file object of verdant: `Socket.makefile()`'s file and a child's piped
 * `stdin`/`stdout`/`stderr` (`verdant/subprocess`) are this one class — `readline()`,
 * `read(n)`, `write()`, `flush()`, `close()` and `for await` over lines, as Python's
 * `socket.makefile('rwb')` and `Popen`'s pipes — over a raw stream that only knows "the next
 * chunk" and "send these bytes" (the socket itself; a pipe's adapter in process/_pipefile.ts).
 *
 * Design note — what a kill leaves. Reads take whole chunks from the raw stream into the
 * file's own buffer and only then cut them, so a `readline()` interrupted mid-line keeps what it
 * read in that buffer: the next `readline()` starts with it (nothing lost); the raw stream's
 * wait itself takes nothing when interrupted. `write` queues bytes and sends once `writeBuffer`
 * bytes are queued (8 KiB for a socket; 0 for a pipe: every write goes out at once, waiting
 * while the pipe is full); `flush()` sends the rest. A send interrupted while the socket is full
 * puts what Node had not taken back at the head of the queue (the raw stream counts what it
 * handed over in `progress.sent`): the next flush sends it, once and in order, as CPython's
 * BufferedWriter. One send at a time (a {@link SendTurns} queue): a second send while one waits
 * would overtake the first one's rest (test/io/makefile.test.ts "a write interrupted by a
 * …", "one send at a time …"). In text mode (a pipe opened with
 * `text: true`) reads decode UTF-8 with a streaming decoder, so a character split across chunks
 * comes out whole. A socket's file holds a reference on its socket: the connection closes when
 * the socket and every file are closed (Python's `_io_refs`; gevent's test__makefile_ref).
 * One read at a time: a second `readline`/`read` while one waits rejects with EBUSY (it would wait
 * for new bytes while the first takes what arrives, and miss what is left in the buffer; gevent
 * refuses a second reader of a socket) (test/io/makefile.test.ts "one reader at a time …").
 * Tests: test/io/makefile.test.ts, test/process/subprocess.test.ts ("pipes are file objects",
 * "a killed readline loses no bytes").
 *
 * @module
 */
import { TextDecoder } from 'node:util';
import {
  currentFiber,
  getHub,
  guardCancellation,
  lastWait,
  NONE,
  noteCompletedAtOnce,
  parkedSince,
  readWaitOptions,
  type Waiter,
  type WaitOptions,
  waitArgs,
} from '../core/lowlevel.js';
import { Arrivals } from './_arrivals.js';
import { badFd, bytesOf } from './_errors.js';

/** A socket's file sends once this many bytes are queued. */
const WRITE_BUFFER = 8 * 1024;
const NL = 10;
const EMPTY = new Uint8Array(0);

/**
 * How far a file's send got: `sent` counts the bytes the raw stream took; `wait` is the wait the
 * send parked last (null while it has not parked; a raw stream that does not say leaves it
 * undefined). A send whose `wait` is done while the file still counts it in flight was
 * withdrawn by `race()` (or its greenlet died): it never resumes. @internal
 */
export interface SendProgress {
  sent: number;
  wait?: Waiter | null;
}

/**
 * The raw stream under a {@link FileObject}. @internal
 */
export interface RawFile {
  /**
   * The next bytes (at most `n`) once some are there; empty at end of stream. A verdant wait.
   * `where` names the file's method called (`'SocketFile.readline'`) in its errors.
   */
  _fileRecv(n: number, opts: unknown, where?: string): Promise<Uint8Array>;
  /**
   * Hand `data` over; resolves once taken (waits while the stream is full). A verdant wait.
   * `progress.sent` counts the bytes handed over so far: when the wait is interrupted, the
   * file keeps `data.subarray(progress.sent)` for its next flush. `where` names the file's
   * method called (`'SocketFile.write'`) in its errors.
   */
  _fileSend(data: Uint8Array, opts: unknown, progress: SendProgress, where?: string): Promise<void>;
  /**
   * Optional: up to `n` bytes the stream holds now, without waiting (empty at end of stream),
   * or null when a read must wait (or would fail: `_fileRecv` then rejects with the error).
   * Never switches, and does not count as a call that completed at once (`race()`).
   */
  _fileTryRead?(n: number): Uint8Array | null;
  /** Optional: resolve once everything sent has left our process. A verdant wait. */
  _fileFlush?(opts: unknown): Promise<void>;
  /** Optional: the bytes it holds that no read took yet, without waiting. */
  _fileDrain?(): Uint8Array;
}

/** How a {@link FileObject} behaves over its raw stream. @internal */
export interface FileOptions {
  /** Decode reads as UTF-8 strings. Default false. */
  text?: boolean;
  /** `write` sends once this many bytes are queued; 0 sends every write. Default 8 KiB. */
  writeBuffer?: number;
  /** The error a call makes after `close()`; `where` names the call (`'read'`). */
  closedError?: (where: string) => Error;
  /** Names the file in error messages. Default `'SocketFile'`. */
  name?: string;
}

/**
 * When a read's explicit `timeout` option (a number, or `{timeout}`) runs out, on the hub's
 * clock; null when it has none (or a bad one: the wait rejects it).
 */
function deadlineOf(opts: unknown): number | null {
  const t =
    typeof opts === 'number'
      ? opts
      : opts !== null && typeof opts === 'object'
        ? (opts as WaitOptions).timeout
        : undefined;
  return typeof t === 'number' && t >= 0 && t !== Number.POSITIVE_INFINITY
    ? getHub().now() + t
    : null;
}

/**
 * The options of a read's next wait: what is left of its `timeout` (see {@link deadlineOf}). An
 * explicit timeout bounds the whole `read`/`readline`, as it does `flush` and `sendall`: a peer
 * trickling bytes must not stretch it (it bounded each wait, so a line sent a byte every 60 ms
 * took 900 ms to read with a 150 ms timeout; found by the breaker). The socket's own timeout
 * (`settimeout`) still bounds each wait, as Python's does.
 */
function leftOf(
  opts: WaitOptions | number | null | undefined,
  deadline: number | null,
): WaitOptions | number | null | undefined {
  if (deadline === null) return opts;
  const timeout = Math.max(0, deadline - getHub().now());
  return typeof opts === 'number' ? timeout : { ...opts, timeout };
}

function socketClosed(where: string): Error {
  return badFd(`SocketFile.${where}`);
}

/**
 * The file's senders waiting for their turn (one send at a time, as BufferedWriter's lock): a
 * sender is woken holding the turn; one interrupted before it resumes passes it on.
 */
class SendTurns extends Arrivals<true> {
  /** Called when the turn is free and nobody waits for it. */
  readonly #free: () => void;
  constructor(free: () => void) {
    super();
    this.#free = free;
  }
  /** Give the turn to the next sender, or free it. */
  pass(): void {
    if (!this.deliver(true)) this.#free();
  }
  override handBack(): void {
    this.pass();
  }
}

/**
 * A buffered file over a stream socket, from `sock.makefile()`. Reads resolve `Uint8Array`
 * (lines keep their `\n`; empty at end of stream). Every read, `write` and `flush` can wait and
 * is a kill/timeout point; `close` never waits.
 * @example
 * ```ts
 * import { StreamServer } from 'verdant/server';
 * import { createConnection } from 'verdant/socket';
 * const server = new StreamServer(['127.0.0.1', 0], async (conn) => {
 *   for (let d = await conn.recv(4096); d.length > 0; d = await conn.recv(4096)) await conn.sendall(d);
 * });
 * await server.start();
 * const sock = await createConnection(['127.0.0.1', server.serverPort!]);
 * const f = sock.makefile();
 * await f.write('HELLO\n');
 * await f.flush();
 * const reply = await f.readline();
 * console.log(Buffer.from(reply).toString()); // HELLO
 * f.close();
 * sock.close();
 * await server.stop();
 * ```
 */
export class FileObject<T extends string | Uint8Array = Uint8Array> {
  #raw: RawFile;
  #release: () => void;
  #rbuf: Uint8Array = EMPTY;
  #wbuf: Uint8Array[] = [];
  #wlen = 0;
  /** A send is in progress (it holds the turn; see {@link SendTurns}). */
  #sending = false;
  #turns: SendTurns | null = null;
  /** The send in progress once it hands its bytes over: what it sends, and how far it got. */
  #inflight: { data: Uint8Array; progress: SendProgress } | null = null;
  #closed = false;
  #eof = false;
  /** A `readline`/`read` is in progress (it may be waiting for bytes). */
  #reading = false;
  /**
   * The wait the read in progress parked on the socket, while it waits (null otherwise). Done
   * while {@link FileObject.#reading} still holds: `race()` withdrew it (the read lost a race, or
   * its greenlet died with it pending), and that read will never resume: the next read takes
   * over (see {@link FileObject.#busyReading}).
   */
  #readWait: Waiter | null = null;
  readonly #decoder: TextDecoder | null;
  readonly #writeBuffer: number;
  readonly #closedError: (where: string) => Error;
  readonly #name: string;

  /** @internal Made by `Socket.makefile()` and by `Popen` for its pipes. */
  constructor(raw: RawFile, release: () => void, options: FileOptions = {}) {
    this.#raw = raw;
    this.#release = release;
    this.#decoder = options.text === true ? new TextDecoder() : null;
    this.#writeBuffer = options.writeBuffer ?? WRITE_BUFFER;
    this.#closedError = options.closedError ?? socketClosed;
    this.#name = options.name ?? 'SocketFile';
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether this file decodes to strings. @internal */
  get _text(): boolean {
    return this.#decoder !== null;
  }

  /**
   * Take what the raw stream holds now into the buffer, without waiting; false when it holds
   * nothing (a read must wait). Not a call that completed at once for `race()`: only the
   * read's {@link FileObject.#cut} is, when no wait came before it. With `#fill` alone, a
   * readline that took a partial line from the socket at once counted as completed at once
   * (the socket's recv said so), so `race(() => f.readline(), () => sleep(30))` never called
   * the sleep, and waited for the rest of the line for good (found by the breaker).
   */
  #fillNow(): boolean {
    const chunk = this.#raw._fileTryRead?.(65536) ?? null;
    if (chunk === null) return false;
    if (chunk.length === 0) this.#eof = true;
    else this.#rbuf = this.#rbuf.length === 0 ? chunk : Buffer.concat([this.#rbuf, chunk]);
    return true;
  }

  /** Read more bytes into the buffer; false at end of stream. `method`: the call (`'read'`). */
  async #fill(opts: WaitOptions | number | null | undefined, method: string): Promise<boolean> {
    const fiber = currentFiber();
    const before = lastWait(fiber);
    const p = this.#raw._fileRecv(65536, opts, `${this.#name}.${method}`);
    this.#readWait = parkedSince(fiber, before);
    let chunk: Uint8Array;
    try {
      chunk = await p;
    } finally {
      this.#readWait = null;
    }
    if (chunk.length === 0) {
      this.#eof = true;
      return false;
    }
    this.#rbuf = this.#rbuf.length === 0 ? chunk : Buffer.concat([this.#rbuf, chunk]);
    return true;
  }

  /**
   * Where a cut of `n` bytes may end: `n` for bytes; in text mode the end of the character byte
   * `n` falls in (a limit never splits a character, which would decode to `''` and read as end of
   * stream), or -1 when the buffer ends before that character does (read more first).
   */
  #limitEnd(n: number): number {
    if (this.#decoder === null) return n;
    let e = n;
    const buf = this.#rbuf;
    while (e < buf.length && ((buf[e] as number) & 0xc0) === 0x80) e++;
    if (e === buf.length && e > 0 && !this.#eof) {
      // The buffer ends here: is its last character whole?
      let lead = e - 1;
      while (lead > 0 && ((buf[lead] as number) & 0xc0) === 0x80) lead--;
      const b = buf[lead] as number;
      const len = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
      if (lead + len > e && lead < n) return -1;
    }
    return e;
  }

  #cut(n: number): T {
    // Taken from the buffer: at once when no wait came before (race() stops there).
    noteCompletedAtOnce();
    const out = this.#rbuf.subarray(0, n);
    this.#rbuf = this.#rbuf.subarray(n);
    if (this.#decoder === null) return out as T;
    return this.#decoder.decode(out, { stream: !this.#eof || this.#rbuf.length > 0 }) as T;
  }

  /** Everything buffered now, here and in the raw stream, without waiting (raw bytes). @internal */
  _drain(): Uint8Array {
    const mine = this.#rbuf;
    this.#rbuf = EMPTY;
    const raw = this.#raw._fileDrain?.() ?? EMPTY;
    if (raw.length === 0) return mine;
    return mine.length === 0 ? raw : Buffer.concat([mine, raw]);
  }

  /**
   * Read one line, up to and including `\n` (or what is left at end of stream; empty after
   * it). `limit` caps its length in bytes; in text mode a limit never splits a character (the line
   * runs to the end of the character the limit falls in). A switch point when it waits: a kill there keeps
   * what was read for the next call. Lines are `Uint8Array`, or strings in text mode.
   * @param limit - the longest line to return, in bytes (default: no limit); or the options
   * @param opts - `{timeout, signal}` or a bare timeout in ms; the timeout bounds the whole call
   *   (the socket's own `settimeout` bounds each wait for bytes, as Python's)
   * @throws EBADF after close; EBUSY while another `read`/`readline` of this file is in progress
   *   (one reader at a time); SocketTimeout (a socket's `timeout`); an `Error` with code
   * `ETIMEDOUT` (a pipe's `timeout`); TypeError/RangeError (the promise rejects) for a `limit`
   * that is not a non-negative integer or -1, or bad options; a pre-aborted `signal`'s reason
   * (options are checked first, also when a whole line is already buffered)
   * @example
   * ```ts
   * import { StreamServer } from 'verdant/server';
   * import { createConnection } from 'verdant/socket';
   * const server = new StreamServer(['127.0.0.1', 0], async (conn) => {
   *   await conn.sendall('one\ntwo\n');
   * });
   * await server.start();
   * const sock = await createConnection(['127.0.0.1', server.serverPort!]);
   * const file = sock.makefile();
   * const line = await file.readline(); // Uint8Array, '\n' included
   * console.log(Buffer.from(line).toString()); // one
   * file.close();
   * sock.close();
   * await server.stop();
   * ```
   */
  readline(limit?: number | WaitOptions | null, opts?: WaitOptions | number | null): Promise<T> {
    return guardCancellation(this.#readline(limit, opts));
  }

  async #readline(
    limit: number | WaitOptions | null | undefined,
    opts: WaitOptions | number | null | undefined,
  ): Promise<T> {
    if (limit !== undefined && limit !== null && typeof limit === 'object') {
      opts = limit;
      limit = -1;
    }
    const max = limit ?? -1;
    if (typeof max !== 'number') {
      throw new TypeError(
        `${this.#name}.readline: limit must be a number of bytes or options, got ${typeof max}`,
      );
    }
    if (max !== -1 && (!Number.isInteger(max) || max < 0)) {
      throw new RangeError(
        `${this.#name}.readline: limit must be a non-negative integer (or -1: none), got ${String(max)}`,
      );
    }
    if (this.#closed) throw this.#closedError('readline');
    // Bad options and a pre-aborted signal reject even when a line is buffered (no wait).
    this.#checkOpts(opts, 'readline');
    if (this.#busyReading()) throw this.#busy('readline');
    this.#reading = true;
    this.#readWait = null;
    const deadline = deadlineOf(opts);
    try {
      let from = 0;
      for (;;) {
        const i = this.#rbuf.indexOf(NL, from);
        if (i >= 0 && (max < 0 || i < max)) return this.#cut(i + 1);
        if (max >= 0 && this.#rbuf.length >= max) {
          const end = this.#limitEnd(max);
          if (end >= 0) return this.#cut(end);
        }
        from = this.#rbuf.length;
        if (this.#eof) return this.#cut(this.#rbuf.length);
        if (this.#fillNow()) continue;
        if (!(await this.#fill(leftOf(opts, deadline), 'readline')))
          return this.#cut(this.#rbuf.length);
      }
    } finally {
      this.#reading = false;
    }
  }

  /**
   * Whether a read is in progress that will resume. A read whose wait `race()` withdrew (it lost
   * the race; its promise never settles, so its `finally` never runs) left `#reading` set: the
   * file refused every later read with EBUSY (found by the breaker:
   * `race(() => f.readline(), () => sleep(30))` then `f.readline()`). Its wait is done then,
   * and what it had read is in the buffer (the bytes of the withdrawn wait went back to the
   * socket), so the next read takes over.
   */
  #busyReading(): boolean {
    if (!this.#reading) return false;
    const w = this.#readWait;
    return w === null || !w.isDone;
  }

  /**
   * A read started while another is in progress: the second would wait for new bytes while the
   * first takes what arrives, and miss a line left in the buffer (gevent refuses a second reader
   * of a socket with `ConcurrentObjectUseError`).
   */
  #busy(where: string): Error {
    return Object.assign(
      new Error(
        `${this.#name}.${where}: another read of this file is in progress (one reader at a time)`,
      ),
      { code: 'EBUSY' },
    );
  }

  /**
   * Read `n` bytes (fewer only at end of stream), or everything up to end of stream when `n`
   * is omitted. A switch point when it waits; a kill there keeps what was read.
   * @param n - how many bytes; omitted, `null` or `-1` (Python's `read(-1)`): to the end
   * @param opts - `{timeout, signal}` or a bare timeout in ms; the timeout bounds the whole call
   *   (the socket's own `settimeout` bounds each wait for bytes, as Python's)
   * @returns the bytes (a string in text mode), empty at end of stream
   * @throws EBADF after close; SocketTimeout; TypeError for an `n` that is not a number,
   *   RangeError for a fractional one or a negative one other than -1; TypeError/RangeError for bad options (an unknown key too) and a
   *   pre-aborted `signal`'s reason (checked first, also when the bytes are buffered); an `Error` with code
   *   `EBUSY` while another `read`/`readline` of this file is in progress
   * @example
   * ```ts
   * import { StreamServer } from 'verdant/server';
   * import { createConnection } from 'verdant/socket';
   * const server = new StreamServer(['127.0.0.1', 0], async (conn) => {
   *   await conn.sendall('HEADbody');
   * });
   * await server.start();
   * const sock = await createConnection(['127.0.0.1', server.serverPort!]);
   * const file = sock.makefile();
   * const header = await file.read(4);
   * const rest = await file.read(); // to end of stream
   * console.log(Buffer.from(header).toString(), Buffer.from(rest).toString()); // HEAD body
   * file.close();
   * sock.close();
   * await server.stop();
   * ```
   */
  read(n?: number | null, opts?: WaitOptions | number | null): Promise<T> {
    return guardCancellation(this.#read(n, opts));
  }

  async #read(
    n: number | null | undefined,
    opts: WaitOptions | number | null | undefined,
  ): Promise<T> {
    if (this.#closed) throw this.#closedError('read');
    if (n !== undefined && n !== null) {
      if (typeof n !== 'number') {
        throw new TypeError(`${this.#name}.read: n must be a number of bytes, got ${typeof n}`);
      }
      if (n !== -1 && (!Number.isInteger(n) || n < 0)) {
        throw new RangeError(
          `${this.#name}.read: n must be a non-negative integer (or -1: to the end), got ${n}`,
        );
      }
    }
    this.#checkOpts(opts, 'read');
    if (this.#busyReading()) throw this.#busy('read');
    this.#reading = true;
    this.#readWait = null;
    const want = n === undefined || n === null || n === -1 ? Number.POSITIVE_INFINITY : n;
    const deadline = deadlineOf(opts);
    try {
      for (;;) {
        while (this.#rbuf.length < want && !this.#eof) {
          if (this.#fillNow()) continue;
          if (!(await this.#fill(leftOf(opts, deadline), 'read'))) break;
        }
        if (this.#rbuf.length < want) return this.#cut(this.#rbuf.length);
        const end = this.#limitEnd(want);
        if (end >= 0) return this.#cut(end);
        if (this.#eof) return this.#cut(this.#rbuf.length);
        if (this.#fillNow()) continue;
        if (!(await this.#fill(leftOf(opts, deadline), 'read')))
          return this.#cut(this.#rbuf.length);
      }
    } finally {
      this.#reading = false;
    }
  }

  /**
   * Lines until end of stream, as an async iterator. Each `next()` is a `readline()`: a kill or
   * `Timeout` there keeps what was read, and a forgotten `next()` ended by one is no unhandled
   * rejection (each step's promise is guarded, as the other reads). A `next()` withdrawn by
   * `race()` (`race(() => lines.next(), () => sleep(1000))`, an idle timeout) leaves the
   * iterator usable: the next `next()` reads on (an async generator's step that never settles
   * held every later `next()` for good; found by the breaker).
   */
  [Symbol.asyncIterator](): AsyncGenerator<T> {
    const it = Object.create(this.#lines()) as AsyncGenerator<T>;
    let done = false;
    const end = (value?: unknown): IteratorResult<T> => ({ done: true, value });
    it.next = () => {
      if (done) return Promise.resolve(end());
      return guardCancellation(
        this.readline().then((line): IteratorResult<T> => {
          if (line.length > 0) return { done: false, value: line };
          done = true;
          return end();
        }),
      );
    };
    it.return = (v) => {
      done = true;
      return Promise.resolve(end(v));
    };
    it.throw = (e: unknown) => {
      done = true;
      return Promise.reject(e);
    };
    it[Symbol.asyncIterator] = () => it;
    return it;
  }

  /** The prototype of the iterator above (an async generator's: `Symbol.asyncDispose` …). */
  async *#lines(): AsyncGenerator<T> {}

  /**
   * Queue `data` (bytes — a Uint8Array, any other ArrayBufferView such as a DataView or an
   * Int16Array, or an ArrayBuffer — or a UTF-8 string); sends the queue once `writeBuffer` bytes are
   * waiting (8 KiB on a socket's file; a pipe sends every write, waiting while it is full).
   * Resolves the number of bytes queued (the byte length). A switch point only when it sends: a kill or `Timeout`
   * there (or the `timeout`) keeps queued the bytes the socket had not taken, and the next
   * `flush` sends them, each once and in order (CPython's BufferedWriter). One send at a time: a
   * send while another is in progress waits for its turn.
   * @throws EBADF after close; TypeError for other data; the pipe's error (`EPIPE` once the
   * child has exited)
   * @example
   * ```ts
   * import { StreamServer } from 'verdant/server';
   * import { createConnection } from 'verdant/socket';
   * const server = new StreamServer(['127.0.0.1', 0], async (conn) => {
   *   for (let d = await conn.recv(4096); d.length > 0; d = await conn.recv(4096)) await conn.sendall(d);
   * });
   * await server.start();
   * const sock = await createConnection(['127.0.0.1', server.serverPort!]);
   * const file = sock.makefile();
   * await file.write('HELO\r\n'); // buffered
   * await file.flush(); // now sent
   * console.log(Buffer.from(await file.readline()).toString()); // HELO
   * file.close();
   * sock.close();
   * await server.stop();
   * ```
   */
  write(
    data: ArrayBufferView | ArrayBuffer | string,
    opts?: WaitOptions | number | null,
  ): Promise<number> {
    return guardCancellation(this.#write(data, opts));
  }

  async #write(
    data: ArrayBufferView | ArrayBuffer | string,
    opts: WaitOptions | number | null | undefined,
  ): Promise<number> {
    if (this.#closed) throw this.#closedError('write');
    // Any view (DataView, Int16Array …) is its bytes, as `sendall` takes it (Python's write
    // takes any bytes-like object).
    const bytes =
      typeof data === 'string' ? Buffer.from(data) : bytesOf(data, `${this.#name}.write`);
    if (bytes instanceof TypeError) throw bytes;
    if (bytes === null) {
      throw new TypeError(
        `${this.#name}.write: data must be a Uint8Array (or another ArrayBufferView, or an ArrayBuffer) or a string, got ${data === null ? 'null' : typeof data}`,
      );
    }
    this.#checkOpts(opts, 'write');
    // A copy (as Python's BufferedWriter): the caller may refill its array before the flush.
    this.#wbuf.push(typeof data === 'string' ? bytes : Buffer.from(bytes));
    this.#wlen += bytes.length;
    if (this.#wlen >= this.#writeBuffer) await this.#send(opts, 'write');
    return bytes.length;
  }

  /**
   * Throw what bad options (or an aborted `signal`) make the call reject with, before any byte
   * leaves the write buffer: a refused `flush` keeps them for the next one.
   */
  #checkOpts(opts: unknown, method: string): void {
    const err = readWaitOptions(opts, `${this.#name}.${method}`);
    if (err !== NONE) throw err;
  }

  /**
   * End a send that `race()` withdrew while it waited for the socket (it lost a race, or its
   * greenlet died with it pending): its promise never settles, so its own `catch`/`finally`
   * never run. Put back what the socket did not take, before what was written since, and pass
   * the turn on, as they would have. Without this, the turn stayed taken for good: every later
   * `flush` waited forever and the bytes written after never left (found by the breaker:
   * `race(() => f.write(big), () => sleep(20))`, then `f.flush()`).
   */
  #reapSend(): void {
    const f = this.#inflight;
    if (f === null) return;
    const w = f.progress.wait;
    if (w === undefined || w === null || !w.isDone) return;
    this.#inflight = null;
    const { data, progress } = f;
    if (!this.#closed && progress.sent < data.length) {
      this.#wbuf.unshift(data.subarray(progress.sent));
      this.#wlen += data.length - progress.sent;
    }
    if (this.#turns === null) this.#sending = false;
    else this.#turns.pass();
  }

  /**
   * Send what is queued. One send at a time: a second waits for its turn (a send handing its
   * bytes to the socket while an earlier one waits would overtake the earlier one's rest). What
   * the raw stream did not take when the send is interrupted (a kill, a `Timeout`, its timeout,
   * an error) goes back to the head of the queue, before what was written meanwhile: the next
   * flush sends it, once and in order (CPython's BufferedWriter keeps unsent bytes the same way).
   */
  async #send(opts: WaitOptions | number | null | undefined, method: string): Promise<void> {
    this.#reapSend();
    if (this.#wlen === 0 && !this.#sending) return;
    if (this.#sending) {
      readWaitOptions(opts, `${this.#name}.${method}`); // checked already: sets waitArgs
      // The hub's clock, as the wait for the turn: on a virtual hub real time stands still.
      const hub = getHub();
      const deadline = waitArgs.timeout === null ? null : hub.now() + waitArgs.timeout;
      const signal = waitArgs.signal;
      this.#turns ??= new SendTurns(() => {
        this.#sending = false;
      });
      await this.#turns.park(waitArgs.timeout, signal);
      if (deadline !== null) {
        opts = { timeout: Math.max(0, deadline - hub.now()), signal };
      }
    } else this.#sending = true;
    try {
      if (this.#closed) throw this.#closedError(method);
      if (this.#wlen === 0) return;
      const data =
        this.#wbuf.length === 1 ? (this.#wbuf[0] as Uint8Array) : Buffer.concat(this.#wbuf);
      this.#wbuf = [];
      this.#wlen = 0;
      const progress: SendProgress = { sent: 0 };
      this.#inflight = { data, progress };
      try {
        await this.#raw._fileSend(data, opts, progress, `${this.#name}.${method}`);
      } catch (e) {
        if (!this.#closed && progress.sent < data.length) {
          this.#wbuf.unshift(data.subarray(progress.sent));
          this.#wlen += data.length - progress.sent;
        }
        throw e;
      } finally {
        this.#inflight = null;
      }
    } finally {
      if (this.#turns === null) this.#sending = false;
      else this.#turns.pass();
    }
  }

  /**
   * Send what `write` queued; resolves when it has left our process (a switch point while the
   * socket's or the pipe's buffer is full). A kill or `Timeout` there (or the `timeout`) keeps
   * the bytes the socket had not taken for the next `flush`: nothing is lost and nothing is sent
   * twice (CPython's BufferedWriter). One send at a time: a `flush` while another send of this
   * file is in progress waits for it first (BufferedWriter's lock), so bytes leave in the order
   * they were written.
   * @param opts - `{timeout, signal}` or a bare timeout in ms (it bounds the wait for the turn too)
   * @throws EBADF after close (also when the file is closed while the flush waits its turn);
   *   SocketTimeout; the socket's or the pipe's error (`EPIPE` …)
   * @example
   * ```ts
   * import { StreamServer } from 'verdant/server';
   * import { createConnection } from 'verdant/socket';
   * const server = new StreamServer(['127.0.0.1', 0], async (conn) => {
   *   for (let d = await conn.recv(4096); d.length > 0; d = await conn.recv(4096)) await conn.sendall(d);
   * });
   * await server.start();
   * const sock = await createConnection(['127.0.0.1', server.serverPort!]);
   * const file = sock.makefile();
   * await file.write('ping\n');
   * await file.flush(); // waits until the socket took every byte
   * console.log(Buffer.from(await file.readline()).toString()); // ping
   * file.close();
   * sock.close();
   * await server.stop();
   * ```
   */
  flush(opts?: WaitOptions | number | null): Promise<void> {
    return guardCancellation(this.#flush(opts));
  }

  async #flush(opts: WaitOptions | number | null | undefined): Promise<void> {
    if (this.#closed) throw this.#closedError('flush');
    this.#checkOpts(opts, 'flush');
    await this.#send(opts, 'flush');
    if (this.#raw._fileFlush !== undefined) await this.#raw._fileFlush(opts);
  }

  /**
   * Close the file (unsent writes are dropped: `flush()` first). A socket's connection closes
   * when its socket is closed too; a pipe's end closes at once (the child reads end of file
   * once it has read what was sent). Never switches; a second call does nothing.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#rbuf = EMPTY;
    this.#wbuf = [];
    this.#wlen = 0;
    this.#release();
  }
}

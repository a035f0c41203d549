/**
 * File objects over a child's pipes: {@link PipeReader} (its stdout/stderr) and
 * {@link PipeWriter} (its stdin), with the blocking-style API of a socket's `makefile()` —
 * `readline()`, `read(n?)`, `write()`, `flush()`, `close()` — each wait a verdant wait.
 *
 * Design note.
 * - Nothing is lost: bytes live in this file's buffer, never in a waiter. A reader only waits for
 *   "more bytes or end of stream"; when it resumes it takes what it needs from the buffer. A read
 *   interrupted by a kill or `Timeout` took nothing, so the next read gets every byte
 *   (test/process/subprocess.test.ts "a killed readline loses no bytes").
 * - Bounded read-ahead: the Node stream is paused once 64 KiB wait in the buffer and resumed when
 *   a read takes them, so a chatty child cannot fill our memory (the pipe back-pressures it).
 * - Every stream error is caught here (an `EPIPE` on stdin after the child exited): it is kept
 *   and thrown by the next call, never an unhandled `'error'` event.
 * - While a read or a write waits, the file counts as I/O in flight on the hub ({@link ioStarted}).
 *
 * To unify with `src/io/fileobject.ts` (sockets' `makefile()`) once both exist on one branch.
 *
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import { TextDecoder } from 'node:util';
import { getHub, type Hub } from '../core/hub.js';
import {
  ioEnded,
  ioStarted,
  NONE,
  readWaitOptions,
  Waiter,
  WaitList,
  type WaitOptions,
  waitArgs,
} from '../core/lowlevel.js';

const HIGH_WATER = 64 * 1024;
const EMPTY = new Uint8Array(0);

/** Thrown by a wait's own `timeout` option here; the caller turns it into its error. @internal */
export const PIPE_TIMED_OUT: unique symbol = Symbol('pipe timed out');

function throwTimedOut(): never {
  throw PIPE_TIMED_OUT;
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A wait on a Node stream event, counted as I/O in flight while it lasts. */
class StreamWaits extends WaitList {
  readonly #hub: Hub;
  constructor(hub: Hub) {
    super();
    this.#hub = hub;
  }
  wait(opts: { timeout: number | null; signal: AbortSignal | null }): Promise<unknown> {
    const w = new Waiter(this, throwTimedOut);
    this.push(w);
    ioStarted(this.#hub);
    w.data = this.#hub;
    return w.start(opts.timeout, opts.signal);
  }
  /** Wake every waiter (they re-check the state themselves). */
  wakeEvery(): void {
    for (let w = this.shift(); w !== null; w = this.shift()) {
      this.#done(w);
      w.wake();
    }
  }
  #done(w: Waiter): void {
    if (w.data !== null) {
      ioEnded(w.data as Hub);
      w.data = null;
    }
  }
  override abortWait(w: Waiter, held: boolean): void {
    this.#done(w);
    if (!held) this.remove(w);
  }
}

/**
 * The reading end of a child's pipe (`proc.stdout`, `proc.stderr`): `readline()`, `read(n?)`.
 * Reads return `Uint8Array` (or strings when the process was started with `text: true`), empty
 * at end of stream. Every read is a verdant wait: kill and `Timeout` land there and take no byte.
 *
 * Source: gevent's `FileObjectPosix` over a subprocess pipe (`Popen.stdout`).
 */
export class PipeReader<T extends string | Uint8Array = Uint8Array> {
  readonly #stream: Readable;
  readonly #text: boolean;
  readonly #decoder: TextDecoder | null;
  #chunks: Uint8Array[] = [];
  #size = 0;
  #eof = false;
  #error: unknown = null;
  #paused = false;
  readonly #waits: StreamWaits;

  /** @internal */
  constructor(stream: Readable, text: boolean) {
    this.#stream = stream;
    this.#text = text;
    this.#decoder = text ? new TextDecoder() : null;
    this.#waits = new StreamWaits(getHub());
    stream.on('data', (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#size += chunk.length;
      if (this.#size >= HIGH_WATER && !this.#paused) {
        this.#paused = true;
        stream.pause();
      }
      this.#waits.wakeEvery();
    });
    stream.on('end', () => {
      this.#eof = true;
      this.#waits.wakeEvery();
    });
    stream.on('close', () => {
      this.#eof = true;
      this.#waits.wakeEvery();
    });
    stream.on('error', (err) => {
      this.#error = err;
      this.#eof = true;
      this.#waits.wakeEvery();
    });
  }

  /** Whether the end of the stream has been reached and every byte read. */
  get closed(): boolean {
    return this.#eof && this.#size === 0;
  }

  /**
   * Read one line, `\n` included; at end of stream what is left (empty once nothing is).
   * A switch point while no full line is buffered: kill and `Timeout` land there and take no
   * byte. `timeout` (ms) elapsing rejects with an `Error` whose message says so.
   * @param opts - `{timeout, signal}` or a bare timeout in ms
   * @returns the line
   * @example
   * ```ts
   * import { PIPE, Popen } from 'verdant/subprocess';
   * const p = new Popen(['sh', '-c', 'echo one; echo two'], { stdout: PIPE, text: true });
   * console.log(await p.stdout!.readline()); // 'one\n'
   * console.log(await p.stdout!.readline()); // 'two\n'
   * await p.wait();
   * ```
   */
  async readline(opts?: WaitOptions | number): Promise<T> {
    const err = readWaitOptions(opts, 'readline');
    if (err !== NONE) throw err;
    const o = { timeout: waitArgs.timeout, signal: waitArgs.signal };
    for (;;) {
      const nl = this.#indexOfNewline();
      if (nl >= 0) return this.#out(this.#take(nl + 1));
      if (this.#eof) return this.#out(this.#take(this.#size));
      await this.#waitMore(o);
    }
  }

  /**
   * Read `n` bytes (fewer only at end of stream), or without `n` everything up to the end of
   * the stream. A switch point until that many bytes have come: kill and `Timeout` land there
   * and take no byte.
   * @param n - how many bytes; omitted: to the end
   * @param opts - `{timeout, signal}` or a bare timeout in ms
   * @returns the bytes (a string in text mode), empty at end of stream
   * @example
   * ```ts
   * import { PIPE, Popen } from 'verdant/subprocess';
   * const p = new Popen(['echo', 'hello'], { stdout: PIPE, text: true });
   * console.log(await p.stdout!.read()); // 'hello\n' (everything, up to EOF)
   * await p.wait();
   * ```
   */
  async read(n?: number | null, opts?: WaitOptions | number): Promise<T> {
    if (n !== undefined && n !== null && !(Number.isInteger(n) && n >= 0)) {
      throw new RangeError(`Cannot read a negative or fractional number of bytes: n is ${n}`);
    }
    const err = readWaitOptions(opts, 'read');
    if (err !== NONE) throw err;
    const o = { timeout: waitArgs.timeout, signal: waitArgs.signal };
    const want = n ?? Number.POSITIVE_INFINITY;
    while (this.#size < want && !this.#eof) await this.#waitMore(o);
    return this.#out(this.#take(Math.min(want, this.#size)));
  }

  /** Everything buffered now, without waiting (what `TimeoutExpired` carries). @internal */
  _drain(): Uint8Array {
    return this.#take(this.#size);
  }

  /** Close our end of the pipe at once (also when a grandchild holds the other end). */
  close(): void {
    this.#eof = true;
    this.#stream.destroy();
    this.#waits.wakeEvery();
  }

  /** @internal Decode bytes as the file's mode says. */
  _out(bytes: Uint8Array): T {
    return this.#out(bytes);
  }

  #out(bytes: Uint8Array): T {
    if (this.#error !== null && bytes.length === 0 && this.#size === 0) {
      const e = this.#error;
      this.#error = null;
      throw e;
    }
    if (this.#decoder === null) return bytes as T;
    return this.#decoder.decode(bytes, { stream: !this.closed }) as T;
  }

  #indexOfNewline(): number {
    let base = 0;
    for (const c of this.#chunks) {
      const i = c.indexOf(10);
      if (i >= 0) return base + i;
      base += c.length;
    }
    return -1;
  }

  #take(n: number): Uint8Array {
    if (n === 0) return EMPTY;
    const parts: Uint8Array[] = [];
    let left = n;
    while (left > 0) {
      const c = this.#chunks[0] as Uint8Array;
      if (c.length <= left) {
        parts.push(c);
        this.#chunks.shift();
        left -= c.length;
      } else {
        parts.push(c.subarray(0, left));
        this.#chunks[0] = c.subarray(left);
        left = 0;
      }
    }
    this.#size -= n;
    if (this.#paused && this.#size < HIGH_WATER) {
      this.#paused = false;
      this.#stream.resume();
    }
    return concat(parts, n);
  }

  #waitMore(o: { timeout: number | null; signal: AbortSignal | null }): Promise<unknown> {
    if (this.#paused) {
      this.#paused = false;
      this.#stream.resume();
    }
    return this.#waits.wait(o);
  }

  /** Whether this file decodes to strings. @internal */
  get _text(): boolean {
    return this.#text;
  }
}

/**
 * The writing end of a child's pipe (`proc.stdin`): `write()`, `flush()`, `close()`.
 * `write` waits while the pipe is full (back-pressure); `flush` waits until Node handed every
 * byte to the kernel. Both are verdant waits: kill and `Timeout` land there.
 *
 * Source: gevent's `FileObjectPosix` over a subprocess pipe (`Popen.stdin`).
 */
export class PipeWriter {
  readonly #stream: Writable;
  #error: unknown = null;
  #closed = false;
  readonly #waits: StreamWaits;

  /** @internal */
  constructor(stream: Writable) {
    this.#stream = stream;
    this.#waits = new StreamWaits(getHub());
    stream.on('drain', () => this.#waits.wakeEvery());
    stream.on('error', (err) => {
      this.#error = err;
      this.#waits.wakeEvery();
    });
    stream.on('close', () => this.#waits.wakeEvery());
  }

  /** Whether `close()` was called or the pipe broke. */
  get closed(): boolean {
    return this.#closed || this.#stream.destroyed;
  }

  /**
   * Write `data` (a string is UTF-8). Waits while the pipe is full: a switch point where kill and
   * `Timeout` land (what Node already took still goes out). Rejects with the pipe's error
   * (`EPIPE` once the child has exited) or with an `Error` after `close()`.
   * @param data - bytes or a string
   * @param opts - `{timeout, signal}` or a bare timeout in ms
   * @example
   * ```ts
   * import { PIPE, Popen } from 'verdant/subprocess';
   * const p = new Popen(['cat'], { stdin: PIPE, stdout: PIPE, text: true });
   * await p.stdin!.write('hello\n');
   * p.stdin!.close();
   * console.log(await p.stdout!.read()); // 'hello\n'
   * await p.wait();
   * ```
   */
  async write(data: Uint8Array | string, opts?: WaitOptions | number): Promise<void> {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
      throw new TypeError(
        `Cannot write this to a pipe: expected bytes or a string, got ${typeof data}`,
      );
    }
    const err = readWaitOptions(opts, 'write');
    if (err !== NONE) throw err;
    const o = { timeout: waitArgs.timeout, signal: waitArgs.signal };
    this.#check();
    if (this.#stream.write(data)) return;
    while (this.#stream.writableNeedDrain && !this.#stream.destroyed && this.#error === null) {
      await this.#waits.wait(o);
    }
    this.#check();
  }

  /**
   * Wait until every byte written so far has been handed to the kernel. A switch point.
   * @param opts - `{timeout, signal}` or a bare timeout in ms
   */
  async flush(opts?: WaitOptions | number): Promise<void> {
    const err = readWaitOptions(opts, 'flush');
    if (err !== NONE) throw err;
    const o = { timeout: waitArgs.timeout, signal: waitArgs.signal };
    while (this.#stream.writableLength > 0 && !this.#stream.destroyed && this.#error === null) {
      await this.#waits.wait(o);
    }
    this.#check();
  }

  /** Close our end: the child reads end of file once it has read what was written. Never waits. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stream.end();
  }

  /** Close our end at once, dropping what Node still holds. @internal */
  _destroy(): void {
    this.#closed = true;
    this.#stream.destroy();
  }

  #check(): void {
    if (this.#error !== null) throw this.#error;
    if (this.#closed) throw new Error('Cannot write to a closed pipe');
    if (this.#stream.destroyed) {
      throw Object.assign(new Error('Cannot write to a pipe the child closed'), { code: 'EPIPE' });
    }
  }
}

/**
 * A child's pipes as verdant file objects: {@link PipeReader} (its stdout/stderr) and
 * {@link PipeWriter} (its stdin) are `FileObject`s (src/io/fileobject.ts, the one buffered file
 * of verdant, also `Socket.makefile()`'s) over {@link PipeStream}, the raw side of a Node pipe:
 * "the next chunk" and "send these bytes", each a verdant wait.
 *
 * Design note.
 * - Nothing is lost: bytes live in this stream's chunk list until a read takes them, never in a
 *   waiter. A reader only waits for "more bytes or end of stream"; when it resumes it takes what
 *   is there. A read interrupted by a kill or `Timeout` took nothing, so the next read gets every
 *   byte (test/process/subprocess.test.ts "a killed readline loses no bytes").
 * - Bounded read-ahead: the Node stream is paused once 64 KiB wait here and resumed when a read
 *   takes them, so a chatty child cannot fill our memory (the pipe back-pressures it). Whoever
 *   waits on one pipe while the child blocks writing another must read both at once:
 *   `communicate()` feeds stdin and reads stdout and stderr together (subprocess.ts) for that.
 * - Every stream error is caught here (an `EPIPE` on stdin after the child exited): it is kept
 *   and thrown by the next call, never an unhandled `'error'` event.
 * - While a read or a write waits, the stream counts as I/O in flight on the hub ({@link ioStarted}).
 * - A wait's own `timeout` rejects with a {@link PipeTimeout} (`code` `'ETIMEDOUT'`).
 * - Our end closed by the reading file's `close()` wakes the greenlets waiting in a read with
 *   EBADF, as a socket's `close()` does (test/process/pipefile.test.ts); closed because the child
 *   is killed and reaped (a `timeout`), its readers see end of stream instead, and what is
 *   buffered stays for `run`'s `TimeoutExpired`.
 *
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import { getHub, type Hub } from '../core/hub.js';
import {
  currentFiber,
  ioEnded,
  ioStarted,
  lastWait,
  NONE,
  parkedSince,
  readWaitOptions,
  rejectWait,
  Waiter,
  WaitList,
  waitArgs,
} from '../core/lowlevel.js';
import { FileObject, type RawFile, type SendProgress } from '../io/fileobject.js';

const HIGH_WATER = 64 * 1024;
const EMPTY = new Uint8Array(0);

/** A pipe read or write whose `timeout` option elapsed. @internal */
export class PipeTimeout extends Error {
  readonly code = 'ETIMEDOUT';
  constructor() {
    super('timed out waiting on a pipe');
    this.name = 'PipeTimeout';
  }
}

function throwPipeTimeout(): never {
  throw new PipeTimeout();
}

/** Waits on a Node stream event, each counted as I/O in flight while it lasts. */
class StreamWaits extends WaitList {
  readonly #hub: Hub;
  constructor(hub: Hub, target: object) {
    super(target);
    this.#hub = hub;
  }
  wait(opts: unknown, where: string): Promise<unknown> {
    const err = readWaitOptions(opts, where);
    if (err !== NONE) return rejectWait(err);
    const w = new Waiter(this, throwPipeTimeout);
    this.push(w);
    ioStarted(this.#hub);
    w.data = this.#hub;
    return w.start(waitArgs.timeout, waitArgs.signal);
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
 * The raw side of one of a child's pipes, readable (stdout, stderr) or writable (stdin).
 * @internal
 */
export class PipeStream implements RawFile {
  readonly #readable: Readable | null;
  readonly #writable: Writable | null;
  #chunks: Uint8Array[] = [];
  #size = 0;
  #eof = false;
  #error: unknown = null;
  #paused = false;
  /** Our end was closed by the file's `close()`: a read fails with EBADF. */
  #closed = false;
  readonly #waits: StreamWaits;

  constructor(stream: Readable | Writable, readable: boolean, owner: object) {
    this.#waits = new StreamWaits(getHub(), owner);
    if (readable) {
      const r = stream as Readable;
      this.#readable = r;
      this.#writable = null;
      r.on('data', (chunk: Uint8Array) => {
        this.#chunks.push(chunk);
        this.#size += chunk.length;
        if (this.#size >= HIGH_WATER && !this.#paused) {
          this.#paused = true;
          r.pause();
        }
        this.#waits.wakeEvery();
      });
      r.on('end', () => this.#end());
      r.on('close', () => this.#end());
    } else {
      const w = stream as Writable;
      this.#readable = null;
      this.#writable = w;
      w.on('drain', () => this.#waits.wakeEvery());
      w.on('close', () => this.#waits.wakeEvery());
    }
    stream.on('error', (err) => {
      this.#error = err;
      this.#eof = true;
      this.#waits.wakeEvery();
    });
  }

  #end(): void {
    this.#eof = true;
    this.#waits.wakeEvery();
  }

  /**
   * What a read can take now, without waiting (see RawFile._fileTryRead): null when it must
   * wait or would fail (`_fileRecv` then does). Without it a readline that found part of a line
   * here went on in microtasks after race() had looked, and parked a wait race() never saw: it
   * lost the race yet took the next line, and the file refused other reads (EBUSY).
   */
  _fileTryRead(n: number): Uint8Array | null {
    if (this.#readable === null || this.#closed) return null;
    if (this.#size > 0) return this.#take(Math.min(n, this.#size));
    if (this.#error === null && this.#eof) return EMPTY;
    return null;
  }

  async _fileRecv(n: number, opts: unknown): Promise<Uint8Array> {
    if (this.#readable === null) throw new Error('Cannot read from a pipe opened for writing');
    for (;;) {
      if (this.#closed) throw pipeClosedInOther();
      if (this.#size > 0) return this.#take(Math.min(n, this.#size));
      if (this.#error !== null) {
        const e = this.#error;
        this.#error = null;
        throw e;
      }
      if (this.#eof) return EMPTY;
      if (this.#paused) {
        this.#paused = false;
        this.#readable.resume();
      }
      await this.#waits.wait(opts, 'read');
    }
  }

  async _fileSend(data: Uint8Array, opts: unknown, progress: SendProgress): Promise<void> {
    const w = this.#writable;
    if (w === null) throw new Error('Cannot write to a pipe opened for reading');
    this.#check(w);
    const taken = w.write(data);
    progress.sent = data.length; // the pipe has them all (it may ask us to wait for 'drain')
    if (taken) return;
    while (w.writableNeedDrain && !w.destroyed && this.#error === null) {
      const fiber = currentFiber();
      const before = lastWait(fiber);
      const p = this.#waits.wait(opts, 'write');
      // The wait parked: the file tells a send race() withdrew by it (SendProgress).
      progress.wait = parkedSince(fiber, before);
      await p;
    }
    this.#check(w);
  }

  async _fileFlush(opts: unknown): Promise<void> {
    const w = this.#writable;
    if (w === null) return;
    while (w.writableLength > 0 && !w.destroyed && this.#error === null) {
      await this.#waits.wait(opts, 'flush');
    }
    this.#check(w);
  }

  _fileDrain(): Uint8Array {
    return this.#take(this.#size);
  }

  /** Close our end at once (also when a grandchild holds the other end); what is buffered stays. */
  destroy(): void {
    this.#eof = true;
    (this.#readable ?? this.#writable)?.destroy();
    this.#waits.wakeEvery();
  }

  /** The reading file was closed: close our end; a read waiting now fails with EBADF. */
  close(): void {
    this.#closed = true;
    this.destroy();
  }

  /** Our end of a stdin pipe: the child reads end of file once it has read what was written. */
  end(): void {
    this.#writable?.end();
  }

  #check(w: Writable): void {
    if (this.#error !== null) throw this.#error;
    if (w.destroyed) {
      throw Object.assign(new Error('Cannot write to a pipe the child closed'), { code: 'EPIPE' });
    }
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
      this.#readable?.resume();
    }
    return parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts);
  }
}

function pipeClosed(where: string): Error {
  const what = where === 'write' ? 'write to' : 'read from';
  return Object.assign(new Error(`PipeFile.${where}: cannot ${what} a closed pipe`), {
    code: 'EBADF',
  });
}

/** A waiting read/readline woken by `close()`: the raw stream does not know which it was. */
function pipeClosedInOther(): Error {
  return Object.assign(
    new Error('PipeFile: the pipe was closed in another greenlet while a read waited (EBADF)'),
    { code: 'EBADF' },
  );
}

/**
 * The reading end of a child's pipe (`proc.stdout`, `proc.stderr`): a verdant file object —
 * `readline()`, `read(n?)`, `for await` over lines. Reads return `Uint8Array` (strings when the
 * process was started with `text: true`), empty at end of stream. Every read is a verdant wait:
 * kill and `Timeout` land there and take no byte; its `timeout` option elapsing rejects with an
 * `Error` whose `code` is `'ETIMEDOUT'`. `close()` closes our end at once; a read waiting in
 * another greenlet then rejects with EBADF, as on a closed socket.
 * @example
 * ```ts
 * import { PIPE, Popen } from 'verdant/subprocess';
 * const p = new Popen(['sh', '-c', 'echo one; echo two'], { stdout: PIPE, text: true });
 * console.log(await p.stdout!.readline()); // 'one\n'
 * console.log(await p.stdout!.read()); // 'two\n' (everything, up to end of stream)
 * await p.wait();
 * ```
 *
 * Source: gevent's `FileObjectPosix` over a subprocess pipe (`Popen.stdout`).
 */
export class PipeReader<T extends string | Uint8Array = Uint8Array> extends FileObject<T> {
  /** @internal */
  constructor(raw: PipeStream, text: boolean) {
    super(raw, () => raw.close(), {
      text,
      writeBuffer: 0,
      closedError: pipeClosed,
      name: 'PipeFile',
    });
  }
}

/**
 * The writing end of a child's pipe (`proc.stdin`): a verdant file object — `write()`,
 * `flush()`, `close()`. `write` sends at once and waits while the pipe is full (back-pressure);
 * `flush` waits until Node handed every byte to the kernel. Both are verdant waits: kill and
 * `Timeout` land there (what Node already took still goes out). They reject with the pipe's
 * error (`EPIPE` once the child has exited) or with an `Error` after `close()`, which ends our
 * side: the child reads end of file once it has read what was written.
 * @example
 * ```ts
 * import { PIPE, Popen } from 'verdant/subprocess';
 * const p = new Popen(['cat'], { stdin: PIPE, stdout: PIPE, text: true });
 * await p.stdin!.write('hello\n');
 * p.stdin!.close();
 * console.log(await p.stdout!.read()); // 'hello\n'
 * await p.wait();
 * ```
 *
 * Source: gevent's `FileObjectPosix` over a subprocess pipe (`Popen.stdin`).
 */
export class PipeWriter extends FileObject<Uint8Array> {
  /** @internal */
  constructor(raw: PipeStream) {
    super(raw, () => raw.end(), { writeBuffer: 0, closedError: pipeClosed, name: 'PipeFile' });
  }
}

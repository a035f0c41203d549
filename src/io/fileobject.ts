/**
 * The buffered file of `Socket.makefile()`: `readline()`, `read(n)`, `write()`, `flush()`,
 * `close()` over a stream socket, as Python's `socket.makefile('rwb')`.
 *
 * Design note — what a kill leaves. Reads take whole chunks from the socket into the file's own
 * buffer and only then cut them, so a `readline()` interrupted mid-line keeps what it read in
 * that buffer: the next `readline()` starts with it (nothing lost). `write` queues bytes and
 * sends once 8 KiB are queued; `flush()` sends the rest. The file holds a reference on its
 * socket: the connection closes when the socket and every file are closed (Python's
 * `_io_refs`; gevent's test__makefile_ref). Tests: test/io/makefile.test.ts.
 *
 * @module
 */
import type { WaitOptions } from '../core/lowlevel.js';
import { badFd } from './_errors.js';
import type { Socket } from './socket.js';

/** `write` sends once this many bytes are queued. */
const WRITE_BUFFER = 8 * 1024;
const NL = 10;

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
export class FileObject {
  #sock: Socket;
  #release: () => void;
  #rbuf: Uint8Array = new Uint8Array(0);
  #wbuf: Uint8Array[] = [];
  #wlen = 0;
  #closed = false;

  /** @internal Made by `Socket.makefile()`. */
  constructor(sock: Socket, release: () => void) {
    this.#sock = sock;
    this.#release = release;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  async #fill(opts: WaitOptions | number | null | undefined): Promise<boolean> {
    const chunk = await this.#sock._fileRecv(65536, opts);
    if (chunk.length === 0) return false;
    this.#rbuf = this.#rbuf.length === 0 ? chunk : Buffer.concat([this.#rbuf, chunk]);
    return true;
  }

  #cut(n: number): Uint8Array {
    const out = this.#rbuf.subarray(0, n);
    this.#rbuf = this.#rbuf.subarray(n);
    return out;
  }

  /**
   * Read one line, up to and including `\n` (or what is left at end of stream; empty after
   * it). `limit` caps its length in bytes. A switch point when it waits: a kill there keeps
   * what was read for the next call.
   * @throws EBADF after close; SocketTimeout
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
  async readline(limit = -1, opts?: WaitOptions | number | null): Promise<Uint8Array> {
    if (this.#closed) throw badFd('SocketFile.readline');
    let from = 0;
    for (;;) {
      const i = this.#rbuf.indexOf(NL, from);
      if (i >= 0 && (limit < 0 || i < limit)) return this.#cut(i + 1);
      if (limit >= 0 && this.#rbuf.length >= limit) return this.#cut(limit);
      from = this.#rbuf.length;
      if (!(await this.#fill(opts))) return this.#cut(this.#rbuf.length);
    }
  }

  /**
   * Read `n` bytes (fewer only at end of stream), or everything up to end of stream when `n`
   * is omitted. A switch point when it waits.
   * @throws EBADF after close; SocketTimeout; RangeError for a bad `n`
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
  async read(n?: number, opts?: WaitOptions | number | null): Promise<Uint8Array> {
    if (this.#closed) throw badFd('SocketFile.read');
    if (n !== undefined && (!Number.isInteger(n) || n < 0)) {
      throw new RangeError(`SocketFile.read: n must be a non-negative integer, got ${String(n)}`);
    }
    while (n === undefined || this.#rbuf.length < n) {
      if (!(await this.#fill(opts))) break;
    }
    return this.#cut(n === undefined ? this.#rbuf.length : Math.min(n, this.#rbuf.length));
  }

  /** Lines until end of stream, as an async iterator. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }

  /**
   * Queue `data` (bytes or a UTF-8 string); sends the queue once 8 KiB are waiting. Resolves
   * the number of bytes queued. A switch point only when it sends.
   * @throws EBADF after close; TypeError for other data
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
  async write(data: Uint8Array | string, opts?: WaitOptions | number | null): Promise<number> {
    if (this.#closed) throw badFd('SocketFile.write');
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    if (!(bytes instanceof Uint8Array)) {
      throw new TypeError(
        `SocketFile.write: data must be a Uint8Array or a string, got ${typeof data}`,
      );
    }
    this.#wbuf.push(bytes);
    this.#wlen += bytes.length;
    if (this.#wlen >= WRITE_BUFFER) await this.flush(opts);
    return bytes.length;
  }

  /**
   * Send what `write` queued; resolves when the socket has accepted it (a switch point while
   * Node's buffer is full).
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
  async flush(opts?: WaitOptions | number | null): Promise<void> {
    if (this.#wlen === 0) return;
    const data =
      this.#wbuf.length === 1 ? (this.#wbuf[0] as Uint8Array) : Buffer.concat(this.#wbuf);
    this.#wbuf = [];
    this.#wlen = 0;
    await this.#sock._fileSend(data, opts);
  }

  /**
   * Close the file (unsent writes are dropped: `flush()` first). The connection closes when
   * its socket is closed too. Never switches; a second call does nothing.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#rbuf = new Uint8Array(0);
    this.#wbuf = [];
    this.#wlen = 0;
    this.#release();
  }
}

/**
 * `verdant/backdoor`: `BackdoorServer`, a `StreamServer` that gives each connection a JavaScript
 * REPL (`node:repl`) running inside the program — gevent's backdoor.
 *
 * Design note.
 * - Each connection is handled in its own greenlet (the server's). It reads the socket with
 *   verdant `recv` and gives the REPL one line at a time, the next only once the one before has
 *   answered (its prompt, after any top-level await), so lines run in order and `quit()` ends
 *   the session after the lines before it have answered, as in gevent (test: "lines run one at
 *   a time, in order …"); the REPL's output goes
 *   into a verdant `Queue` that a writer greenlet of the session drains with `sendall`, so every
 *   socket wait is a verdant wait and a stopped server kills a session like any handler.
 * - Code typed in a session runs in the program's hub: `await sleep(100)` there (top-level
 *   `await`) blocks only that client. A syntax error or a throw is printed by the REPL (name and
 *   message) and the session goes on; EOF ends it once what was sent has been evaluated (its
 *   awaits included); a client that vanishes mid-line, or sends
 *   garbage, ends only its own session.
 * - Security: a loopback listener (`127.0.0.0/8`, `::1`, `localhost`) or a Unix path needs no
 *   token; any other address without `token` throws in the constructor, before anything
 *   listens. With `token`, the first line must be the token, else the connection is closed
 *   before anything is evaluated or sent; the banner follows it.
 * - `.exit` (the REPL's command), `quit()` and `exit()` (gevent's backdoor: Python's builtins,
 *   whose `SystemExit` ends that session only) close the REPL: the session's pending read is
 *   aborted, nothing typed after it is evaluated, nothing more is sent (no `undefined`, no
 *   prompt: the client reads end of stream next, as in gevent), and the connection is closed. `quit`/`exit`
 *   are globals of the session that `locals` may replace; `process.exit()` still ends the whole
 *   program. Test: "`.exit`, quit() and exit() end only that session …".
 * Tests: test/tools/backdoor.test.ts.
 *
 * Source: gevent.backdoor.BackdoorServer (`locals`, `banner`); the token is verdant's, since a
 * JavaScript REPL can do anything the process can.
 *
 * @module verdant/backdoor
 */

import { type REPLEval, type REPLServer, start as startRepl } from 'node:repl';
import { PassThrough, Writable } from 'node:stream';
import { spawn } from '../core/api.js';
import { Cancellation } from '../core/errors.js';
import type { Socket } from '../io/socket.js';
import type { Listener, ListenerSpec } from '../servers/base.js';
import { StreamServer, type StreamServerOptions } from '../servers/stream.js';
import { Event } from '../sync/event.js';
import { Queue } from '../sync/queue/index.js';

/** Options of {@link BackdoorServer}. */
export interface BackdoorOptions extends StreamServerOptions {
  /** Globals of each session's REPL. */
  locals?: Record<string, unknown>;
  /** Sent to each client first (after the token). */
  banner?: string;
  /** The line a client must send first; required on a non-loopback address. */
  token?: string;
}

const LOOPBACK_NAMES = new Set(['localhost', '::1', '[::1]']);

function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function listenerIsLocal(spec: ListenerSpec): boolean {
  if ('path' in spec) return true;
  if ('host' in spec) return isLoopback(spec.host);
  const addr = spec.socket.getsockname();
  return Array.isArray(addr) ? isLoopback(String(addr[0])) : true;
}

const NL = 10;

/**
 * A server that runs a JavaScript REPL per connection, inside the program. A client ends its
 * session with EOF, `.exit`, `quit()` or `exit()` (the connection is closed; the program and
 * other sessions go on).
 *
 * @example
 * ```ts
 * import { BackdoorServer } from 'verdant/backdoor';
 * import { createConnection } from 'verdant/socket';
 * const server = new BackdoorServer(['127.0.0.1', 0], {
 *   banner: 'Hello from verdant backdoor!',
 *   locals: { foo: 'From defined scope!' },
 * });
 * await server.start(); // or serveForever(); then: nc 127.0.0.1 <port>
 * const sock = await createConnection(server.address);
 * console.log(new TextDecoder().decode(await sock.recv())); // the banner
 * sock.close();
 * await server.stop();
 * ```
 *
 * Source: gevent.backdoor.BackdoorServer.
 */
export class BackdoorServer extends StreamServer {
  /** The option keys of {@link BackdoorOptions}; another key throws a TypeError. */
  protected static override readonly optionKeys: readonly string[] = [
    ...StreamServer.optionKeys,
    'locals',
    'banner',
    'token',
  ];
  readonly #locals: Record<string, unknown>;
  readonly #banner: string | null;
  readonly #token: string | null;

  /**
   * @param listener - `[host, port]`, `"host:port"`, `{path}` or a listening `Socket`
   * @param opts - `locals`, `banner`, `token`, and the server's `spawn`
   * @throws Error naming the `token` option on a non-loopback address without one; TypeError
   *   for bad options, and for an unknown option (naming it and the options)
   */
  constructor(listener: Listener, opts: BackdoorOptions = {}) {
    let self: BackdoorServer | null = null;
    super(listener, (sock: Socket) => (self as BackdoorServer).#session(sock), opts);
    self = this;
    const { locals, banner, token } = opts;
    if (locals !== undefined && (locals === null || typeof locals !== 'object')) {
      throw new TypeError('BackdoorServer: locals must be an object');
    }
    if (banner !== undefined && typeof banner !== 'string') {
      throw new TypeError('BackdoorServer: banner must be a string');
    }
    if (
      token !== undefined &&
      (typeof token !== 'string' || token === '' || /[\r\n]/.test(token))
    ) {
      throw new TypeError('BackdoorServer: token must be a non-empty string of one line');
    }
    if (token === undefined && !listenerIsLocal(this.listener)) {
      throw new Error(
        'BackdoorServer: listening on a non-loopback address needs the token option (clients must send it first)',
      );
    }
    this.#locals = locals ?? {};
    this.#banner = banner ?? null;
    this.#token = token ?? null;
  }

  async #session(sock: Socket): Promise<void> {
    let pending: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
    if (this.#token !== null) {
      // Read the first line; nothing is evaluated or sent before it matches.
      let nl = pending.indexOf(NL);
      while (nl < 0) {
        if (pending.length > 4096) return;
        const chunk = await sock.recv(4096).catch(rethrowCancellation);
        if (chunk === null || chunk.length === 0) return;
        const joined = new Uint8Array(pending.length + chunk.length);
        joined.set(pending);
        joined.set(chunk, pending.length);
        pending = joined;
        nl = pending.indexOf(NL);
      }
      const line = new TextDecoder().decode(pending.subarray(0, nl)).replace(/\r$/, '');
      if (line !== this.#token) return;
      pending = pending.subarray(nl + 1);
    }
    const out = new Queue<Uint8Array | null>();
    const writer = spawn(async () => {
      for (;;) {
        const chunk = await out.get();
        if (chunk === null) return;
        await sock.sendall(chunk);
      }
    });
    // `.exit`, `quit()` or `exit()` closes the REPL: the session then ends at once (the read
    // below is aborted), nothing typed after it is evaluated, and nothing more is sent — not the
    // `undefined` that `quit()` returns nor a prompt (gevent's test__backdoor `_close` reads
    // end of stream right after `quit()`).
    const exited = new AbortController();
    const input = new PassThrough();
    const output = new Writable({
      write(chunk: Uint8Array, _enc, cb) {
        if (!exited.signal.aborted) out.putNowait(chunk);
        cb();
      },
    });
    if (this.#banner !== null) out.putNowait(new TextEncoder().encode(`${this.#banner}\n`));
    let repl: REPLServer | null = null;
    try {
      const session = startRepl({
        prompt: '>>> ',
        input,
        output,
        terminal: false,
        useGlobal: false,
      });
      repl = session;
      // Marked at once: the REPL closes on the next tick, after the rest of the chunk's lines.
      const end = (): void => {
        if (!exited.signal.aborted) exited.abort(new SessionExit());
      };
      const quit = (): void => {
        end();
        session.close();
      };
      session.once('exit', end);
      session.defineCommand('exit', { help: 'End this session', action: quit });
      Object.assign(session.context, { quit, exit: quit }, this.#locals);
      // Lines are evaluated one at a time, in order, as gevent's backdoor does: a line is given
      // to the REPL only once the one before it has answered (its prompt), top-level awaits
      // included. (Node's REPL does not wait for an await without a terminal: a line typed
      // meanwhile ran first, and quit() dropped the awaited line's answer.)
      const r = repl as { eval: REPLEval; displayPrompt(preserveCursor?: boolean): void };
      const evaluate = r.eval;
      const prompt = r.displayPrompt;
      let evaluating = 0;
      const idle = new Event();
      r.eval = function (this: REPLServer, ...args: Parameters<REPLEval>) {
        if (exited.signal.aborted) return; // a line after `.exit`
        evaluating++;
        evaluate.apply(this, args);
      };
      r.displayPrompt = function (this: REPLServer, preserveCursor?: boolean) {
        if (evaluating > 0) evaluating--;
        if (evaluating === 0) idle.set();
        prompt.call(this, preserveCursor);
      };
      const decoder = new TextDecoder();
      let text = decoder.decode(pending, { stream: true });
      // Give the REPL each complete line of `text`, waiting for its answer before the next.
      const feed = async (): Promise<void> => {
        let start = 0;
        for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
          if (exited.signal.aborted) break;
          const line = text.slice(start, nl + 1);
          start = nl + 1;
          idle.clear();
          session.write(line); // the REPL reads it at once: a command runs, code starts
          if (evaluating > 0 && !exited.signal.aborted) {
            await idle.wait({ signal: exited.signal }).catch(rethrowCancellation);
          }
        }
        text = text.slice(start);
      };
      await feed();
      while (!exited.signal.aborted) {
        const chunk = await sock.recv(65536, { signal: exited.signal }).catch(rethrowCancellation);
        if (chunk === null || chunk.length === 0) break;
        text += decoder.decode(chunk, { stream: true });
        await feed();
      }
      // EOF: a last line without its newline is evaluated too; every line has answered.
      if (!exited.signal.aborted) {
        text += decoder.decode();
        if (text !== '') {
          text += '\n';
          await feed();
        }
      }
      input.end();
      out.putNowait(null);
      await writer.join();
    } finally {
      repl?.close();
      input.destroy();
      if (!writer.dead) await writer.kill();
    }
  }
}

/** Why a session's read was aborted: its REPL was closed by `.exit`, `quit()` or `exit()`. */
class SessionExit extends Error {
  constructor() {
    super('the backdoor session was closed by its client');
  }
}

/** A failed read ends the session like EOF (also a read aborted by `.exit`); a kill or Timeout goes on. */
function rethrowCancellation(e: unknown): null {
  if (e instanceof Cancellation) throw e;
  return null;
}

// Helpers for the HTTP tests: raw loopback sockets (bytes on the wire) and a server fixture.
import { connect, type Socket } from 'node:net';
import { getHub } from '../../src/core/hub.js';
import {
  type FetchHandler,
  HttpServer,
  type HttpServerOptions,
  type NodeHandler,
} from '../../src/servers/http.js';

/** A raw client connection that collects every byte the server sends. */
export class RawClient {
  readonly sock: Socket;
  data = '';
  ended = false;
  closed = false;
  readonly #waiters: Array<() => void> = [];

  constructor(port: number) {
    this.sock = connect(port, '127.0.0.1');
    this.sock.setEncoding('latin1');
    this.sock.on('data', (d: string) => {
      this.data += d;
      this.#kick();
    });
    this.sock.on('end', () => {
      this.ended = true;
      this.#kick();
    });
    this.sock.on('close', () => {
      this.closed = true;
      this.#kick();
    });
    this.sock.on('error', () => {});
  }

  #kick(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  connected(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.sock.connecting) resolve();
      else this.sock.once('connect', () => resolve());
    });
  }

  send(s: string | Uint8Array): void {
    this.sock.write(typeof s === 'string' ? Buffer.from(s, 'latin1') : s);
  }

  /** Wait until `pred(data)` holds or the connection closed; fail after `ms`. */
  async until(pred: (data: string) => boolean, ms = 3000): Promise<string> {
    const deadline = Date.now() + ms;
    while (!pred(this.data)) {
      if (this.closed) return this.data;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`RawClient: timed out; got ${JSON.stringify(this.data)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.data;
  }

  /** Wait for the server to close the connection; fail after `ms`. */
  async untilClosed(ms = 3000): Promise<string> {
    await this.until(() => false, ms).catch((err: unknown) => {
      if (!this.closed) throw err;
    });
    return this.data;
  }

  /** Everything after the first `n` bytes seen so far, then forget them. */
  take(): string {
    const d = this.data;
    this.data = '';
    return d;
  }

  destroy(): void {
    this.sock.destroy();
  }
}

/** Complete responses in `data` (by Content-Length or the chunked terminator). */
export function hasFullResponse(data: string): boolean {
  const i = data.indexOf('\r\n\r\n');
  if (i < 0) return false;
  const head = data.slice(0, i).toLowerCase();
  const m = /content-length: (\d+)/.exec(head);
  if (m) return data.length >= i + 4 + Number(m[1]);
  if (head.includes('transfer-encoding: chunked')) return data.includes('\r\n0\r\n\r\n', i);
  return /^http\/1\.1 (1\d\d|204|304)/.test(head);
}

/** A log sink collecting lines. */
export function memoryLog(): { lines: string[]; write(s: string): void } {
  const lines: string[] = [];
  return {
    lines,
    write(s: string): void {
      lines.push(s);
    },
  };
}

/** Start a server on a free loopback port; `log: null` unless given. */
export async function serve(app: FetchHandler, opts?: HttpServerOptions): Promise<HttpServer>;
export async function serve(app: NodeHandler, opts?: HttpServerOptions): Promise<HttpServer>;
export async function serve(
  app: FetchHandler | NodeHandler,
  opts: HttpServerOptions = {},
): Promise<HttpServer> {
  const server = new HttpServer(['127.0.0.1', 0], app as FetchHandler, { log: null, ...opts });
  await server.start();
  return server;
}

/** Collect the hub's failure reports. */
export function captureHubReports(): { reports: string[]; restore(): void } {
  const hub = getHub();
  const prev = hub.exceptionStream;
  const reports: string[] = [];
  hub.exceptionStream = { write: (t: string) => reports.push(t) };
  return {
    reports,
    restore(): void {
      hub.exceptionStream = prev;
    },
  };
}

export function sleepReal(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

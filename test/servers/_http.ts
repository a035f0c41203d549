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

/** One response parsed off the wire (gevent's `read_http`), and what follows it. */
export interface WireResponse {
  status: number;
  reason: string;
  version: string;
  /** Header names lowercased; a repeated header keeps its last value. */
  headers: Map<string, string>;
  body: string;
  /** The chunks of a chunked body, `null` when the body was not chunked. */
  chunks: string[] | null;
  /** The bytes after this response. */
  rest: string;
}

/**
 * Parse the first complete response in `data` (framed by Content-Length, chunked, or by the
 * connection's close when `closed`); `null` while it is incomplete. 1xx, 204, 304 and answers to
 * HEAD (`head`) have no body.
 */
export function parseResponse(data: string, closed = false, head = false): WireResponse | null {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = data.slice(0, end).split('\r\n');
  const m = /^HTTP\/(\d\.\d) (\d{3}) ?(.*)$/.exec(lines[0] as string);
  if (m === null) throw new Error(`not a status line: ${JSON.stringify(lines[0])}`);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    headers.set(line.slice(0, i).toLowerCase(), line.slice(i + 1).trim());
  }
  const status = Number(m[2]);
  const base = { status, reason: m[3] as string, version: m[1] as string, headers };
  let at = end + 4;
  if (head || status < 200 || status === 204 || status === 304) {
    return { ...base, body: '', chunks: null, rest: data.slice(at) };
  }
  if ((headers.get('transfer-encoding') ?? '').includes('chunked')) {
    const chunks: string[] = [];
    for (;;) {
      const nl = data.indexOf('\r\n', at);
      if (nl < 0) return null;
      const size = Number.parseInt(data.slice(at, nl), 16);
      if (Number.isNaN(size))
        throw new Error(`bad chunk size at ${JSON.stringify(data.slice(at))}`);
      if (data.length < nl + 2 + size + 2) return null;
      if (size === 0) {
        return { ...base, body: chunks.join(''), chunks, rest: data.slice(nl + 4) };
      }
      chunks.push(data.slice(nl + 2, nl + 2 + size));
      at = nl + 2 + size + 2;
    }
  }
  const cl = headers.get('content-length');
  if (cl !== undefined) {
    const n = Number(cl);
    if (data.length < at + n) return null;
    return { ...base, body: data.slice(at, at + n), chunks: null, rest: data.slice(at + n) };
  }
  if (!closed) return null;
  return { ...base, body: data.slice(at), chunks: null, rest: '' };
}

/** Read `n` complete responses from `c` (waiting up to `ms`), in order; then the rest. */
export async function readResponses(
  c: RawClient,
  n: number,
  opts: { ms?: number; head?: boolean } = {},
): Promise<{ responses: WireResponse[]; rest: string }> {
  const out: WireResponse[] = [];
  const split = (d: string): boolean => {
    out.length = 0;
    let rest = d;
    while (out.length < n) {
      const r = parseResponse(rest, c.closed, opts.head === true);
      if (r === null) return false;
      out.push(r);
      rest = r.rest;
    }
    return true;
  };
  const d = await c.until(split, opts.ms ?? 3000);
  if (!split(d)) {
    throw new Error(`expected ${n} responses before the close, got ${JSON.stringify(d)}`);
  }
  return { responses: out, rest: (out[out.length - 1] as WireResponse).rest };
}

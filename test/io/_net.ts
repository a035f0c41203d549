// Helpers shared by the socket and server tests: stream socket pairs of every kind (TCP, Unix,
// TLS, socketpair()) on loopback, a certificate made with `selfsigned`, and the check that no socket handle
// outlives a test file.
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { sleep } from '../../src/index.js';
import {
  createConnection,
  type ListenOptions,
  listen,
  type Socket,
  socketpair,
} from '../../src/io/socket.js';

let certPromise: Promise<{ key: string; cert: string }> | null = null;

/** A self-signed certificate for `localhost` and `127.0.0.1`, made once per process. */
export function testCert(): Promise<{ key: string; cert: string }> {
  certPromise ??= generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  }).then((p) => ({ key: p.private, cert: p.cert }));
  return certPromise;
}

let nUnix = 0;
/** A fresh Unix socket path in the temp dir. */
export function unixPath(): string {
  return join(tmpdir(), `verdant-test-${process.pid}-${++nUnix}.sock`);
}

/** A connected pair: `client` from createConnection, `server` from accept. */
export interface Pair {
  client: Socket;
  server: Socket;
  /** Close both. */
  close(): void;
}

/** One kind of stream socket, for the conformance suite. */
export interface StreamKind {
  name: 'TCP' | 'Unix' | 'TLS' | 'socketpair';
  pair(): Promise<Pair>;
}

/** Two connected ends, closed together. */
function pairOf(client: Socket, server: Socket): Pair {
  return {
    client,
    server,
    close() {
      client.close();
      server.close();
    },
  };
}

async function makePair(lo: ListenOptions, connect: (l: Socket) => Promise<Socket>): Promise<Pair> {
  const l = await listen(lo);
  try {
    const [client, [server]] = await Promise.all([connect(l), l.accept()]);
    return pairOf(client, server);
  } finally {
    l.close();
  }
}

export const streamKinds: StreamKind[] = [
  {
    name: 'TCP',
    pair: () => makePair({ host: '127.0.0.1', port: 0 }, (l) => createConnection(l.getsockname())),
  },
  {
    name: 'Unix',
    pair: () => {
      const path = unixPath();
      return makePair({ path }, () => createConnection({ path }));
    },
  },
  {
    name: 'TLS',
    pair: async () => {
      const { key, cert } = await testCert();
      return makePair({ host: '127.0.0.1', port: 0, tls: { key, cert } }, (l) =>
        createConnection(l.getsockname(), { tls: { ca: cert, servername: 'localhost' } }),
      );
    },
  },
  {
    name: 'socketpair',
    pair: async () => {
      const [client, server] = await socketpair();
      return pairOf(client, server);
    },
  },
];

const NET_HANDLES = new Set([
  'TCPSocketWrap',
  'TCPServerWrap',
  'PipeWrap',
  'PipeServerWrap',
  'UDPWrap',
  'TLSWrap',
]);

function netHandles(): string[] {
  return process.getActiveResourcesInfo().filter((r) => NET_HANDLES.has(r));
}

/** Handles open before any test ran (stdio pipes of the test runner). */
const baseline = netHandles();

/** Socket handles opened by the tests and still open. */
export function liveHandles(): string[] {
  const now = netHandles();
  for (const h of baseline) {
    const i = now.indexOf(h);
    if (i >= 0) now.splice(i, 1);
  }
  return now;
}

/** Assert that every socket handle is gone (waiting up to 3 s for closes in flight). */
export async function assertNoLiveHandles(): Promise<void> {
  for (let i = 0; i < 150 && liveHandles().length > 0; i++) await sleep(20);
  const left = liveHandles();
  if (left.length > 0) {
    const detail = (
      process as unknown as {
        _getActiveHandles(): {
          constructor: { name: string };
          localPort?: number;
          remotePort?: number;
          readyState?: string;
        }[];
      }
    )
      ._getActiveHandles()
      .map((h) => `${h.constructor.name} ${h.localPort}->${h.remotePort} ${h.readyState}`);
    assert.fail(`socket handles left open: ${left.join(', ')} (${detail.join('; ')})`);
  }
}

/** The Node socket under a verdant stream Socket (to hook its events in nothing-lost tests). */
export function nodeOf(s: Socket): import('node:events').EventEmitter {
  return s._handle as import('node:events').EventEmitter;
}

/** Read until `n` bytes arrived or end of stream. */
export async function recvExactly(s: Socket, n: number): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let got = 0;
  while (got < n) {
    const d = await s.recv(n - got);
    if (d.length === 0) break;
    parts.push(d);
    got += d.length;
  }
  return Buffer.concat(parts);
}

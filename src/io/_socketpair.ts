/**
 * `socketpair()`: two connected stream sockets, as Python's `socket.socketpair()` (AF_UNIX on
 * POSIX). Node has no socketpair(2), so a pair is made through a Unix socket in a fresh private
 * directory (`fs.mkdtemp` under `os.tmpdir()`, mode 0700: no other user can connect to it):
 * listen there, connect, take the one connection, then close the listener and remove the
 * directory. Re-exported by verdant/socket.
 *
 * Design note — nothing left behind. The pairing is one {@link callbackWait}: a kill, `Timeout`,
 * `timeout` or `signal` that lands while it runs closes whatever it made so far (the listener,
 * either end) and removes the directory before the wait ends; a `mkdtemp` still in flight then
 * removes its directory when it answers. Once the pair is made, the listener and the directory
 * are already gone before the wait resolves (the directory is removed synchronously, one unlink
 * and one rmdir, so no late callback can leave it), and a pair the wait was woken with but never
 * handed to its caller (killed before it resumed) is closed. A second connection to the
 * listener (another process of the same user racing ours) is closed, never paired. Tests:
 * test/io/socketpair.test.ts.
 *
 * @module
 */
import { mkdtemp, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WaitOptions } from '../core/lowlevel.js';
import { callbackWait, type Done } from './_callwait.js';
import { withAddress } from './_errors.js';
import { Socket } from './socket.js';

/** One pairing in progress: what it made so far, to close on failure or interruption. */
class Pairing {
  readonly done: Done<[Socket, Socket]>;
  dir: string | null = null;
  server: net.Server | null = null;
  client: net.Socket | null = null;
  accepted: net.Socket | null = null;
  connected = false;
  /** Interrupted, failed or paired: later callbacks only clean up. */
  over = false;

  constructor(done: Done<[Socket, Socket]>) {
    this.done = done;
  }

  readonly clientFailed = (e: Error): void => {
    this.fail(withAddress(e, join(this.dir ?? '', 's')) as Error);
  };

  readonly fail = (err: Error): void => {
    if (this.over) return;
    this.over = true;
    this.cleanUp();
    this.done(err);
  };

  start(): void {
    mkdtemp(join(tmpdir(), 'verdant-socketpair-'), (err, dir) => {
      if (err !== null) {
        this.fail(err);
        return;
      }
      this.dir = dir;
      if (this.over) {
        this.removeDir();
        return;
      }
      const path = join(dir, 's');
      const server = net.createServer({ allowHalfOpen: true });
      this.server = server;
      server.on('connection', (ns: net.Socket) => {
        if (this.accepted !== null || this.over) {
          ns.destroy();
          return;
        }
        this.accepted = ns;
        ns.once('error', this.fail);
        this.ready();
      });
      server.once('error', (e: Error) => this.fail(withAddress(e, path) as Error));
      server.listen(path, () => {
        if (this.over) return;
        const client = net.connect({ path, allowHalfOpen: true });
        this.client = client;
        client.once('error', this.clientFailed);
        client.once('connect', () => {
          this.connected = true;
          this.ready();
        });
      });
    });
  }

  /** Both ends are connected: close the listener, remove the directory, hand the pair over. */
  ready(): void {
    const { client, accepted } = this;
    if (this.over || !this.connected || client === null || accepted === null) return;
    this.over = true;
    this.server?.close();
    this.removeDir();
    client.off('error', this.clientFailed);
    accepted.off('error', this.fail);
    const peer = { path: '' };
    this.done(null, [
      Socket._adopt(client, 'unix', peer, null),
      Socket._adopt(accepted, 'unix', peer, null),
    ]);
  }

  removeDir(): void {
    if (this.dir !== null) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }

  cleanUp(): void {
    this.client?.destroy();
    this.accepted?.destroy();
    this.server?.close();
    this.removeDir();
  }
}

/**
 * Two connected stream sockets (`'unix'`), as Python's `socket.socketpair()`: what one sends
 * the other receives. Both are full verdant Sockets (`recv`, `sendall`, `shutdown`, `close`,
 * `makefile` …); their addresses (`getsockname`, `getpeername`) are `{path: ''}`, their
 * `family` is `'unix'` and they have no timeout. Node has no socketpair(2): the pair is made
 * through a Unix socket in a fresh private directory under `os.tmpdir()`, removed before this
 * resolves. A switch point: a kill, `Timeout`, the `timeout` option (SocketTimeout) or
 * `signal` lands there and leaves no listener, no file and no socket behind.
 * @param opts `{timeout, signal}` or a timeout in ms: bounds the making only (the sockets get
 *   no timeout)
 * @returns `[a, b]`, connected to each other
 * @throws the error of `mkdtemp` (ENOENT, EACCES: `os.tmpdir()` unusable) or of the Unix
 *   socket (a temporary directory whose path is too long for one), naming it; TypeError or
 *   RangeError for bad options (an unknown key too) (all reject)
 * @example
 * ```ts
 * import { socketpair } from 'verdant/socket';
 * const [a, b] = await socketpair();
 * await a.sendall('ping');
 * console.log(Buffer.from(await b.recv(4)).toString()); // ping
 * a.close();
 * b.close();
 * ```
 * Follows gevent's `socketpair` (AF_UNIX, SOCK_STREAM; no `family`, `type` or `proto`
 * arguments).
 */
export function socketpair(opts?: WaitOptions | number | null): Promise<[Socket, Socket]> {
  return callbackWait<[Socket, Socket]>('socketpair', opts, (done) => {
    const p = new Pairing(done);
    p.start();
    return (held) => {
      if (held !== undefined) {
        held[0].close();
        held[1].close();
      } else {
        p.over = true;
        p.cleanUp();
      }
    };
  });
}

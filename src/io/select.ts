/**
 * `select(rlist, wlist, xlist, timeout)` over verdant sockets (`verdant/select`), gevent's
 * `gevent.select.select`: wait until some socket is readable, writable or holds an error.
 *
 * Design note — select only looks. It takes no byte, connection or datagram (a `recv` after it
 * gets them), so a kill or `Timeout` there loses nothing, and it resolves at once, without
 * switching, when something is ready already. Readable means a `recv`/`accept`/`recvfrom`
 * would not wait (bytes, end of stream, an error, a queued connection or datagram, or a closed
 * socket); writable, a `sendall` of a small buffer would not wait. Tests:
 * test/io/select.test.ts.
 *
 * @module verdant/select
 */
import { getHub, NONE, readWaitOptions, rejectWait, waitArgs } from '../core/lowlevel.js';
import { coded } from './_errors.js';
import { hasFailed, isReady, type Watch, waitReady } from './_ready.js';
import { Socket } from './socket.js';

const readinessOf = (s: Socket) => s._readiness();

/** The result of {@link select}: the ready sockets of each list. */
export type SelectResult = [readable: Socket[], writable: Socket[], errored: Socket[]];

const onTimeoutEmpty = (): undefined => undefined;

/**
 * Wait until at least one socket of `rlist` is readable, of `wlist` writable, or of `xlist`
 * holds an error (or is closed by another greenlet meanwhile); resolve the three lists of ready
 * sockets (in the order given). Bytes arriving on a socket that is only in `xlist` do not end
 * the wait (gevent ignores `xlist`; a socket error is what POSIX's exceptional condition
 * becomes here). With
 * `timeout` (ms) it resolves `[[], [], []]` when nothing became ready in time, and only then
 * (readiness another greenlet took before this one resumed does not count); `0` polls. A
 * switch point when nothing is ready: kill and `Timeout` land there.
 * @param timeout ms; `null`/omitted waits forever
 * @throws TypeError when a list holds something that is not a verdant Socket or the timeout is
 *   not a number (or null); RangeError for a negative or NaN timeout; EBADF for a closed socket
 *   (all reject)
 * @example
 * ```ts
 * import { select } from 'verdant/select';
 * import { StreamServer } from 'verdant/server';
 * import { createConnection } from 'verdant/socket';
 * const server = new StreamServer(['127.0.0.1', 0], (conn) => conn.sendall('hi'));
 * await server.start();
 * const a = await createConnection(['127.0.0.1', server.serverPort!]);
 * const b = await createConnection(['127.0.0.1', server.serverPort!]);
 * const [readable] = await select([a, b], [], [], 1000);
 * for (const s of readable) console.log(await s.recv(4096));
 * a.close();
 * b.close();
 * await server.stop();
 * ```
 * Follows gevent's `select.select` (timeout in ms; sockets, not file descriptors).
 */
export function select(
  rlist: Iterable<Socket>,
  wlist: Iterable<Socket>,
  xlist: Iterable<Socket> = [],
  timeout?: number | null,
): Promise<SelectResult> {
  const where = 'select';
  if (timeout !== undefined && timeout !== null && typeof timeout !== 'number') {
    // Only a timeout: an options object would be read as `{timeout, signal}` by the door.
    return rejectWait(
      new TypeError(`${where}: timeout must be a number of ms or null, got ${typeof timeout}`),
    );
  }
  const err = readWaitOptions(timeout ?? null, where);
  if (err !== NONE) return rejectWait(err);
  const t = waitArgs.timeout;
  let lists: [Socket[], Socket[], Socket[]];
  const watches: Watch[] = [];
  try {
    lists = [toList(rlist, 'rlist'), toList(wlist, 'wlist'), toList(xlist, 'xlist')];
    for (const s of lists[0]) watches.push({ io: readinessOf(s), write: false });
    for (const s of lists[1]) watches.push({ io: readinessOf(s), write: true });
    for (const s of lists[2]) watches.push({ io: readinessOf(s), write: false, error: true });
  } catch (e) {
    return Promise.reject(e);
  }
  const collect = (): SelectResult => [
    lists[0].filter((s) => readinessOf(s).readable),
    lists[1].filter((s) => isReady({ io: readinessOf(s), write: true })),
    lists[2].filter((s) => hasFailed(readinessOf(s))),
  ];
  const now = collect();
  if (now[0].length + now[1].length + now[2].length > 0 || t === 0) return Promise.resolve(now);
  if (watches.length === 0 && t === null) {
    return Promise.reject(
      new TypeError(`${where}: nothing to wait for: every list is empty and there is no timeout`),
    );
  }
  // Woken, but what woke it may be gone by the time it resumes (another greenlet read the bytes
  // in between): with time left it waits again, so a select never resolves three empty lists
  // before its timeout (found by the breaker: it did, with no timeout at all).
  const hub = getHub();
  const deadline = t === null ? null : hub.now() + t;
  const settle = (): SelectResult | Promise<SelectResult> => {
    const got = collect();
    if (got[0].length + got[1].length + got[2].length > 0) return got;
    const left = deadline === null ? null : deadline - hub.now();
    if (left !== null && left <= 0) return got;
    return waitReady(watches, left, null, onTimeoutEmpty).then(settle);
  };
  return waitReady(watches, t, null, onTimeoutEmpty).then(settle);
}

function toList(it: Iterable<Socket>, name: string): Socket[] {
  if (
    it === null ||
    it === undefined ||
    typeof (it as Iterable<Socket>)[Symbol.iterator] !== 'function'
  ) {
    throw new TypeError(
      `select: ${name} must be an iterable of sockets, got ${it === null ? 'null' : typeof it}`,
    );
  }
  const out = [...it];
  for (const s of out) {
    if (!(s instanceof Socket))
      throw new TypeError(`select: ${name} must hold verdant Sockets, got ${typeof s}`);
    if (s.closed) throw coded('EBADF', `select: a socket in ${name} is closed (EBADF)`);
  }
  return out;
}

/**
 * Name resolution through the hub: `getaddrinfo`, `gethostbyname`, `gethostbyaddr` over
 * `node:dns` (the system resolver, as gevent's default threadpool resolver). Each call is a
 * verdant wait: a kill or `Timeout` ends it at once (the lookup itself cannot be aborted; its
 * late answer is dropped). Tests: test/io/dns.test.ts.
 *
 * @module
 */
import * as dns from 'node:dns';
import type { WaitOptions } from '../core/lowlevel.js';
import { callbackWait } from './_callwait.js';
import { checkPort } from './_errors.js';

/** One result of {@link getaddrinfo}. */
export interface AddrInfo {
  /** 4 or 6. */
  family: number;
  /** The IP address, as a string. */
  address: string;
  /** The port given to the lookup (0 when none). */
  port: number;
}

/** Options of {@link getaddrinfo}. */
export interface AddrInfoOptions extends WaitOptions {
  /** 4 or 6 to ask for one family only; 0 (default) for both. */
  family?: 0 | 4 | 6;
}

function checkHost(host: unknown, where: string): Error | null {
  if (typeof host !== 'string' || host === '') {
    return new TypeError(
      `${where}: host must be a non-empty string, got ${typeof host === 'string' ? '""' : typeof host}`,
    );
  }
  return null;
}

function lookupError(e: NodeJS.ErrnoException, host: string, where: string): Error {
  if (e.message.includes(host)) return e;
  const out = new Error(`${where}: cannot resolve ${host}: ${e.message}`, {
    cause: e,
  }) as NodeJS.ErrnoException;
  if (e.code !== undefined) out.code = e.code;
  return out;
}

/**
 * Resolve `host` to a non-empty array of `{family, address, port}` (IPv4 and IPv6, in the
 * system resolver's order). A switch point: kill, `Timeout`, `timeout` and `signal` land there.
 * @param host a name or an address literal
 * @param port copied into every result (0–65535)
 * @throws TypeError/RangeError for a bad host, port or family (rejects); ENOTFOUND naming the host
 * @example
 * ```ts
 * import { getaddrinfo } from 'verdant/socket';
 * const [first] = await getaddrinfo('localhost', 80);
 * console.log(first);
 * ```
 * Follows gevent's `getaddrinfo` (results as objects, not 5-tuples).
 */
export function getaddrinfo(
  host: string,
  port = 0,
  opts?: AddrInfoOptions | number | null,
): Promise<AddrInfo[]> {
  const where = 'getaddrinfo';
  const bad = checkHost(host, where) ?? checkPort(port, where);
  if (bad !== null) return Promise.reject(bad);
  const family: unknown = typeof opts === 'object' && opts !== null ? (opts.family ?? 0) : 0;
  if (typeof family !== 'number') {
    return Promise.reject(
      new TypeError(`${where}: family must be the number 0, 4 or 6, got ${typeof family}`),
    );
  }
  if (family !== 0 && family !== 4 && family !== 6) {
    return Promise.reject(new RangeError(`${where}: family must be 0, 4 or 6, got ${family}`));
  }
  return callbackWait<AddrInfo[]>(where, opts, (done) => {
    dns.lookup(host, { all: true, family }, (err, addrs) => {
      if (err !== null) done(lookupError(err, host, where));
      else
        done(
          null,
          addrs.map((a) => ({ family: a.family, address: a.address, port: Number(port) })),
        );
    });
    return undefined;
  });
}

/**
 * Resolve `host` to one IPv4 address string. A switch point, as {@link getaddrinfo}.
 * @throws ENOTFOUND naming the host
 * @example
 * ```ts
 * import { gethostbyname } from 'verdant/socket';
 * console.log(await gethostbyname('localhost')); // 127.0.0.1
 * ```
 * Follows gevent's `gethostbyname`.
 */
export function gethostbyname(host: string, opts?: WaitOptions | number | null): Promise<string> {
  const where = 'gethostbyname';
  const bad = checkHost(host, where);
  if (bad !== null) return Promise.reject(bad);
  return callbackWait<string>(where, opts, (done) => {
    dns.lookup(host, { family: 4 }, (err, address) => {
      if (err !== null) done(lookupError(err, host, where));
      else done(null, address);
    });
    return undefined;
  });
}

/**
 * Resolve an address to `[hostname, aliases, addresses]` (Python's triple) with the system's
 * `getnameinfo` (so `/etc/hosts` counts). A switch point, as {@link getaddrinfo}.
 * @throws TypeError when `address` is not an IP address; ENOTFOUND when it has no name
 * @example
 * ```ts
 * import { gethostbyaddr } from 'verdant/socket';
 * const [name] = await gethostbyaddr('127.0.0.1');
 * console.log(name); // localhost
 * ```
 * Follows gevent's `gethostbyaddr` (aliases are always empty: getnameinfo gives one name).
 */
export function gethostbyaddr(
  address: string,
  opts?: WaitOptions | number | null,
): Promise<[string, string[], string[]]> {
  const where = 'gethostbyaddr';
  const bad = checkHost(address, where);
  if (bad !== null) return Promise.reject(bad);
  return callbackWait<[string, string[], string[]]>(where, opts, (done) => {
    dns.lookupService(address, 0, (err, hostname) => {
      if (err !== null) done(lookupError(err, address, where));
      else done(null, [hostname, [], [address]]);
    });
    return undefined;
  });
}

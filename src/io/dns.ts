/**
 * Name resolution through the hub: `getaddrinfo`, `gethostbyname`, `gethostbyaddr` over
 * `node:dns` (the system resolver, as gevent's default threadpool resolver). Each call is a
 * verdant wait: a kill or `Timeout` ends it at once (the lookup itself cannot be aborted; its
 * late answer is dropped). Tests: test/io/dns.test.ts.
 *
 * Design note — Python's arguments, Node's resolver. What Python's `socket` module does before
 * it asks the resolver is done here too, so gevent code ports as is (gevent's
 * test__socket_dns.py): a port may be a service name (`'http'` → 80, from /etc/services), a
 * string of digits or `null` (0); `getaddrinfo(null, …)` gives the loopback addresses;
 * `gethostbyname('')` is `'0.0.0.0'` and `'<broadcast>'` is `'255.255.255.255'`;
 * `gethostbyaddr` takes a name as well as an address. An address literal of the other family
 * than the one asked for fails with `EAI_ADDRFAMILY` (Node would hand it back unchanged).
 *
 * @module
 */
import * as dns from 'node:dns';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { WaitOptions } from '../core/lowlevel.js';
import { callbackWait } from './_callwait.js';
import { checkPort, coded } from './_errors.js';

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
      `${where}: host must be a non-empty string, got ${typeof host === 'string' ? '""' : host === null ? 'null' : typeof host}`,
    );
  }
  return null;
}

/** The well-known services, when the system has no /etc/services. */
const FALLBACK_SERVICES: Record<string, number> = {
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  http: 80,
  www: 80,
  pop3: 110,
  imap: 143,
  https: 443,
};
let services: Map<string, number> | null = null;

/** The TCP port of a service name (/etc/services, as Python's `getservbyname`), or null. */
function servicePort(name: string): number | null {
  if (services === null) {
    services = new Map(Object.entries(FALLBACK_SERVICES));
    let text = '';
    try {
      text = readFileSync('/etc/services', 'latin1');
    } catch {
      // no services file: the well-known names above
    }
    for (const line of text.split('\n')) {
      const words = (line.split('#')[0] as string).trim().split(/\s+/);
      const m = /^(\d+)\/tcp$/.exec(words[1] ?? '');
      if (m === null) continue;
      for (const w of [words[0], ...words.slice(2)]) {
        if (w !== undefined && w !== '' && !services.has(w)) services.set(w, Number(m[1]));
      }
    }
  }
  return services.get(name) ?? null;
}

/**
 * The port of a `getaddrinfo` call: a number, a string of digits, a service name or null (0).
 * Returns the port, or the error to reject with.
 */
function readPort(port: unknown, where: string): number | Error {
  if (port === null || port === undefined) return 0;
  if (typeof port === 'string' && !/^\d+$/.test(port)) {
    const n = servicePort(port);
    if (n !== null) return n;
    return coded(
      'EAI_SERVICE',
      `${where}: unknown service name ${JSON.stringify(port)} (EAI_SERVICE: servname not supported)`,
    );
  }
  return checkPort(port, where) ?? Number(port);
}

/** An address literal of the other family than the one asked for (Python: EAI_ADDRFAMILY). */
function familyError(host: string, family: number, where: string): Error | null {
  const f = isIP(host);
  if (family === 0 || f === 0 || f === family) return null;
  return coded(
    'EAI_ADDRFAMILY',
    `${where}: address family for hostname not supported: ${host} is an IPv${f} address, IPv${family} was asked for (EAI_ADDRFAMILY)`,
  );
}

/** What Python's `setipaddr` makes of a host before resolving it: `''` and `'<broadcast>'`. */
function specialHost(host: string): string | null {
  if (host === '') return '0.0.0.0';
  if (host === '<broadcast>') return '255.255.255.255';
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
 * @param host a name or an address literal; `null`: the loopback addresses (`::1` and
 *   `127.0.0.1`, or the one of `family`), as Python's `getaddrinfo(None, port)`
 * @param port copied into every result: a number (0–65535), a string of digits, a service name
 *   (`'http'` → 80, from /etc/services) or `null` (0)
 * @throws TypeError/RangeError for a bad host, port or family (rejects); ENOTFOUND naming the
 *   host; EAI_SERVICE for an unknown service name; EAI_ADDRFAMILY for an address literal of
 *   the other family than `family`
 * @example
 * ```ts
 * import { getaddrinfo } from 'verdant/socket';
 * const [first] = await getaddrinfo('localhost', 'http');
 * console.log(first); // { family: 4, address: '127.0.0.1', port: 80 }
 * ```
 * Follows gevent's `getaddrinfo` (results as objects, not 5-tuples; one per address, not one
 * per socket type; `family` as 0, 4 or 6; no `type`, `proto` or `flags`).
 */
export function getaddrinfo(
  host: string | null,
  port: number | string | null = 0,
  opts?: AddrInfoOptions | number | null,
): Promise<AddrInfo[]> {
  const where = 'getaddrinfo';
  const bad = host === null ? null : checkHost(host, where);
  if (bad !== null) return Promise.reject(bad);
  const p = readPort(port, where);
  if (p instanceof Error) return Promise.reject(p);
  const family: unknown = typeof opts === 'object' && opts !== null ? (opts.family ?? 0) : 0;
  if (typeof family !== 'number') {
    return Promise.reject(
      new TypeError(`${where}: family must be the number 0, 4 or 6, got ${typeof family}`),
    );
  }
  if (family !== 0 && family !== 4 && family !== 6) {
    return Promise.reject(new RangeError(`${where}: family must be 0, 4 or 6, got ${family}`));
  }
  if (host === null) {
    const loop: AddrInfo[] = [];
    if (family !== 4) loop.push({ family: 6, address: '::1', port: p });
    if (family !== 6) loop.push({ family: 4, address: '127.0.0.1', port: p });
    return callbackWait<AddrInfo[]>(where, opts, (done) => {
      setImmediate(() => done(null, loop));
      return undefined;
    });
  }
  const fe = familyError(host, family, where);
  if (fe !== null) return Promise.reject(fe);
  return callbackWait<AddrInfo[]>(where, opts, (done) => {
    dns.lookup(host, { all: true, family }, (err, addrs) => {
      if (err !== null) done(lookupError(err, host, where));
      else
        done(
          null,
          addrs.map((a) => ({ family: a.family, address: a.address, port: p })),
        );
    });
    return undefined;
  });
}

/**
 * Resolve `host` to one IPv4 address string. A switch point, as {@link getaddrinfo}. As
 * Python's: `''` is `'0.0.0.0'` and `'<broadcast>'` is `'255.255.255.255'` (no lookup).
 * @throws ENOTFOUND naming the host; EAI_ADDRFAMILY for an IPv6 literal; TypeError for a host
 *   that is not a string
 * @example
 * ```ts
 * import { gethostbyname } from 'verdant/socket';
 * console.log(await gethostbyname('localhost')); // 127.0.0.1
 * ```
 * Follows gevent's `gethostbyname`.
 */
export function gethostbyname(host: string, opts?: WaitOptions | number | null): Promise<string> {
  const where = 'gethostbyname';
  if (typeof host !== 'string') return Promise.reject(checkHost(host, where) as Error);
  const fe = familyError(host, 4, where);
  if (fe !== null) return Promise.reject(fe);
  const special = specialHost(host);
  return callbackWait<string>(where, opts, (done) => {
    if (special !== null) setImmediate(() => done(null, special));
    else
      dns.lookup(host, { family: 4 }, (err, address) => {
        if (err !== null) done(lookupError(err, host, where));
        else done(null, address);
      });
    return undefined;
  });
}

/**
 * Resolve an address to `[hostname, aliases, addresses]` (Python's triple) with the system's
 * `getnameinfo` (so `/etc/hosts` counts). A name is resolved to its first address first, as
 * Python's `gethostbyaddr('localhost')`. A switch point, as {@link getaddrinfo}.
 * @throws TypeError when `address` is not a non-empty string; ENOTFOUND when it has no name
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
  const reverse = (ip: string, done: (e: Error | null, v?: [string, string[], string[]]) => void) =>
    dns.lookupService(ip, 0, (err, hostname) => {
      if (err !== null) done(lookupError(err, address, where));
      else done(null, [hostname, [], [ip]]);
    });
  const special = specialHost(address);
  return callbackWait<[string, string[], string[]]>(where, opts, (done) => {
    if (special !== null) reverse(special, done);
    else if (isIP(address) !== 0) reverse(address, done);
    else
      dns.lookup(address, (err, ip) => {
        if (err !== null) done(lookupError(err, address, where));
        else reverse(ip, done);
      });
    return undefined;
  });
}

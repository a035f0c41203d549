/**
 * Name resolution through the hub: `getaddrinfo`, `gethostbyname`, `gethostbynameEx`,
 * `gethostbyaddr`, `getnameinfo` and `getfqdn` over `node:dns` (the system resolver, as gevent's default threadpool resolver). Each call is a
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
 * `getnameinfo` resolves no names (Python's asks with AI_NUMERICHOST) and names services from
 * /etc/services itself (per protocol, for NI_DGRAM); Node's `lookupService` always asks with
 * NI_NAMEREQD, so an address without a name is given back as is unless the caller asked for
 * NI_NAMEREQD. `getfqdn` turns a failed lookup into its argument, never a kill or timeout.
 *
 * @module
 */
import * as dns from 'node:dns';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { checkOptionKeys, type WaitOptions } from '../core/lowlevel.js';
import { callbackWait, type Done } from './_callwait.js';
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

/** The keys of {@link AddrInfoOptions}. */
const ADDRINFO_KEYS: readonly string[] = ['timeout', 'signal', 'family'];

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
/** The services of /etc/services: TCP ports by name, and each port's first name per protocol. */
interface Services {
  readonly tcpPorts: Map<string, number>;
  readonly tcpNames: Map<number, string>;
  readonly udpNames: Map<number, string>;
}
let services: Services | null = null;

/** /etc/services, read once (Python's `getservbyname`/`getservbyport` read it too). */
function servicesTable(): Services {
  if (services !== null) return services;
  const s: Services = { tcpPorts: new Map(), tcpNames: new Map(), udpNames: new Map() };
  let text = '';
  try {
    text = readFileSync('/etc/services', 'latin1');
  } catch {
    // no services file: the well-known names below
  }
  for (const line of text.split('\n')) {
    const words = (line.split('#')[0] as string).trim().split(/\s+/);
    const m = /^(\d+)\/(tcp|udp)$/.exec(words[1] ?? '');
    if (m === null || words[0] === undefined || words[0] === '') continue;
    const port = Number(m[1]);
    const names = m[2] === 'tcp' ? s.tcpNames : s.udpNames;
    if (!names.has(port)) names.set(port, words[0]);
    if (m[2] !== 'tcp') continue;
    for (const w of [words[0], ...words.slice(2)]) {
      if (w !== undefined && w !== '' && !s.tcpPorts.has(w)) s.tcpPorts.set(w, port);
    }
  }
  for (const [name, port] of Object.entries(FALLBACK_SERVICES)) {
    if (!s.tcpPorts.has(name)) s.tcpPorts.set(name, port);
    if (!s.tcpNames.has(port)) s.tcpNames.set(port, name);
  }
  services = s;
  return s;
}

/** The TCP port of a service name (/etc/services, as Python's `getservbyname`), or null. */
function servicePort(name: string): number | null {
  return servicesTable().tcpPorts.get(name) ?? null;
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
 *   the other family than `family`; TypeError for an unknown option key
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
  if (typeof opts === 'object' && opts !== null) {
    const unknown = checkOptionKeys(opts, ADDRINFO_KEYS, where);
    if (unknown !== null) return Promise.reject(unknown);
  }
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
    // The keys were checked above (`family` is not a wait option).
    return callbackWait<AddrInfo[]>(
      where,
      opts,
      (done) => {
        setImmediate(() => done(null, loop));
        return undefined;
      },
      null,
      null,
    );
  }
  const fe = familyError(host, family, where);
  if (fe !== null) return Promise.reject(fe);
  return callbackWait<AddrInfo[]>(
    where,
    opts,
    (done) => {
      dns.lookup(host, { all: true, family }, (err, addrs) => {
        if (err !== null) done(lookupError(err, host, where));
        else
          done(
            null,
            addrs.map((a) => ({ family: a.family, address: a.address, port: p })),
          );
      });
      return undefined;
    },
    null,
    null,
  );
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
  return callbackWait<[string, string[], string[]]>(where, opts, (done) => {
    reverseLookup(address, where, done);
    return undefined;
  });
}

/**
 * What {@link gethostbyaddr} asks the system: resolve a name to its first address, then that
 * address to its name. Calls `done` once, with the triple or the lookup's error.
 */
function reverseLookup(address: string, where: string, done: Done<[string, string[], string[]]>) {
  const reverse = (ip: string): void =>
    dns.lookupService(ip, 0, (err, hostname) => {
      if (err !== null) done(lookupError(err, address, where));
      else done(null, [hostname, [], [ip]]);
    });
  const special = specialHost(address);
  if (special !== null) reverse(special);
  else if (isIP(address) !== 0) reverse(address);
  else
    dns.lookup(address, (err, ip) => {
      if (err !== null) done(lookupError(err, address, where));
      else reverse(ip);
    });
}

/**
 * Resolve `host` to `[hostname, aliases, addresses]`: every IPv4 address of it (Python's
 * `gethostbyname_ex`; IPv4 only, as Python's). `hostname` is `host` as given and `aliases` is
 * empty: Node's resolver gives no canonical name (the system's `gethostbyname` would give the
 * first name of an /etc/hosts line). A switch point, as {@link getaddrinfo}.
 * @param host a name or an IPv4 address literal
 * @param opts `{timeout, signal}` or a timeout in ms (SocketTimeout when it elapses)
 * @returns `[host, [], addresses]`, the addresses in the system resolver's order, no duplicates
 * @throws TypeError when `host` is not a non-empty string; EAI_ADDRFAMILY for an IPv6 literal;
 *   ENOTFOUND naming the host (all reject)
 * @example
 * ```ts
 * import { gethostbynameEx } from 'verdant/socket';
 * console.log(await gethostbynameEx('localhost')); // [ 'localhost', [], [ '127.0.0.1' ] ]
 * ```
 * Follows gevent's `gethostbyname_ex`.
 */
export function gethostbynameEx(
  host: string,
  opts?: WaitOptions | number | null,
): Promise<[string, string[], string[]]> {
  const where = 'gethostbynameEx';
  const bad = checkHost(host, where);
  if (bad !== null) return Promise.reject(bad);
  const fe = familyError(host, 4, where);
  if (fe !== null) return Promise.reject(fe);
  return callbackWait<[string, string[], string[]]>(where, opts, (done) => {
    dns.lookup(host, { all: true, family: 4 }, (err, addrs) => {
      if (err !== null) done(lookupError(err, host, where));
      else done(null, [host, [], [...new Set(addrs.map((a) => a.address))]]);
    });
    return undefined;
  });
}

/** Python's `NI_NUMERICHOST` (Linux's value): {@link getnameinfo} gives the address, not a name. */
export const NI_NUMERICHOST = 1;
/** Python's `NI_NUMERICSERV`: {@link getnameinfo} gives the port as digits, not a service name. */
export const NI_NUMERICSERV = 2;
/** Python's `NI_NOFQDN`: {@link getnameinfo} gives a name of the local domain without its domain. */
export const NI_NOFQDN = 4;
/** Python's `NI_NAMEREQD`: {@link getnameinfo} fails (ENOTFOUND) for an address without a name. */
export const NI_NAMEREQD = 8;
/** Python's `NI_DGRAM`: {@link getnameinfo} names the port as a UDP service, not a TCP one. */
export const NI_DGRAM = 16;
const NI_ALL = NI_NUMERICHOST | NI_NUMERICSERV | NI_NOFQDN | NI_NAMEREQD | NI_DGRAM;

/** The local domain (`NI_NOFQDN`): what follows the first dot of the host name, or null. */
function localDomain(): string | null {
  const h = hostname();
  const dot = h.indexOf('.');
  return dot < 0 || dot === h.length - 1 ? null : h.slice(dot + 1);
}

function checkNameInfo(sockaddr: unknown, flags: unknown, where: string): Error | null {
  if (!Array.isArray(sockaddr) || sockaddr.length !== 2) {
    return new TypeError(
      `${where}: sockaddr must be a [host, port] pair, got ${Array.isArray(sockaddr) ? `${sockaddr.length} items` : sockaddr === null ? 'null' : typeof sockaddr}`,
    );
  }
  const [host, port] = sockaddr as unknown[];
  if (typeof host !== 'string' || isIP(host) === 0) {
    return new TypeError(
      `${where}: host must be an IP address (getnameinfo resolves no names, as Python's), got ${typeof host === 'string' ? JSON.stringify(host) : host === null ? 'null' : typeof host}`,
    );
  }
  if (typeof port !== 'number') {
    return new TypeError(
      `${where}: port must be a number, got ${port === null ? 'null' : typeof port === 'string' ? JSON.stringify(port) : typeof port}`,
    );
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    return new RangeError(`${where}: port must be an integer from 0 to 65535, got ${port}`);
  }
  if (typeof flags !== 'number') {
    return new TypeError(
      `${where}: flags must be a number (NI_NUMERICHOST | NI_NUMERICSERV …), got ${flags === null ? 'null' : typeof flags}`,
    );
  }
  if (!Number.isInteger(flags) || flags < 0 || (flags & ~NI_ALL) !== 0) {
    return new RangeError(
      `${where}: flags must be made of NI_NUMERICHOST, NI_NUMERICSERV, NI_NOFQDN, NI_NAMEREQD and NI_DGRAM (EAI_BADFLAGS), got ${flags}`,
    );
  }
  return null;
}

/**
 * Resolve an address to `[host, service]` with the system's `getnameinfo` (so /etc/hosts and
 * /etc/services count), as Python's `socket.getnameinfo`: the host's name, or the address when
 * it has none (unless `NI_NAMEREQD`); the port's service name (TCP's, UDP's with `NI_DGRAM`),
 * or its digits when it has none. A switch point, as {@link getaddrinfo}: a kill or `Timeout`
 * ends it at once (the lookup itself cannot be aborted; its late answer is dropped).
 * @param sockaddr `[host, port]`: an IPv4 or IPv6 address literal (no name is resolved, as
 *   Python's) and a port from 0 to 65535
 * @param flags an OR of {@link NI_NUMERICHOST}, {@link NI_NUMERICSERV}, {@link NI_NOFQDN},
 *   {@link NI_NAMEREQD} and {@link NI_DGRAM} (default 0)
 * @param opts `{timeout, signal}` or a timeout in ms (SocketTimeout when it elapses)
 * @returns `[host, service]`, both strings
 * @throws TypeError for a sockaddr that is not a pair, a host that is not an address literal, a
 *   port or flags that are not numbers; RangeError for a port out of range or an unknown flag
 *   (Python's EAI_BADFLAGS); ENOTFOUND naming the address with `NI_NAMEREQD` when it has no
 *   name (all reject)
 * @example
 * ```ts
 * import { getnameinfo, NI_NUMERICSERV } from 'verdant/socket';
 * console.log(await getnameinfo(['127.0.0.1', 80])); // [ 'localhost', 'http' ]
 * console.log(await getnameinfo(['127.0.0.1', 80], NI_NUMERICSERV)); // [ 'localhost', '80' ]
 * ```
 * Follows gevent's `getnameinfo` (its default, threaded resolver: Python's own; the sockaddr is
 * a pair, not Python's IPv6 4-tuple with flow info and scope id).
 */
export function getnameinfo(
  sockaddr: [host: string, port: number],
  flags = 0,
  opts?: WaitOptions | number | null,
): Promise<[string, string]> {
  const where = 'getnameinfo';
  const bad = checkNameInfo(sockaddr, flags, where);
  if (bad !== null) return Promise.reject(bad);
  const [host, port] = sockaddr;
  const table = servicesTable();
  const service =
    (flags & NI_NUMERICSERV) === 0
      ? (((flags & NI_DGRAM) !== 0 ? table.udpNames : table.tcpNames).get(port) ?? String(port))
      : String(port);
  return callbackWait<[string, string]>(where, opts, (done) => {
    if ((flags & NI_NUMERICHOST) !== 0) {
      setImmediate(() => done(null, [host, service]));
      return undefined;
    }
    dns.lookupService(host, port, (err, name) => {
      if (err !== null) {
        // Node asks with NI_NAMEREQD always: no name is an error only when the caller asked so.
        if ((flags & NI_NAMEREQD) !== 0 || (err.code !== 'ENOTFOUND' && err.code !== 'EAI_NONAME'))
          done(lookupError(err, host, where));
        else done(null, [host, service]);
        return;
      }
      let out = name;
      const domain = (flags & NI_NOFQDN) !== 0 ? localDomain() : null;
      if (domain !== null && out.endsWith(`.${domain}`) && out.length > domain.length + 1)
        out = out.slice(0, out.length - domain.length - 1);
      done(null, [out, service]);
    });
    return undefined;
  });
}

/**
 * The fully qualified domain name of `name`, as Python's `socket.getfqdn`: `name` (trimmed) is
 * looked up with {@link gethostbyaddr}; the first of its names that contains a dot is the
 * answer, else its host name; when the lookup fails, `name` itself. An empty or omitted name
 * (or `'0.0.0.0'`, `'::'`) is the local host name (`os.hostname()`). A switch point, as
 * {@link getaddrinfo}: a kill, `Timeout`, the `timeout` option (SocketTimeout) or `signal`
 * lands there; only lookup failures give `name` back.
 * @param name a host name or an address (default: the local host)
 * @param opts `{timeout, signal}` or a timeout in ms
 * @returns the name
 * @throws TypeError when `name` is not a string (rejects)
 * @example
 * ```ts
 * import { getfqdn } from 'verdant/socket';
 * console.log(await getfqdn('127.0.0.1')); // localhost (from /etc/hosts)
 * ```
 * Follows gevent's `getfqdn` (its aliases are always empty here, as {@link gethostbyaddr}'s).
 */
export function getfqdn(name = '', opts?: WaitOptions | number | null): Promise<string> {
  const where = 'getfqdn';
  if (typeof name !== 'string') {
    return Promise.reject(
      new TypeError(`${where}: name must be a string, got ${name === null ? 'null' : typeof name}`),
    );
  }
  let n = name.trim();
  if (n === '' || n === '0.0.0.0' || n === '::') n = hostname();
  return callbackWait<string>(where, opts, (done) => {
    reverseLookup(n, where, (err, triple) => {
      if (err !== null || triple === undefined) {
        done(null, n);
        return;
      }
      const [host, aliases] = triple;
      done(null, [host, ...aliases].find((a) => a.includes('.')) ?? host);
    });
    return undefined;
  });
}

// Name resolution through the hub (ported from gevent's test__socket_dns.py where it applies
// without a network: names in /etc/hosts and address literals only, never a DNS server).
import assert from 'node:assert/strict';
import * as dns from 'node:dns';
import { readFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { after, describe, test } from 'node:test';
import { GreenletExit, sleep, spawn } from '../../src/index.js';
import {
  getaddrinfo,
  getfqdn,
  gethostbyaddr,
  gethostbyname,
  gethostbynameEx,
  getnameinfo,
  NI_DGRAM,
  NI_NAMEREQD,
  NI_NOFQDN,
  NI_NUMERICHOST,
  NI_NUMERICSERV,
  SocketTimeout,
} from '../../src/io/socket.js';
import { runVirtual } from '../../src/testing/virtual.js';
import { assertNoLiveHandles } from './_net.js';

describe('dns', () => {
  test('getaddrinfo("localhost") gives what the system resolver gives, as {family, address, port}', async () => {
    const got = await getaddrinfo('localhost', 80);
    const expected = await dns.promises.lookup('localhost', { all: true });
    assert.ok(got.length > 0);
    assert.deepEqual(
      got,
      expected.map((a) => ({ family: a.family, address: a.address, port: 80 })),
    );
    const v4 = await getaddrinfo('127.0.0.1', 0, { family: 4 });
    assert.deepEqual(v4, [{ family: 4, address: '127.0.0.1', port: 0 }]);
  });

  test('gethostbyname returns an IPv4 string; gethostbyaddr a [name, aliases, addresses] triple', async () => {
    assert.equal(await gethostbyname('127.0.0.1'), '127.0.0.1');
    assert.equal(
      await gethostbyname('localhost'),
      (await dns.promises.lookup('localhost', { family: 4 })).address,
    );
    const [name, aliases, addrs] = await gethostbyaddr('127.0.0.1');
    assert.equal(typeof name, 'string');
    assert.ok(name.length > 0);
    assert.deepEqual(aliases, []);
    assert.deepEqual(addrs, ['127.0.0.1']);
  });

  test('a kill lands at a lookup (the late answer is dropped)', async () => {
    const g = spawn(() => getaddrinfo('localhost'));
    await g.kill();
    assert.ok((g.value as unknown) instanceof GreenletExit);
  });

  test('bad input rejects (never throws) with TypeError/RangeError', async () => {
    await assert.rejects(getaddrinfo('', 80), /host must be a non-empty string/);
    await assert.rejects(getaddrinfo(42 as never), TypeError);
    await assert.rejects(getaddrinfo('localhost', 70000), RangeError);
    await assert.rejects(getaddrinfo('localhost', 0, { family: 5 as never }), {
      name: 'RangeError',
      message: 'getaddrinfo: family must be 0, 4 or 6, got 5',
    });
    await assert.rejects(getaddrinfo('localhost', 0, { family: '4' as never }), {
      name: 'TypeError',
      message: 'getaddrinfo: family must be the number 0, 4 or 6, got string',
    });
    await assert.rejects(gethostbyaddr(''), TypeError);
    await assert.rejects(gethostbyname('localhost', { timeout: -1 }), RangeError);
  });

  test("getaddrinfo's port is a number, a string of digits, a service name or null, as Python's (test__socket_dns.py test_localhost_getaddrinfo_http, Test_getaddrinfo test_int_string, TestFamily test_badtype)", async () => {
    const v4 = { family: 4 } as const;
    assert.deepEqual(await getaddrinfo('127.0.0.1', 'http', v4), [
      { family: 4, address: '127.0.0.1', port: 80 },
    ]);
    assert.deepEqual(await getaddrinfo('localhost', 'https', v4), [
      { family: 4, address: '127.0.0.1', port: 443 },
    ]);
    assert.deepEqual(await getaddrinfo('127.0.0.1', '80', v4), [
      { family: 4, address: '127.0.0.1', port: 80 },
    ]);
    assert.deepEqual(await getaddrinfo('127.0.0.1', null, v4), [
      { family: 4, address: '127.0.0.1', port: 0 },
    ]);
    await assert.rejects(getaddrinfo('localhost', 'x'), {
      code: 'EAI_SERVICE',
      message: 'getaddrinfo: unknown service name "x" (EAI_SERVICE: servname not supported)',
    });
    await assert.rejects(getaddrinfo('localhost', '70000'), RangeError);
  });

  test('test__socket_dns6.py Test6 test_empty, test_inet, test_inet6, test_unspec on an IPv6 host (the literal ::1: no network), and gethostbyname does not do IPv6', async () => {
    assert.deepEqual(await getaddrinfo('::1', 'http'), [{ family: 6, address: '::1', port: 80 }]);
    await assert.rejects(getaddrinfo('::1', null, { family: 4 }), { code: 'EAI_ADDRFAMILY' });
    for (const family of [6, 0] as const) {
      assert.deepEqual(await getaddrinfo('::1', null, { family }), [
        { family: 6, address: '::1', port: 0 },
      ]);
    }
    await assert.rejects(gethostbyname('::1'), { code: 'EAI_ADDRFAMILY' });
  });

  test('getaddrinfo(null) gives the loopback addresses; a literal of the other family than asked for fails with EAI_ADDRFAMILY (test__socket_dns.py TestTypeError test_None_getaddrinfo_http, TestFamily)', async () => {
    assert.deepEqual(await getaddrinfo(null, 'http'), [
      { family: 6, address: '::1', port: 80 },
      { family: 4, address: '127.0.0.1', port: 80 },
    ]);
    assert.deepEqual(await getaddrinfo(null, 0, { family: 4 }), [
      { family: 4, address: '127.0.0.1', port: 0 },
    ]);
    assert.deepEqual(await getaddrinfo('::1', 0, { family: 6 }), [
      { family: 6, address: '::1', port: 0 },
    ]);
    await assert.rejects(getaddrinfo('::1', 0, { family: 4 }), { code: 'EAI_ADDRFAMILY' });
    await assert.rejects(getaddrinfo('127.0.0.1', 0, { family: 6 }), { code: 'EAI_ADDRFAMILY' });
    await assert.rejects(gethostbyname('::1'), {
      code: 'EAI_ADDRFAMILY',
      message:
        'gethostbyname: address family for hostname not supported: ::1 is an IPv6 address, IPv4 was asked for (EAI_ADDRFAMILY)',
    });
  });

  test("gethostbyname: '' is 0.0.0.0 and '<broadcast>' 255.255.255.255, as Python's; a host that is not a string is a TypeError (test__socket_dns.py TestBroadcast, TestTypeError)", async () => {
    assert.equal(await gethostbyname(''), '0.0.0.0');
    assert.equal(await gethostbyname('<broadcast>'), '255.255.255.255');
    await assert.rejects(gethostbyname(null as never), {
      name: 'TypeError',
      message: 'gethostbyname: host must be a non-empty string, got null',
    });
    await assert.rejects(gethostbyname(25 as never), TypeError);
    await assert.rejects(gethostbyaddr(25 as never), TypeError);
    await assert.rejects(getaddrinfo(25 as never, 'http'), TypeError);
  });

  test("gethostbyaddr takes a name too: it resolves it first, as Python's gethostbyaddr('localhost') (test__socket_dns.py TestLocalhost test_localhost_gethostbyaddr)", async () => {
    const ip = (await dns.promises.lookup('localhost')).address;
    const [name, aliases, addrs] = await gethostbyaddr('localhost');
    assert.deepEqual(addrs, [ip]);
    assert.deepEqual(aliases, []);
    assert.equal(name, (await dns.promises.lookupService(ip, 0)).hostname);
  });
});

after(() => assertNoLiveHandles());

// The system's answers the tests cannot get from loopback without asking a DNS server (an
// address with no name, a failure, a domain): node:dns and node:os stubbed for one call, the
// ESM bindings synced (as verdant/monkey does), restored after.
const require = createRequire(import.meta.url);
const dnsCjs = require('node:dns') as typeof dns;
const osCjs = require('node:os') as typeof import('node:os');

async function withStub<T extends object, K extends keyof T>(
  obj: T,
  key: K,
  fake: T[K],
  body: () => Promise<void>,
): Promise<void> {
  const orig = obj[key];
  obj[key] = fake;
  syncBuiltinESMExports();
  try {
    await body();
  } finally {
    obj[key] = orig;
    syncBuiltinESMExports();
  }
}

type LookupServiceCb = (
  err: NodeJS.ErrnoException | null,
  hostname: string,
  service: string,
) => void;

/** A `lookupService` that fails as Node's does for an address without a name. */
function noName(code = 'ENOTFOUND') {
  return ((address: string, _port: number, cb: LookupServiceCb) => {
    const e = new Error(`getnameinfo ${code} ${address}`) as NodeJS.ErrnoException;
    e.code = code;
    setImmediate(() => cb(e, '', ''));
  }) as unknown as typeof dns.lookupService;
}

/** A `lookupService` that names every address `name`. */
function named(name: string) {
  return ((_address: string, port: number, cb: LookupServiceCb) => {
    setImmediate(() => cb(null, name, String(port)));
  }) as unknown as typeof dns.lookupService;
}

/** The UDP service name of `port` in /etc/services, or null. */
function udpService(port: number): string | null {
  let text = '';
  try {
    text = readFileSync('/etc/services', 'latin1');
  } catch {
    return null;
  }
  const m = new RegExp(`^(\\S+)\\s+${port}/udp`, 'm').exec(text);
  return m === null ? null : (m[1] as string);
}

describe('getnameinfo (test__socket_dns.py Test_getnameinfo_127001, Test_getnameinfo_fail, TestInvalidPort)', () => {
  test("[host, port] → [name, service] as the system gives them: /etc/hosts's name, /etc/services's TCP name; NI_NUMERICHOST, NI_NUMERICSERV", async () => {
    const { hostname } = await dns.promises.lookupService('127.0.0.1', 80);
    assert.deepEqual(await getnameinfo(['127.0.0.1', 80]), [hostname, 'http']);
    assert.deepEqual(await getnameinfo(['127.0.0.1', 80], NI_NUMERICSERV), [hostname, '80']);
    assert.deepEqual(await getnameinfo(['127.0.0.1', 80], NI_NUMERICHOST), ['127.0.0.1', 'http']);
    assert.deepEqual(await getnameinfo(['127.0.0.1', 0], 0), [hostname, '0']);
    assert.deepEqual(await getnameinfo(['::1', 443], NI_NUMERICHOST | NI_NUMERICSERV), [
      '::1',
      '443',
    ]);
    assert.deepEqual(await getnameinfo(['::1', 443], NI_NUMERICHOST), ['::1', 'https']);
  });

  test('test_DGRAM: a port with no TCP name is its digits; NI_DGRAM names it from the UDP entries (779: moira-ureg on Debian)', async () => {
    assert.deepEqual(await getnameinfo(['127.0.0.1', 779], NI_NUMERICHOST), ['127.0.0.1', '779']);
    assert.deepEqual(await getnameinfo(['127.0.0.1', 779], NI_NUMERICHOST | NI_DGRAM), [
      '127.0.0.1',
      udpService(779) ?? '779',
    ]);
    assert.deepEqual(await getnameinfo(['127.0.0.1', 53], NI_NUMERICHOST | NI_DGRAM), [
      '127.0.0.1',
      'domain',
    ]);
  });

  test('an address with no name is given back as is, unless NI_NAMEREQD: then it rejects with ENOTFOUND naming it; other failures reject whatever the flags', async () => {
    await withStub(dnsCjs, 'lookupService', noName(), async () => {
      assert.deepEqual(await getnameinfo(['127.0.0.2', 80]), ['127.0.0.2', 'http']);
      await assert.rejects(getnameinfo(['127.0.0.2', 80], NI_NAMEREQD), {
        code: 'ENOTFOUND',
        message: /127\.0\.0\.2/,
      });
    });
    await withStub(dnsCjs, 'lookupService', noName('EAI_AGAIN'), async () => {
      await assert.rejects(getnameinfo(['127.0.0.2', 80]), { code: 'EAI_AGAIN' });
    });
  });

  test("NI_NOFQDN cuts the local domain (the host name's, after its first dot) off a name of it, and only off such a name", async () => {
    await withStub(
      osCjs,
      'hostname',
      () => 'box.example.com',
      async () => {
        await withStub(dnsCjs, 'lookupService', named('db.example.com'), async () => {
          assert.deepEqual(await getnameinfo(['10.0.0.1', 80], NI_NOFQDN), ['db', 'http']);
          assert.deepEqual(await getnameinfo(['10.0.0.1', 80]), ['db.example.com', 'http']);
        });
        await withStub(dnsCjs, 'lookupService', named('db.example.org'), async () => {
          assert.deepEqual(await getnameinfo(['10.0.0.1', 80], NI_NOFQDN), [
            'db.example.org',
            'http',
          ]);
        });
      },
    );
  });

  test('bad input rejects (never throws) with TypeError/RangeError naming it: a host that is not an address literal (no name is resolved, as Python), a port that is not an integer from 0 to 65535, unknown flags (EAI_BADFLAGS)', async () => {
    await assert.rejects(getnameinfo(['localhost', 80]), {
      name: 'TypeError',
      message:
        'getnameinfo: host must be an IP address (getnameinfo resolves no names, as Python\'s), got "localhost"',
    });
    await assert.rejects(getnameinfo(['1.2.3.400', 80]), TypeError);
    await assert.rejects(getnameinfo('127.0.0.1:80' as never), {
      name: 'TypeError',
      message: 'getnameinfo: sockaddr must be a [host, port] pair, got string',
    });
    await assert.rejects(getnameinfo(['::1', 80, 0, 0] as never), /got 4 items/);
    await assert.rejects(getnameinfo(['127.0.0.1', 'http' as never]), {
      name: 'TypeError',
      message: 'getnameinfo: port must be a number, got "http"',
    });
    await assert.rejects(getnameinfo(['127.0.0.1', null as never]), TypeError);
    await assert.rejects(getnameinfo(['127.0.0.1', -1]), RangeError);
    await assert.rejects(getnameinfo(['127.0.0.1', 65536]), {
      name: 'RangeError',
      message: 'getnameinfo: port must be an integer from 0 to 65535, got 65536',
    });
    await assert.rejects(getnameinfo(['127.0.0.1', 80], 55555555), {
      name: 'RangeError',
      message:
        /^getnameinfo: flags must be made of NI_NUMERICHOST, .* \(EAI_BADFLAGS\), got 55555555$/,
    });
    await assert.rejects(getnameinfo(['127.0.0.1', 80], '0' as never), TypeError);
    await assert.rejects(getnameinfo(['127.0.0.1', 80], 0, { timeout: -1 }), RangeError);
  });

  test('a kill lands at getnameinfo (cancel point): GreenletExit, and the late answer is dropped', async () => {
    let late: LookupServiceCb | null = null;
    const held = ((_a: string, _p: number, cb: LookupServiceCb) => {
      late = cb;
    }) as unknown as typeof dns.lookupService;
    await withStub(dnsCjs, 'lookupService', held, async () => {
      const g = spawn(() => getnameinfo(['127.0.0.1', 80]));
      await sleep(0);
      assert.ok(late !== null, 'the lookup was asked');
      await g.kill();
      assert.ok((g.value as unknown) instanceof GreenletExit);
      (late as LookupServiceCb)(null, 'late', 'http');
      await sleep(0);
      assert.ok((g.value as unknown) instanceof GreenletExit, 'the late answer changed nothing');
    });
  });

  test('the timeout option rejects with SocketTimeout (virtual clock)', async () => {
    const never = (() => undefined) as unknown as typeof dns.lookupService;
    await withStub(dnsCjs, 'lookupService', never, async () => {
      const err = await runVirtual(() =>
        getnameinfo(['127.0.0.1', 80], 0, { timeout: 1000 }).catch((e: unknown) => e),
      );
      assert.ok(err instanceof SocketTimeout, String(err));
    });
  });
});

describe('gethostbynameEx and getfqdn (test__socket_dns.py test_gethostbyname_ex; Python getfqdn)', () => {
  test('gethostbynameEx → [host, [], IPv4 addresses]: the system resolver, no duplicates; an IPv6 literal is EAI_ADDRFAMILY', async () => {
    const v4 = await dns.promises.lookup('localhost', { all: true, family: 4 });
    assert.deepEqual(await gethostbynameEx('localhost'), [
      'localhost',
      [],
      [...new Set(v4.map((a) => a.address))],
    ]);
    assert.deepEqual(await gethostbynameEx('127.0.0.1'), ['127.0.0.1', [], ['127.0.0.1']]);
    await assert.rejects(gethostbynameEx('::1'), { code: 'EAI_ADDRFAMILY' });
    const twice = ((_h: string, _o: unknown, cb: (e: null, a: dns.LookupAddress[]) => void) => {
      setImmediate(() =>
        cb(null, [
          { address: '10.0.0.1', family: 4 },
          { address: '10.0.0.2', family: 4 },
          { address: '10.0.0.1', family: 4 },
        ]),
      );
    }) as unknown as typeof dns.lookup;
    await withStub(dnsCjs, 'lookup', twice, async () => {
      assert.deepEqual(await gethostbynameEx('multi.test'), [
        'multi.test',
        [],
        ['10.0.0.1', '10.0.0.2'],
      ]);
    });
  });

  test('gethostbynameEx: bad input rejects with TypeError; a kill lands there', async () => {
    await assert.rejects(gethostbynameEx(''), {
      name: 'TypeError',
      message: 'gethostbynameEx: host must be a non-empty string, got ""',
    });
    await assert.rejects(gethostbynameEx(7 as never), TypeError);
    const g = spawn(() => gethostbynameEx('localhost'));
    await g.kill();
    assert.ok((g.value as unknown) instanceof GreenletExit);
  });

  test("getfqdn: gethostbyaddr's name when it has a dot or no other has one; the name itself when the lookup fails; '' (and omitted, '0.0.0.0', '::', blanks) is the local host name", async () => {
    const { hostname } = await dns.promises.lookupService('127.0.0.1', 0);
    assert.equal(await getfqdn('127.0.0.1'), hostname);
    assert.equal(await getfqdn('  localhost '), hostname);
    await withStub(dnsCjs, 'lookupService', named('box.example.com'), async () => {
      assert.equal(await getfqdn('127.0.0.1'), 'box.example.com');
    });
    await withStub(dnsCjs, 'lookupService', noName(), async () => {
      assert.equal(await getfqdn(' 127.0.0.9 '), '127.0.0.9');
    });
    await withStub(
      osCjs,
      'hostname',
      () => 'localhost',
      async () => {
        for (const name of [undefined, '', '0.0.0.0', '::', '   ']) {
          assert.equal(await getfqdn(name), hostname, `getfqdn(${JSON.stringify(name)})`);
        }
      },
    );
  });

  test('getfqdn: a kill or the timeout option is not taken for a failed lookup (it ends the call); bad input is a TypeError', async () => {
    const never = (() => undefined) as unknown as typeof dns.lookupService;
    await withStub(dnsCjs, 'lookupService', never, async () => {
      const g = spawn(() => getfqdn('127.0.0.1'));
      await sleep(0);
      await g.kill();
      assert.ok((g.value as unknown) instanceof GreenletExit);
      const err = await runVirtual(() =>
        getfqdn('127.0.0.1', { timeout: 1000 }).catch((e: unknown) => e),
      );
      assert.ok(err instanceof SocketTimeout, String(err));
    });
    await assert.rejects(getfqdn(null as never), {
      name: 'TypeError',
      message: 'getfqdn: name must be a string, got null',
    });
  });
});

// Name resolution through the hub (ported from gevent's test__socket_dns.py where it applies
// without a network: names in /etc/hosts and address literals only, never a DNS server).
import assert from 'node:assert/strict';
import * as dns from 'node:dns';
import { after, describe, test } from 'node:test';
import { GreenletExit, spawn } from '../../src/index.js';
import { getaddrinfo, gethostbyaddr, gethostbyname } from '../../src/io/socket.js';
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

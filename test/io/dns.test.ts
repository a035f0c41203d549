// Name resolution through the hub (ported from gevent's test__socket_dns.py where it applies
// without a network: names in /etc/hosts and address literals only, never a DNS server).
import assert from 'node:assert/strict';
import * as dns from 'node:dns';
import { describe, test } from 'node:test';
import { GreenletExit, spawn } from '../../src/index.js';
import { getaddrinfo, gethostbyaddr, gethostbyname } from '../../src/io/socket.js';

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
    await assert.rejects(gethostbyaddr('not an address'), TypeError);
    await assert.rejects(gethostbyname('localhost', { timeout: -1 }), RangeError);
  });
});

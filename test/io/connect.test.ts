// listen()/createConnection() argument checks (src/io/_connect.ts, the address parser of
// src/io/_errors.ts): a mistaken address or option is a TypeError/RangeError naming it, never a
// listener on some other address.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createConnection, listen } from '../../src/io/socket.js';
import { assertNoLiveHandles } from './_net.js';

test('listen() refuses an array and an unknown option instead of listening on a default address', async () => {
  await assert.rejects(listen([] as never), {
    name: 'TypeError',
    message: 'listen: options must be an object such as {host, port} or {path}, got an array',
  });
  await assert.rejects(listen({ hots: '0.0.0.0', prot: 80 } as never), {
    name: 'TypeError',
    message: /^listen: unknown option "hots"; the options are host, port, path/,
  });
  await assert.rejects(listen({ path: null } as never), {
    name: 'TypeError',
    message: 'listen: path must be a non-empty string, got null',
  });
  await assert.rejects(listen({ path: '' }), {
    name: 'TypeError',
    message: 'listen: path must be a non-empty string, got an empty string',
  });
  const ok = await listen({ host: '127.0.0.1', port: 0, backlog: 5 });
  ok.close();
});

test('a port that is a string of other than digits is a TypeError; digits are a port (Python accepts "80")', async () => {
  await assert.rejects(createConnection(['127.0.0.1', 'abc' as never]), {
    name: 'TypeError',
    message: 'createConnection: port must be a number or a string of digits, got "abc"',
  });
  await assert.rejects(listen({ port: 'http' as never }), TypeError);
  await assert.rejects(listen({ port: 70000 }), RangeError);
  const s = await listen({ host: '127.0.0.1', port: '0' as never });
  s.close();
});

test('createConnection refuses a tls option that is neither a boolean nor an object, before connecting (found by the breaker: tls: 5 made a TLS connection)', async () => {
  const l = await listen({ host: '127.0.0.1', port: 0 });
  try {
    for (const [bad, got] of [
      [5, 'number'],
      ['yes', 'string'],
      [null, 'null'],
      [[], 'an array'],
    ] as const) {
      await assert.rejects(createConnection(l.getsockname(), { tls: bad as never }), {
        name: 'TypeError',
        message: `createConnection: tls must be true, false or an object of TLS options (ca, servername …), got ${got}`,
      });
    }
    const plain = await createConnection(l.getsockname(), { tls: false });
    assert.equal(plain.type, 'tcp');
    plain.close();
  } finally {
    l.close();
  }
});

test('createConnection refuses an unknown option, naming it and the options, before connecting (a typo such as timout was ignored: the connect waited forever); every documented option is taken', async () => {
  const l = await listen({ host: '127.0.0.1', port: 0 });
  try {
    await assert.rejects(createConnection(l.getsockname(), { timout: 5 } as never), {
      name: 'TypeError',
      message:
        'createConnection: unknown option "timout"; the options are timeout, signal, tls, noDelay',
    });
    const s = await createConnection(l.getsockname(), {
      timeout: 5000,
      signal: new AbortController().signal,
      tls: false,
      noDelay: false,
    });
    s.close();
  } finally {
    l.close();
  }
});

test('createConnection to port 0 rejects with RangeError saying port 0 cannot be connected to (it was ECONNREFUSED, as if something had refused)', async () => {
  for (const address of [
    ['127.0.0.1', 0],
    '127.0.0.1:0',
    { host: '127.0.0.1', port: 0 },
    ['127.0.0.1', '0'],
    ['::1', 0],
  ] as const) {
    await assert.rejects(createConnection(address as never, { timeout: 5000 }), {
      name: 'RangeError',
      message:
        'createConnection: port must be an integer from 1 to 65535 to connect to (0 means any free port only to listen), got 0',
    });
  }
});

after(() => assertNoLiveHandles());

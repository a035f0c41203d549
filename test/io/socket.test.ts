// The argument checks of verdant/socket's Socket and listen: a value of the wrong type is a
// TypeError naming the type it got, a number out of range a RangeError naming the number, and a
// call that can wait rejects (never throws). The behaviour of each socket kind is in
// stream.conformance.ts, listener.test.ts and udp.test.ts.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { listen, Socket } from '../../src/io/socket.js';
import { assertRejectsNoThrow } from '../_util.js';
import { assertNoLiveHandles, streamKinds } from './_net.js';

const tcp = streamKinds[0] as (typeof streamKinds)[0];

/** A predicate for assert.throws/rejects: an error of class `cls` whose message matches `re`. */
function error(cls: ErrorConstructor, re: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof cls, `expected a ${cls.name}, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  };
}

describe('Socket argument checks', () => {
  test('recv/recvfrom reject a size that is not a number with TypeError, a bad number with RangeError', async () => {
    const p = await tcp.pair();
    const udp = new Socket();
    try {
      await assertRejectsNoThrow(
        () => p.client.recv('4' as never),
        error(TypeError, /^Socket\.recv: size must be a number of bytes, got string$/),
      );
      await assertRejectsNoThrow(
        () => p.client.recv(null as never),
        error(TypeError, /size must be a number of bytes, got null$/),
      );
      await assertRejectsNoThrow(
        () => p.client.recv(-1),
        error(RangeError, /^Socket\.recv: size must be a non-negative integer, got -1$/),
      );
      await assertRejectsNoThrow(
        () => p.client.recv(1.5),
        error(RangeError, /size must be a non-negative integer, got 1\.5$/),
      );
      await assertRejectsNoThrow(
        () => udp.recvfrom('4' as never),
        error(TypeError, /^Socket\.recvfrom: size must be a number of bytes, got string$/),
      );
      await assertRejectsNoThrow(() => udp.recvfrom(Number.NaN), RangeError);
      // The socket still works after the rejected calls.
      await p.server.sendall('ok');
      assert.equal(Buffer.from(await p.client.recv(2)).toString(), 'ok');
    } finally {
      p.close();
      udp.close();
    }
  });

  test('settimeout throws TypeError for a value that is not a number, RangeError for a bad number', async () => {
    const p = await tcp.pair();
    try {
      assert.throws(
        () => p.client.settimeout('1' as never),
        error(
          TypeError,
          /^Socket\.settimeout: timeout must be a number of ms or null, got string$/,
        ),
      );
      assert.throws(
        () => p.client.settimeout(-1),
        error(RangeError, /must be a non-negative number of ms or null, got -1$/),
      );
      assert.throws(() => p.client.settimeout(Number.NaN), RangeError);
      p.client.settimeout(null);
      p.client.settimeout(0);
    } finally {
      p.close();
    }
  });

  test('new Socket checks its options: gevent-style numbers and unknown options are TypeErrors, a stream type a RangeError', () => {
    assert.throws(
      () => new Socket(5 as never),
      error(
        TypeError,
        /^new Socket: options must be \{ type: 'udp4' \} or \{ type: 'udp6' \} \(stream sockets come from createConnection and listen\), got number$/,
      ),
    );
    assert.throws(() => new Socket('udp4' as never), error(TypeError, /got string$/));
    assert.throws(() => new Socket([] as never), error(TypeError, /got an array$/));
    assert.throws(
      () => new Socket({ family: 6 } as never),
      error(TypeError, /^new Socket: the only option is type .*, got family$/),
    );
    assert.throws(
      () => new Socket({ type: 2 } as never),
      error(TypeError, /^new Socket: type must be the string 'udp4' or 'udp6', got number$/),
    );
    assert.throws(
      () => new Socket({ type: 'tcp' } as never),
      error(RangeError, /^new Socket: type must be 'udp4' or 'udp6' .*, got "tcp"$/),
    );
    for (const [opts, type] of [
      [undefined, 'udp4'],
      [null, 'udp4'],
      [{}, 'udp4'],
      [{ type: undefined }, 'udp4'],
      [{ type: 'udp6' }, 'udp6'],
    ] as const) {
      const s = new Socket(opts as never);
      assert.equal(s.type, type);
      s.close();
    }
  });

  test('listen rejects a backlog that is not a number with TypeError, a bad number with RangeError', async () => {
    await assertRejectsNoThrow(
      () => listen({ port: 0, backlog: '5' as never }),
      error(TypeError, /^listen: backlog must be a number of connections, got string$/),
    );
    await assertRejectsNoThrow(
      () => listen({ port: 0, backlog: 1.5 }),
      error(RangeError, /^listen: backlog must be a non-negative integer, got 1\.5$/),
    );
  });
});

after(() => assertNoLiveHandles());

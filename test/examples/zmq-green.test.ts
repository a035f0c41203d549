import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as zmq from 'zeromq';
import { GreenSocket, main } from '../../examples/zmq-green.js';
import { GreenletExit, sleep, spawn, Timeout, withTimeout } from '../../src/index.js';
import { printed } from './_capture.js';

test('zmq-green: server and client switch at every message, as the seed prints', async () => {
  const lines = await printed(() => main('inproc://verdant-zmq-test-1'));
  const expected: string[] = [];
  for (let i = 1; i < 10; i++)
    expected.push(`Switched to Server for ${i}`, `Switched to Client for ${i}`);
  assert.deepEqual(lines, expected);
});

test('zmq-green: a kill or Timeout lands at receive() and the message is not lost', async () => {
  const req = new GreenSocket(new zmq.Request());
  const rep = new GreenSocket(new zmq.Reply());
  try {
    await req.socket.bind('inproc://verdant-zmq-test-2');
    rep.socket.connect('inproc://verdant-zmq-test-2');
    const g = spawn(() => rep.receive());
    await sleep(20);
    await g.kill();
    assert.ok((g.value as unknown) instanceof GreenletExit);
    await assert.rejects(
      withTimeout(30, () => rep.receive()),
      (e) => e instanceof Timeout,
    );
    await req.send('kept');
    assert.equal(await rep.receive({ timeout: 10_000 }), 'kept');
  } finally {
    req.close();
    rep.close();
  }
});

// DatagramServer (ported from gevent's test__server.py's DatagramServer cases): a handler per
// datagram answering with sendto, failures reported while the server goes on, stop.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { getHub } from '../../src/index.js';
import { Socket } from '../../src/io/socket.js';
import { DatagramServer } from '../../src/servers/index.js';
import { assertNoLiveHandles } from '../io/_net.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString();

describe('DatagramServer', () => {
  test('runs handle(data, address) per datagram; the handler answers with sendto', async () => {
    const server: DatagramServer = new DatagramServer(['127.0.0.1', 0], async (data, address) => {
      await server.sendto(Buffer.from(text(data).toUpperCase()), address);
    });
    await server.start();
    assert.equal(server.started, true);
    const port = server.serverPort as number;
    const c = new Socket();
    try {
      await c.sendto('ping', ['127.0.0.1', port]);
      const [reply, from] = await c.recvfrom(100, { timeout: 2000 });
      assert.equal(text(reply), 'PING');
      assert.deepEqual(from, ['127.0.0.1', port]);
    } finally {
      c.close();
      await server.stop();
    }
    assert.equal(server.closed, true);
  });

  test('a handler that throws is reported and the server goes on', async () => {
    const hub = getHub();
    const saved = hub.exceptionStream;
    const reports: string[] = [];
    hub.exceptionStream = { write: (t: string) => void reports.push(t) };
    const server: DatagramServer = new DatagramServer(['127.0.0.1', 0], async (data, address) => {
      if (text(data) === 'bad') throw new Error('bad datagram');
      await server.sendto(data, address);
    });
    const c = new Socket();
    try {
      await server.start();
      await c.sendto('bad', ['127.0.0.1', server.serverPort as number]);
      await c.sendto('good', ['127.0.0.1', server.serverPort as number]);
      const [reply] = await c.recvfrom(100, { timeout: 2000 });
      assert.equal(text(reply), 'good');
      assert.equal(reports.filter((r) => r.includes('bad datagram')).length, 1);
    } finally {
      hub.exceptionStream = saved;
      c.close();
      await server.stop();
    }
  });

  test('bad arguments throw; a path listener is refused', () => {
    assert.throws(() => new DatagramServer({ path: '/tmp/x' }, () => {}), /needs \[host, port\]/);
    assert.throws(() => new DatagramServer(['127.0.0.1', 0], null as never), TypeError);
  });
});

after(() => assertNoLiveHandles());

// W7 servers on Node. Usage: node echo-server.mjs PORT cb|await
//   cb:    socket.on('data', d => socket.write(d))             -- the callback limit
//   await: per-connection async loop over a hand-written recv()/sendall()
//          (what a greenlet-style cooperative socket would look like)

import { once } from 'node:events';
import net from 'node:net';

const port = Number(process.argv[2]);
const mode = process.argv[3] || 'cb';
// An orderly exit on SIGTERM (as echo-verdant.mjs): a profiler or valgrind writes its output.
process.once('SIGTERM', () => process.exit(0));

function makeRecv(sock) {
  const chunks = [];
  let waiter = null;
  let ended = false;
  sock.on('data', (c) => {
    if (waiter) {
      const w = waiter;
      waiter = null;
      w(c);
    } else chunks.push(c);
  });
  const onEnd = () => {
    ended = true;
    if (waiter) {
      const w = waiter;
      waiter = null;
      w(null);
    }
  };
  sock.on('end', onEnd);
  sock.on('close', onEnd);
  return () => {
    if (chunks.length) return Promise.resolve(chunks.shift());
    if (ended) return Promise.resolve(null);
    return new Promise((r) => (waiter = r));
  };
}

async function sendall(sock, data) {
  if (!sock.write(data)) await once(sock, 'drain');
}

async function handleAwait(sock) {
  const recv = makeRecv(sock);
  for (;;) {
    const data = await recv();
    if (data === null) break;
    await sendall(sock, data);
  }
  sock.end();
}

const server = net.createServer({ noDelay: true }, (sock) => {
  sock.setNoDelay(true);
  sock.on('error', () => {});
  if (mode === 'cb') {
    sock.on('data', (d) => sock.write(d));
  } else {
    handleAwait(sock).catch(() => sock.destroy());
  }
});
server.listen(port, '127.0.0.1');

// Loopback helpers of the scripts that start servers (bench/http.mjs, bench/net/instructions.mjs).
// Imports nothing of verdant.
import { connect, createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/** Whether a connection to 127.0.0.1:`port` is accepted now (it is closed at once). */
export function tryConnect(port) {
  return new Promise((r) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      r(true);
    });
    c.once('error', () => r(false));
  });
}

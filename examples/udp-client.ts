/**
 * A UDP client, as gevent's examples/udp_client.py: send one datagram, print the answer.
 *
 * Ported from gevent's examples/udp_client.py. `main()` starts udp-server.ts's server on a free
 * port first, so the demo is self-contained; given an address (`host:port`, gevent's is
 * 127.0.0.1:9001), it sends there instead and exits.
 *
 * Run: node dist/examples/udp-client.js [message] [host:port]
 */
import { pathToFileURL } from 'node:url';
import { Socket } from '../src/io/socket.js';
import { echoServer } from './udp-server.js';

/** Send `message` to `[host, port]` and resolve the answer. */
export async function ask(message: string, address: [string, number]): Promise<string> {
  const sock = new Socket({ type: 'udp4' });
  try {
    console.log('Sending %d bytes to %s:%d', Buffer.byteLength(message), ...address);
    await sock.sendto(message, address);
    const [data, from] = await sock.recvfrom(8192);
    console.log('%s:%d: got %j', ...(from as [string, number]), Buffer.from(data).toString());
    return Buffer.from(data).toString();
  } finally {
    sock.close();
  }
}

export async function main(message = 'Hello, UDP!', address?: string): Promise<void> {
  if (address !== undefined) {
    const i = address.lastIndexOf(':');
    await ask(message, [address.slice(0, i), Number(address.slice(i + 1))]);
    return;
  }
  const server = echoServer(0);
  await server.start();
  try {
    await ask(message, ['127.0.0.1', server.serverPort as number]);
  } finally {
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main(process.argv[2], process.argv[3]);
}

/**
 * A UDP client, as gevent's examples/udp_client.py: send one datagram, print the answer.
 *
 * Ported from gevent's examples/udp_client.py. `main()` starts udp-server.ts's server on a free
 * port first, so the demo is self-contained.
 *
 * Run: node dist/examples/udp-client.js [message]
 */
import { pathToFileURL } from 'node:url';
import { Socket } from '../src/io/socket.js';
import { echoServer } from './udp-server.js';

/** Send `message` to `[host, port]` and resolve the answer. */
export async function ask(message: string, address: [string, number]): Promise<string> {
  const sock = new Socket({ type: 'udp4' });
  try {
    console.log('Sending %d bytes to %s', message.length, address[0]);
    await sock.sendto(message, address);
    const [data] = await sock.recvfrom(8192);
    console.log('%s: got %j', address[0], Buffer.from(data).toString());
    return Buffer.from(data).toString();
  } finally {
    sock.close();
  }
}

export async function main(): Promise<void> {
  const server = echoServer(0);
  await server.start();
  try {
    await ask(process.argv[2] ?? 'Hello, UDP!', ['127.0.0.1', server.serverPort as number]);
  } finally {
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

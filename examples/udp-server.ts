/**
 * A UDP server, as gevent's examples/udp_server.py: a DatagramServer that answers every
 * datagram with `Received N bytes`.
 *
 * Ported from gevent's examples/udp_server.py (port 0 in the demo; gevent uses 9000).
 * udp-client.ts talks to it.
 *
 * Run: node dist/examples/udp-server.js [port]
 */
import { pathToFileURL } from 'node:url';
import { DatagramServer } from '../src/servers/index.js';

/** The echo-size server: `handle(data, address)` answers with `sendto`. */
export function echoServer(port = 0): DatagramServer {
  const server: DatagramServer = new DatagramServer(['127.0.0.1', port], async (data, address) => {
    console.log('%s: got %j', address[0], Buffer.from(data).toString());
    await server.sendto(`Received ${data.length} bytes`, address);
  });
  return server;
}

export async function main(): Promise<void> {
  const server = echoServer(Number(process.argv[2] ?? 9000));
  await server.start();
  console.log('Receiving datagrams on :%d', server.serverPort);
  await server.serveForever();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

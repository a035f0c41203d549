/**
 * gevent's `examples/wsgiserver_ssl.py`: the hello-world server over HTTPS. The certificate is
 * made on the fly with `selfsigned` (the original ships `server.crt`/`server.key`).
 *
 * `main()` serves on a free port, asks once over TLS (trusting that certificate), prints the
 * answer and stops. Run with a port to keep it serving (gevent's listens on 8443; 0 picks a free
 * port, printed): `node dist/examples/wsgiserver-ssl.js 8443`.
 */
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { pathToFileURL } from 'node:url';
import selfsigned from 'selfsigned';
import { HttpServer } from '../src/servers/http.js';
import { app } from './wsgiserver.js';

/** wsgiserver.ts's app: `/` is hello world, any other path a 404, as gevent's `hello_world`. */
export { app };

/** A self-signed certificate for localhost/127.0.0.1. */
export async function makeCert(): Promise<{ key: string; cert: string }> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

export async function main(): Promise<void> {
  const { key, cert } = await makeCert();
  const server = new HttpServer(['127.0.0.1', 0], app, { key, cert, log: null });
  await server.start();
  const body = await new Promise<string>((resolve, reject) => {
    const r = request(
      { host: '127.0.0.1', port: server.serverPort as number, path: '/', ca: cert },
      (res) => {
        let s = '';
        const authorized = (res.socket as TLSSocket).authorized;
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          s += d;
        });
        res.on('end', () =>
          resolve(`${res.statusCode} ${s} (certificate verified: ${authorized})`),
        );
      },
    );
    r.on('error', reject);
    r.end();
  });
  console.log(`GET https://127.0.0.1/ -> ${body}`);
  await server.stop();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv[2] === undefined) await main();
  else {
    const { key, cert } = await makeCert();
    const server = new HttpServer(['127.0.0.1', Number(process.argv[2])], app, { key, cert });
    await server.start();
    console.log(`Serving on https://127.0.0.1:${server.serverPort}/`);
    await server.serveForever();
  }
}

// W8 servers for bench/http.mjs: `node http-server.mjs <kind> <port>` serves `Hello, World!`
// (Content-Length set) on 127.0.0.1 until killed, and prints `ready <port>` once listening.
//   bare   node:http, the anchors' limit (never imports verdant)
//   node   verdant HttpServer with a Node (req, res) handler
//   fetch  verdant HttpServer with a Fetch handler (standard Request/Response)
//   pool   verdant HttpServer, Node handler, spawn: Pool(100)
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [kind, portArg] = process.argv.slice(2);
const port = Number(portArg ?? 0);
const BODY = Buffer.from('Hello, World!');
const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'src');

function nodeHandler(_req, res) {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': BODY.length });
  res.end(BODY);
}

if (kind === 'bare') {
  const s = http.createServer(nodeHandler).listen(port, '127.0.0.1', () => {
    console.log(`ready ${s.address().port}`);
  });
} else {
  const { HttpServer } = await import(pathToFileURL(join(DIST, 'servers', 'http.js')).href);
  const { Pool } = await import(pathToFileURL(join(DIST, 'index.js')).href);
  const app =
    kind === 'fetch'
      ? (_request) => new Response('Hello, World!', { headers: { 'Content-Type': 'text/plain' } })
      : nodeHandler;
  const opts = { log: null };
  if (kind === 'pool') opts.spawn = new Pool(100);
  const server = new HttpServer(['127.0.0.1', port], app, opts);
  await server.start();
  console.log(`ready ${server.serverPort}`);
  await server.serveForever();
}

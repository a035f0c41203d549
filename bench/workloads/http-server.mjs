// HTTP servers for bench/workloads/http.mjs (and bench/http.mjs): `node http-server.mjs <kind>
// <port>` serves on 127.0.0.1 until killed, and prints `ready <port>` once listening.
// W8 hello world (`Hello, World!`, Content-Length set):
//   bare   node:http, the anchors' limit (never imports verdant)
//   bare-imp  the same bare server in a process that imported verdant and ran a greenlet: the
//          control row (its ratio to bare is the host's noise plus the import's tax)
//   node   verdant HttpServer with a Node (req, res) handler
//   fetch  verdant HttpServer with a Fetch handler (standard Request/Response)
//   pool   verdant HttpServer, Node handler, spawn: Pool(100)
//   fetch-bare  node:http (no verdant) with a minimal Fetch adapter: standard Request/Response,
//          the body read with arrayBuffer(): the ceiling of a Fetch handler
//   fetch-norequest  the same adapter without building the Request: the ceiling of a lazy
//          look-alike request that is not a real Request (report only)
//   node-log, fetch-log  as node / fetch with the default access log (process.stderr)
// Streaming, 1000 × 1 KiB chunks per response (chunked):
//   stream-bare     node:http, a res.write loop that waits for 'drain' when write() says so
//   stream-verdant  verdant HttpServer, a Fetch handler whose body is a ReadableStream
//   stream-gen      the same with an async generator as the body (undici copies each piece)
//   stream-from     the same generator as the body through `ReadableStream.from` (no copy)
//   stream-web      node:http (no verdant), the same ReadableStream as stream-verdant read with
//                   `await reader.read()` into a res.write loop: the ceiling of a web-stream body
//   stream-node     verdant HttpServer, a Node handler running stream-bare's res.write loop,
//                   its 'drain' wait through verdant's `until` (a kill or Timeout lands there)
// WebSocket echo (every message sent back):
//   ws-bare     a `ws` WebSocketServer on node:http (never imports verdant)
//   ws-verdant  verdant HttpServer {websocket}, `for await (const m of ws) await ws.send(m)`
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [kind, portArg] = process.argv.slice(2);
const port = Number(portArg ?? 0);
const BODY = Buffer.from('Hello, World!');
const CHUNK = Buffer.alloc(1024, 0x61);
const CHUNKS = 1000;
const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'src');
const dist = (p) => import(pathToFileURL(join(DIST, p)).href);
process.on('SIGTERM', () => process.exit(0));

function nodeHandler(_req, res) {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': BODY.length });
  res.end(BODY);
}

/** Resolves on the response's next 'drain' (or 'close'). */
function drained(res) {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

async function streamBare(_req, res, wait = (p) => p) {
  res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
  for (let i = 0; i < CHUNKS; i++) {
    if (!res.write(CHUNK)) {
      await wait(drained(res));
      if (res.destroyed) return;
    }
  }
  res.end();
}

function chunkStream() {
  let i = 0;
  return new ReadableStream({
    pull(ctrl) {
      if (i++ < CHUNKS) ctrl.enqueue(CHUNK);
      else ctrl.close();
    },
  });
}

/** stream-web: a ReadableStream body sent by plain node:http, as a Fetch adapter would. */
async function streamWeb(_req, res) {
  res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
  const reader = chunkStream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!res.write(value)) {
      await drained(res);
      if (res.destroyed) return reader.cancel();
    }
  }
  res.end();
}

async function* chunks() {
  for (let i = 0; i < CHUNKS; i++) yield CHUNK;
}

function listenBare(server) {
  server.listen(port, '127.0.0.1', () => console.log(`ready ${server.address().port}`));
}

if (kind === 'bare') {
  listenBare(http.createServer(nodeHandler));
} else if (kind === 'bare-imp') {
  const { spawn } = await dist('index.js');
  await dist('servers/http.js');
  await spawn(() => 1).join();
  listenBare(http.createServer(nodeHandler));
} else if (kind === 'fetch-bare' || kind === 'fetch-norequest') {
  // The ceiling of a Fetch handler with the standard Request/Response: a minimal adapter on
  // node:http, no greenlet, no checks. `fetch-norequest` never builds the Request (the app gets
  // null): what an adapter whose request is a lazy look-alike saves, as @hono/node-server's is
  // without its global override (`instanceof Request`, but `new Request(request)` and
  // `fetch(request)` throw on it): a report row, not an adapter verdant may copy.
  const app = (_request) =>
    new Response('Hello, World!', { headers: { 'Content-Type': 'text/plain' } });
  const build = kind === 'fetch-bare';
  listenBare(
    http.createServer(async (req, res) => {
      let request = null;
      if (build) {
        const headers = new Headers();
        const raw = req.rawHeaders;
        for (let i = 0; i < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
        request = new Request(`http://${req.headers.host}${req.url}`, {
          method: req.method,
          headers,
        });
      }
      const response = await app(request);
      const flat = [];
      for (const [k, v] of response.headers) flat.push(k, v);
      const body = Buffer.from(await response.arrayBuffer());
      flat.push('content-length', String(body.length));
      res.writeHead(response.status, flat);
      res.end(body);
    }),
  );
} else if (kind === 'stream-bare') {
  listenBare(http.createServer((req, res) => void streamBare(req, res)));
} else if (kind === 'stream-web') {
  listenBare(http.createServer((req, res) => void streamWeb(req, res)));
} else if (kind === 'ws-bare') {
  const { WebSocketServer } = await import('ws');
  const server = http.createServer((_req, res) => res.end());
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (m, isBinary) => ws.send(m, { binary: isBinary })));
  listenBare(server);
} else {
  const { HttpServer } = await dist('servers/http.js');
  const { Pool } = await dist('index.js');
  let app = nodeHandler;
  const opts = kind.endsWith('-log') ? {} : { log: null };
  if (kind === 'fetch' || kind === 'fetch-log') {
    app = (_request) =>
      new Response('Hello, World!', { headers: { 'Content-Type': 'text/plain' } });
  } else if (kind === 'pool') {
    opts.spawn = new Pool(100);
  } else if (kind === 'stream-verdant') {
    app = () =>
      new Response(chunkStream(), { headers: { 'Content-Type': 'application/octet-stream' } });
  } else if (kind === 'stream-from') {
    app = () =>
      new Response(ReadableStream.from(chunks()), {
        headers: { 'Content-Type': 'application/octet-stream' },
      });
  } else if (kind === 'stream-node') {
    const { until } = await dist('index.js');
    app = (req, res) => streamBare(req, res, until);
  } else if (kind === 'stream-gen') {
    app = () => new Response(chunks(), { headers: { 'Content-Type': 'application/octet-stream' } });
  } else if (kind === 'ws-verdant') {
    await dist('servers/websocket.js');
    opts.websocket = async (ws) => {
      for await (const m of ws) await ws.send(m);
    };
  } else if (kind !== 'node' && kind !== 'node-log') {
    throw new Error(`unknown kind ${kind}`);
  }
  const server = new HttpServer(['127.0.0.1', port], app, opts);
  await server.start();
  console.log(`ready ${server.serverPort}`);
  await server.serveForever();
}

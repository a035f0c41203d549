/**
 * A WebSocket echo server (`/echo`) and seed 000's "Websockets" sample (`/random`: sends
 * `{"x": x, "y": random 1..5}` every 500 ms until the browser goes away), on `verdant/websocket`.
 *
 * `main()` starts it on a free port, echoes two messages with `connect()` and stops.
 */
import { pathToFileURL } from 'node:url';
import { sleep } from '../src/index.js';
import { HttpServer } from '../src/servers/http.js';
import { connect, type WebSocket } from '../src/servers/websocket.js';

export async function websocket(ws: WebSocket, req: Request): Promise<void> {
  if (new URL(req.url).pathname.endsWith('/random')) {
    for (let x = 0; !ws.closed; x++) {
      await ws.send(JSON.stringify({ x, y: 1 + Math.floor(Math.random() * 5) }));
      await sleep(500);
    }
    return;
  }
  for await (const msg of ws) await ws.send(msg); // echo until the client closes
}

export const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>WebSocket echo</title></head><body>
<h1>WebSocket Example</h1><div id="conn_status">Not Connected</div>
<form id="f"><input id="m" value="hello"> <button>Send</button></form><div id="placeholder"></div>
<script>
const base = location.pathname.replace(/\\/$/, '');
const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + base + '/echo');
const out = (t) => { const p = document.createElement('p'); p.textContent = t; document.getElementById('placeholder').appendChild(p); };
ws.onmessage = (e) => out('echo: ' + e.data);
ws.onopen = () => { document.getElementById('conn_status').innerHTML = '<b>Connected</b>'; };
ws.onclose = () => { document.getElementById('conn_status').innerHTML = '<b>Closed</b>'; };
document.getElementById('f').onsubmit = (e) => { e.preventDefault(); ws.send(document.getElementById('m').value); };
</script></body></html>`;

export function app(_req: Request): Response {
  return new Response(PAGE, { headers: { 'Content-Type': 'text/html; charset=utf-8' } });
}

export async function main(): Promise<void> {
  const server = new HttpServer(['127.0.0.1', 0], app, { log: null, websocket });
  await server.start();
  const ws = await connect(`ws://127.0.0.1:${server.serverPort}/echo`, { timeout: 5000 });
  for (const m of ['hello', 'world']) {
    await ws.send(m);
    console.log(`echo: ${String(await ws.receive({ timeout: 5000 }))}`);
  }
  ws.close();
  await server.stop();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

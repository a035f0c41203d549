/**
 * The chat server of seed 000 ("Chat Server"), with a real web page: rooms, a backlog, and two
 * ways to get new messages — long polling (each user has a verdant `Queue`; `POST
 * /poll/<uid>` waits up to 10 s on it, as the seed's `queue.get(timeout=10)`) and a WebSocket
 * (`/ws/<room>/<uid>`: one greenlet per connection reads the user's queue and sends).
 *
 * Differences from the seed: no Flask; one page (`/?mode=poll` or `/?mode=ws`) instead of three
 * templates; `POST /put/<room>/<uid>` takes the message as the body text.
 *
 * Run: node dist/examples/chat.js [port]   (then open http://127.0.0.1:5000/ in two windows)
 */
import { pathToFileURL } from 'node:url';
import { Queue, QueueEmpty, spawn } from '../src/index.js';
import { HttpServer } from '../src/servers/http.js';
import type { WebSocket } from '../src/servers/websocket.js';

class User {
  readonly queue = new Queue<string>();
}

class Room {
  readonly users = new Set<User>();
  readonly messages: string[] = [];
  backlog(size = 25): string[] {
    return this.messages.slice(-size);
  }
  subscribe(user: User): void {
    this.users.add(user);
  }
  add(message: string): void {
    for (const user of this.users) user.queue.putNowait(message);
    this.messages.push(message);
  }
}

/** The chat state and its Fetch handler and WebSocket handler. */
export function createChat(): {
  app: (req: Request) => Promise<Response>;
  websocket: (ws: WebSocket, req: Request) => Promise<void>;
  rooms: Map<string, Room>;
} {
  const rooms = new Map([
    ['topic1', new Room()],
    ['topic2', new Room()],
  ]);
  const users = new Map<string, User>();
  const userFor = (uid: string): User => {
    let u = users.get(uid);
    if (u === undefined) {
      u = new User();
      users.set(uid, u);
    }
    return u;
  };
  const join = (room: string, uid: string): Room | undefined => {
    const r = rooms.get(room);
    r?.subscribe(userFor(uid));
    return r;
  };

  async function app(req: Request): Promise<Response> {
    const parts = new URL(req.url).pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts.length === 0)
      return new Response(PAGE, { headers: { 'Content-Type': 'text/html; charset=utf-8' } });
    const [verb, a, b] = parts;
    if (verb === 'join' && a !== undefined && b !== undefined && req.method === 'POST') {
      const r = join(a, b);
      return r ? Response.json(r.backlog()) : new Response('no such room', { status: 404 });
    }
    if (verb === 'put' && a !== undefined && b !== undefined && req.method === 'POST') {
      const r = rooms.get(a);
      if (r === undefined) return new Response('no such room', { status: 404 });
      r.add(`${b}: ${await req.text()}`);
      return new Response('');
    }
    if (verb === 'poll' && a !== undefined && req.method === 'POST') {
      // Long polling: wait up to 10 s for the next message (the seed's queue.get(timeout=10)).
      try {
        return Response.json(await userFor(a).queue.get({ timeout: 10000 }));
      } catch (err) {
        if (err instanceof QueueEmpty) return Response.json([]);
        throw err;
      }
    }
    return new Response('not found', { status: 404 });
  }

  async function websocket(ws: WebSocket, req: Request): Promise<void> {
    const [, room, uid] = new URL(req.url).pathname
      .split('/')
      .filter(Boolean)
      .map(decodeURIComponent);
    if (room === undefined || uid === undefined) return;
    const r = join(room, uid);
    if (r === undefined) return;
    const user = userFor(uid);
    await ws.send(JSON.stringify({ backlog: r.backlog() }));
    // One greenlet sends what arrives in the user's queue; this one reads the browser.
    const sender = spawn(async () => {
      for (;;) await ws.send(JSON.stringify({ message: await user.queue.get() }));
    });
    try {
      for await (const m of ws) r.add(`${uid}: ${String(m)}`);
    } finally {
      await sender.kill();
    }
  }

  return { app, websocket, rooms };
}

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>verdant chat</title>
<style>body{font-family:sans-serif;max-width:40em;margin:2em auto}#log{border:1px solid #ccc;height:18em;overflow:auto;padding:.5em}#log p{margin:.2em 0}</style>
</head><body>
<h1>verdant chat</h1>
<p>Mode: <b id="mode"></b> (<a href="?mode=poll">long polling</a> · <a href="?mode=ws">WebSocket</a>)</p>
<p><label>Name <input id="uid"></label> <label>Room <select id="room"><option>topic1</option><option>topic2</option></select></label>
<button id="join">Join</button> <span id="status">not joined</span></p>
<div id="log"></div>
<form id="form"><input id="msg" size="40" autocomplete="off"> <button id="send">Send</button></form>
<script>
const params = new URLSearchParams(location.search);
const mode = params.get('mode') === 'ws' ? 'ws' : 'poll';
const base = location.pathname.replace(/\\/$/, '');
document.getElementById('mode').textContent = mode === 'ws' ? 'WebSocket' : 'long polling';
document.getElementById('uid').value = params.get('uid') || 'user' + Math.floor(Math.random() * 1000);
const log = document.getElementById('log');
function show(text) { const p = document.createElement('p'); p.textContent = text; log.appendChild(p); log.scrollTop = log.scrollHeight; }
let send = null;
document.getElementById('join').onclick = async () => {
  const uid = encodeURIComponent(document.getElementById('uid').value);
  const room = document.getElementById('room').value;
  if (mode === 'ws') {
    const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + base + '/ws/' + room + '/' + uid);
    ws.onmessage = (e) => { const d = JSON.parse(e.data); if (d.backlog) d.backlog.forEach(show); else show(d.message); };
    ws.onopen = () => { document.getElementById('status').textContent = 'joined ' + room; };
    ws.onclose = () => { document.getElementById('status').textContent = 'closed'; };
    send = (text) => ws.send(text);
  } else {
    const backlog = await (await fetch(base + '/join/' + room + '/' + uid, { method: 'POST' })).json();
    backlog.forEach(show);
    document.getElementById('status').textContent = 'joined ' + room;
    send = (text) => fetch(base + '/put/' + room + '/' + uid, { method: 'POST', body: text });
    (async function poll() {
      for (;;) {
        try {
          const m = await (await fetch(base + '/poll/' + uid, { method: 'POST' })).json();
          if (typeof m === 'string') show(m);
        } catch { await new Promise((r) => setTimeout(r, 1000)); }
      }
    })();
  }
};
document.getElementById('form').onsubmit = (e) => {
  e.preventDefault();
  const msg = document.getElementById('msg');
  if (send && msg.value) { send(msg.value); msg.value = ''; }
};
</script>
</body></html>
`;

/** Serve the chat on `port` until stopped. */
export async function serve(port = 5000): Promise<HttpServer> {
  const chat = createChat();
  const server = new HttpServer(['127.0.0.1', port], chat.app, { websocket: chat.websocket });
  await server.start();
  return server;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const server = await serve(Number(process.argv[2] ?? 5000));
  console.log(`chat on http://127.0.0.1:${server.serverPort}/`);
  await server.serveForever();
}

// Where the memory of an idle connection goes: heap snapshots of an idle-connections server
// before and after N connections, and the objects the connections added, grouped by type,
// constructor and first retainer (bytes and count per connection). Issue 16's tool.
// Usage: node --expose-gc bench/net/idle-snapshot.mjs node|await|verdant [N=2000]
// (run `npm run build` first; the snapshots go to the OS temp folder.)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';

const [mode, n] = [process.argv[2], Number(process.argv[3] ?? 2000)];
const out = join(os.tmpdir(), `verdant-idle-${mode}-${process.pid}`);

if (process.env.IDLE_SNAPSHOT_SERVER === '1') {
  // The server side: snapshot at start, then once n connections are open.
  const gc = () => {
    globalThis.gc();
    globalThis.gc();
  };
  let count = 0;
  const opened = () => {
    if (++count === n)
      setTimeout(() => {
        gc();
        v8.writeHeapSnapshot(`${process.env.OUT}-n.heapsnapshot`);
        process.stdout.write('done\n');
        process.exit(0);
      }, 300);
  };
  const ready = (port) => {
    gc();
    v8.writeHeapSnapshot(`${process.env.OUT}-base.heapsnapshot`);
    process.stdout.write(`ready ${port}\n`);
  };
  if (mode === 'verdant') {
    const { StreamServer } = await import('../../dist/src/servers/index.js');
    const server = new StreamServer(['127.0.0.1', 0], async (sock) => {
      opened();
      for (let d = await sock.recv(65536); d.length > 0; d = await sock.recv(65536))
        await sock.sendall(d);
    });
    await server.start();
    ready(server.serverPort);
    await server.serveForever();
  } else {
    const { once } = await import('node:events');
    const server = net.createServer({ noDelay: true }, async (sock) => {
      sock.on('error', () => {});
      opened();
      if (mode === 'node') sock.on('data', (d) => sock.write(d));
      else for await (const d of sock) if (!sock.write(d)) await once(sock, 'drain');
    });
    server.listen(0, '127.0.0.1', () => ready(server.address().port));
  }
} else {
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--max-semi-space-size=1', process.argv[1], mode, String(n)],
    {
      env: { ...process.env, IDLE_SNAPSHOT_SERVER: '1', OUT: out },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let text = '';
  const port = await new Promise((resolve) =>
    child.stdout.on('data', (d) => {
      text += d;
      const m = /ready (\d+)/.exec(text);
      if (m) resolve(Number(m[1]));
    }),
  );
  const socks = [];
  for (let i = 0; i < n; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    socks.push(s);
    if (i % 200 === 199) await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => child.on('exit', r));
  for (const s of socks) s.destroy();
  report(`${out}-base.heapsnapshot`, `${out}-n.heapsnapshot`, n);
  fs.rmSync(`${out}-base.heapsnapshot`);
  fs.rmSync(`${out}-n.heapsnapshot`);
}

function report(baseFile, nFile, count) {
  const base = JSON.parse(fs.readFileSync(baseFile, 'utf8'));
  const s = JSON.parse(fs.readFileSync(nFile, 'utf8'));
  const { node_fields: nf, edge_fields: ef, node_types: nt, edge_types: et } = s.snapshot.meta;
  const [W, EW, types, etypes] = [nf.length, ef.length, nt[0], et[0]];
  const [T, NM, SZ, ID, EC] = ['type', 'name', 'self_size', 'id', 'edge_count'].map((f) =>
    nf.indexOf(f),
  );
  const [ET, EN, ETO] = ['type', 'name_or_index', 'to_node'].map((f) => ef.indexOf(f));
  const baseIds = new Set();
  for (let i = 0; i < base.nodes.length; i += W) baseIds.add(base.nodes[i + ID]);
  const { nodes, edges, strings: str } = s;
  const name = (i) => {
    const t = types[nodes[i + T]];
    const nm = t.includes('string') ? '(string)' : str[nodes[i + NM]].slice(0, 40);
    return `${t}:${nm}`;
  };
  // The first strong retainer of each node (an internal edge only when nothing else holds it).
  const retainer = new Map();
  for (let i = 0, e = 0; i < nodes.length; i += W) {
    for (let k = 0; k < nodes[i + EC]; k++, e += EW) {
      const type = etypes[edges[e + ET]];
      if (type === 'weak' || type === 'shortcut') continue;
      const to = edges[e + ETO];
      const edge = type === 'element' || type === 'hidden' ? `[${type}]` : str[edges[e + EN]];
      const score = type === 'internal' ? 1 : 0;
      const prev = retainer.get(to);
      if (prev === undefined || prev[2] > score) retainer.set(to, [i, edge, score]);
    }
  }
  const groups = new Map();
  for (let i = 0; i < nodes.length; i += W) {
    if (baseIds.has(nodes[i + ID]) || types[nodes[i + T]] === 'code') continue;
    const r = retainer.get(i);
    const key = `${name(i)}  <-  ${r ? `${name(r[0])}.${r[1]}` : '?'}`;
    const g = groups.get(key) ?? [0, 0];
    g[0]++;
    g[1] += nodes[i + SZ];
    groups.set(key, g);
  }
  const rows = [...groups].sort((a, b) => b[1][1] - a[1][1]);
  const total = rows.reduce((t, [, [, b]]) => t + b, 0);
  console.log(`${mode}: ${(total / count).toFixed(0)} B per connection (new objects, code aside)`);
  console.log('  B/conn  count  type:name  <-  first retainer.edge');
  for (const [key, [c, b]] of rows) {
    if (b / count < 3) break;
    console.log(
      `${(b / count).toFixed(1).padStart(8)} ${(c / count).toFixed(2).padStart(6)}  ${key}`,
    );
  }
}

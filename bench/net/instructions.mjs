// W7 (TCP echo) server cost in user-space instructions per message, counted by valgrind's
// callgrind. Wall time and CPU time on the shared 2-core host move ±20 % from round to round;
// an instruction count does not move with the load, so this is the reading that tells a real
// change in the servers' own work from noise. It leaves out the kernel (the read and write
// system calls): check with `strace -c -f -p PID` that the servers make the same calls per
// message (one read, one write), and the kernel's share is then the same for all.
//
// Each server runs under callgrind twice, driven by bench/net/driver.mjs with W7_CLIENTS
// connections of SMALL and then LARGE echoes each; the difference of the two totals divided by
// the difference of the message counts is the steady cost of one message (start-up, module
// loading and most of the JIT compiling cancel out).
//
//   node bench/net/instructions.mjs [--kinds=w7-bare,w7-await,w7-verdant] [--clients=10]
//                                   [--small=2000] [--large=6000]
//
// Takes about 8 minutes (valgrind runs Node some 100× slower). Prints one table; the ratio
// column is w7-bare / x, as bench/http.mjs prints the CPU ratio.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, tryConnect } from '../lib/net.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const SERVERS = {
  'w7-bare': [join(HERE, 'echo-node.mjs'), 'cb'],
  'w7-await': [join(HERE, 'echo-node.mjs'), 'await'],
  'w7-verdant': [join(HERE, 'echo-verdant.mjs')],
};
const opt = (name, dflt) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? dflt : a.slice(name.length + 3);
};
const KINDS = opt('kinds', 'w7-bare,w7-await,w7-verdant').split(',');
const CLIENTS = Number(opt('clients', 10));
const SMALL = Number(opt('small', 2000));
const LARGE = Number(opt('large', 6000));
for (const k of KINDS) {
  if (!(k in SERVERS)) throw new RangeError(`--kinds: unknown server ${k}`);
}
if (!(LARGE > SMALL && SMALL > 0)) throw new RangeError('--large must be above --small > 0');

try {
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
} catch {
  process.stdout.write('valgrind is not installed (apt-get install -y valgrind): no count\n');
  process.exit(0);
}

/** Total instructions (Ir) of one server run that echoes `msgs` messages per client. */
async function count(kind, msgs, dir) {
  const [script, ...extra] = SERVERS[kind];
  const port = await freePort();
  const out = join(dir, `${kind}-${msgs}.callgrind`);
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      `--callgrind-out-file=${out}`,
      process.execPath,
      script,
      String(port),
      ...extra,
    ],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  const exited = new Promise((r) => child.once('exit', r));
  let up = false;
  for (let i = 0; i < 600 && !up; i++) {
    await new Promise((r) => setTimeout(r, 200));
    up = await tryConnect(port);
  }
  if (!up) {
    child.kill('SIGKILL');
    throw new Error(`${kind} did not listen under valgrind within 2 minutes`);
  }
  const env = {
    ...process.env,
    W7_CLIENTS: String(CLIENTS),
    W7_MSGS: String(msgs),
    W7_LIMIT_MS: '900000',
  };
  await new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(HERE, 'driver.mjs'), String(port), kind, String(child.pid)],
      { env, timeout: 960_000 },
      (err, _stdout, stderr) =>
        err ? reject(new Error(`${kind} driver: ${err.message} ${stderr}`)) : resolve(),
    );
  });
  child.kill('SIGTERM');
  await exited;
  const m = /^(?:summary|totals): (\d+)/m.exec(readFileSync(out, 'utf8'));
  if (m === null) throw new Error(`${kind}: no total in ${out}`);
  return Number(m[1]);
}

const dir = mkdtempSync(join(tmpdir(), 'verdant-w7-ir-'));
const rows = [];
try {
  for (const kind of KINDS) {
    const small = await count(kind, SMALL, dir);
    const large = await count(kind, LARGE, dir);
    const perMsg = (large - small) / (CLIENTS * (LARGE - SMALL));
    rows.push([kind, perMsg]);
    process.stderr.write(`${kind}: ${Math.round(perMsg)} instructions per message\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const base = rows.find(([k]) => k === 'w7-bare')?.[1] ?? rows[0][1];
process.stdout.write(
  `W7 user-space instructions per message (callgrind; node ${process.version}; ${CLIENTS} connections, ${SMALL} → ${LARGE} echoes each)\n` +
    '| server | instructions / msg | ratio w7-bare/x |\n| --- | --- | --- |\n' +
    rows.map(([k, v]) => `| ${k} | ${Math.round(v)} | ${(base / v).toFixed(2)} |`).join('\n') +
    '\n',
);

// A throwaway PostgreSQL cluster for the psycopg2_pool example and its test: initdb in a temp
// dir, a server listening only on a Unix socket in that dir (no TCP port), stopped and deleted
// after. Needs Debian's postgresql packages (/usr/lib/postgresql/<version>/bin); .ci/run
// installs them when absent. As root, initdb and postgres run as the `postgres` user (they
// refuse to run as root).
//
// As a module: `const c = await startCluster(); … c.config (for pg.Client) … await c.stop();`
// From the shell: `node scripts/pg-cluster.mjs start` prints the socket dir and waits; Ctrl-C
// (or SIGTERM) stops and removes it.
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PORT = 5432; // only names the socket file: the server opens no TCP port

/** The newest installed PostgreSQL's bin dir, or null. */
export function findBinDir() {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length === 0 ? null : join(base, versions[0], 'bin');
}

/** Run a PostgreSQL tool, as `postgres` when we are root. */
async function pgTool(bin, tool, args) {
  const cmd = join(bin, tool);
  if (process.getuid?.() === 0) return run('runuser', ['-u', 'postgres', '--', cmd, ...args]);
  return run(cmd, args);
}

/**
 * Make and start a cluster. Resolves to `{dir, config, stop}`: `config` is a pg.Client config
 * (`host` = the socket dir, `port`, `user`, `database`); `stop()` stops the server and deletes
 * the dir.
 */
export async function startCluster() {
  const bin = findBinDir();
  if (bin === null) {
    throw new Error(
      'PostgreSQL is not installed: no /usr/lib/postgresql/<version>/bin/initdb (apt-get install postgresql)',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'verdant-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { uid, gid } = await run('id', ['-u', 'postgres']).then(async (u) => ({
      uid: Number(u.stdout),
      gid: Number((await run('id', ['-g', 'postgres'])).stdout),
    }));
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  const user = asRoot ? 'postgres' : userInfo().username;
  let started = false;
  const stop = async () => {
    try {
      if (started) await pgTool(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      started = false;
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    await pgTool(bin, 'initdb', ['-D', data, '-A', 'trust', '-U', user, '--no-sync', '-E', 'UTF8']);
    await pgTool(bin, 'pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-k ${dir} -c listen_addresses= -p ${PORT} -c fsync=off`,
      'start',
    ]);
    started = true;
  } catch (e) {
    await stop();
    throw e;
  }
  return { dir, config: { host: dir, port: PORT, user, database: 'postgres' }, stop };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'start') {
  const c = await startCluster();
  console.log(`PostgreSQL on the Unix socket in ${c.dir} (user ${c.config.user}); Ctrl-C stops it`);
  const end = () => void c.stop().then(() => process.exit(0));
  process.on('SIGINT', end);
  process.on('SIGTERM', end);
  setInterval(() => {}, 1 << 30);
}

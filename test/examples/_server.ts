// Runs an example script as a server process, as gevent's util.TestServer does for its
// test__example_*.py: start it with its arguments, wait for the line that names its port, and
// kill it at the end. Not a test file itself (the runner picks *.test.js only).
import { type ChildProcess, spawn as spawnChild } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** A running example process. */
export interface ExampleServer {
  child: ChildProcess;
  /** The port it printed. */
  port: number;
  /** Everything it wrote to stdout and stderr so far. */
  out(): string;
  /** SIGTERM it (unless it ended) and resolve its exit code and signal. */
  stop(): Promise<[number | null, NodeJS.Signals | null]>;
}

/**
 * Start `dist/examples/<name>.js` with `args` and resolve once its output matches `ready`, whose
 * first group is the port. Rejects (killing it) if it does not within 15 s or exits first.
 */
export async function startExample(
  name: string,
  args: string[],
  ready: RegExp,
): Promise<ExampleServer> {
  const script = fileURLToPath(new URL(`../../examples/${name}.js`, import.meta.url));
  const child = spawnChild(process.execPath, [script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const r = await exited;
    clearTimeout(killer);
    return r;
  };
  for (let i = 0; i < 600 && !ready.test(out); i++) {
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  const m = ready.exec(out);
  if (m === null) {
    await stop();
    throw new Error(`${name} did not print ${ready}: ${JSON.stringify(out)}`);
  }
  return { child, port: Number(m[1]), out: () => out, stop };
}

// Helpers for the workload scripts that bench/run.mjs starts as child processes.
//
// Protocol: `node --expose-gc <script> <workload> <warmup> <reps>` runs the workload
// `warmup + reps` times in this process (a full GC before each run, outside the timing) and
// prints ONE JSON line: {workload, n, times: [wall seconds of each measured run], cpu_times: [CPU
// seconds of the same runs, around the whole workload call], runs: [extra of each run], runtime}.
// A failed check prints `CHECK FAILED: ...` on stderr and exits with status 2.
//
// This file imports nothing of verdant: the baselines load it too.

export const now = () => Number(process.hrtime.bigint()) / 1e9;

/** The same 0..50 ms sequence as the anchors (MINSTD LCG, exact in doubles). */
export function minstdDelays(n, mod = 51, seed = 1) {
  const out = new Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 48271) % 2147483647;
    out[i] = x % mod;
  }
  return out;
}

export function peakRssBytes() {
  return process.resourceUsage().maxRSS * 1024; // maxRSS is in KiB
}

export function fullGc() {
  if (typeof globalThis.gc !== 'function') {
    throw new Error('run with --expose-gc');
  }
  globalThis.gc();
  globalThis.gc();
}

export class CheckFailed extends Error {}

export function check(cond, msg) {
  if (!cond) throw new CheckFailed(msg);
}

/**
 * Run `workloads[name]` warmup + reps times and print the JSON line. A workload is an async
 * function returning `{seconds, n, ...extra}`; extra of the last measured run is reported, plus
 * every run's value for keys listed in `perRun` (e.g. expired counts).
 */
export async function main(workloads, argv = process.argv) {
  const [name, warmupArg = '1', repsArg = '3'] = argv.slice(2);
  const wl = workloads[name];
  if (wl === undefined) {
    process.stderr.write(`unknown workload ${name}; have ${Object.keys(workloads).join(' ')}\n`);
    process.exit(64);
  }
  const warmup = Number(warmupArg);
  const reps = Number(repsArg);
  const times = [];
  const cpuTimes = []; // user + system CPU of the whole process (GC threads included)
  const runs = [];
  let n = 0;
  try {
    for (let i = 0; i < warmup + reps; i++) {
      fullGc();
      const c0 = process.cpuUsage();
      const r = await wl();
      const c = process.cpuUsage(c0);
      if (i >= warmup) {
        times.push(r.seconds);
        cpuTimes.push((c.user + c.system) / 1e6);
        n = r.n;
        const { seconds: _s, n: _n, ...extra } = r;
        runs.push(extra);
      }
    }
  } catch (e) {
    process.stderr.write(
      e instanceof CheckFailed ? `CHECK FAILED: ${e.message}\n` : `${e?.stack ?? e}\n`,
    );
    process.exit(2);
  }
  const line = {
    workload: name,
    n,
    times,
    cpu_times: cpuTimes,
    runs,
    peak_rss_mb: +(peakRssBytes() / 2 ** 20).toFixed(1),
    runtime: `node${process.versions.node}`,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
  // Workloads such as the idle-memory baseline leave timers pending on purpose.
  process.exit(0);
}

// The baseline side of bench/warm.mjs in a worker thread that never imports verdant (on Node 20
// AsyncLocalStorage slows every promise of the thread that loaded it). Runs one plain.mjs
// workload per message, after a full GC, and posts its result back.
import { parentPort } from 'node:worker_threads';
import { fullGc } from './child.mjs';

const { workloads } = await import('../workloads/plain.mjs');
/** CPU seconds of this thread (Node ≥ 23.9), else of the process. */
const cpu = () => {
  const c = process.threadCpuUsage?.() ?? process.cpuUsage();
  return (c.user + c.system) / 1e6;
};
parentPort.on('message', async (name) => {
  fullGc();
  const c0 = cpu();
  const r = await workloads[name]();
  parentPort.postMessage({ seconds: r.seconds, cpu: cpu() - c0, n: r.n });
});
parentPort.postMessage('ready');

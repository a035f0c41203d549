// A thread-pool task for examples/threadpool.ts: block this worker thread for `ms` milliseconds
// (Python's time.sleep in a thread: the thread does nothing else meanwhile), return `ms`.
export default function block(ms: number): number {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return ms;
}

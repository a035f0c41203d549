// A thread-pool task for the tests: burn the CPU for `ms` milliseconds, return how long it spun.
export default function spin(ms: number): number {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    // busy
  }
  return Date.now() - t0;
}

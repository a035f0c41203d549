// A thread-pool task for the tests: wait `ms` milliseconds (a timer in the worker), then return
// `value`, or `ms` when no value is given.
import { setTimeout as delay } from 'node:timers/promises';

export default async function nap(ms: number, value?: unknown): Promise<unknown> {
  await delay(ms);
  return value === undefined ? ms : value;
}

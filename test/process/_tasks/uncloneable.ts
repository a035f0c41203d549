// A thread-pool task for the tests: return (or throw) a value structured clone cannot copy;
// 'thread' returns the worker's threadId.
import { threadId } from 'node:worker_threads';

export default function uncloneable(kind: string): unknown {
  if (kind === 'function') return () => 1;
  if (kind === 'symbol') return Symbol('s');
  if (kind === 'nested') return { ok: 1, f: () => 1 };
  if (kind === 'throw') throw { weird: true, f: () => 1 };
  if (kind === 'thread') return threadId;
  return kind;
}

/**
 * `formatRunInfo()` / `printRunInfo()`: the live greenlets as a tree along `spawningGreenlet`,
 * rooted at main (gevent's `GreenletTree`), with what each one is doing.
 *
 * Design note. The hub keeps an intrusive list of live greenlets (started, not dead) in start
 * order; the tree is drawn from it alone, so a greenlet appears after its spawner and siblings in
 * start order. A spawner that died while its children live stays as their placeholder, marked
 * `(dead)`. A greenlet's state is `running` (the caller), `waiting` (it has a verdant wait
 * pending) or `ready` (started, its turn not yet come). A wait names what it waits on: its
 * owner's wait list carries the primitive it serves (`WaitList.target`, set once when the
 * primitive is made, so no wait pays for it), and the line reads `waiting on <Name> <stats()>`
 * for every primitive with `stats()` (Event, AsyncResult, the queues and Channel, JoinableQueue's
 * `join`, Lock/RLock/Semaphore, Group/Pool `join` and slots), `waiting on <String(x)>` for a
 * greenlet being joined, a socket or a child process, `waiting on joinAll(3 greenlets)` (also
 * `wait(…)`, `iwait(…)`, `race(2 calls)`: the call owns its wait and names itself, made only
 * when printed), and plain `waiting` for a sleep or a foreign promise (`until`). Tests:
 * test/tools/runinfo.test.ts.
 *
 * @module
 */
import { inspect } from 'node:util';
import { getCurrent } from '../core/api.js';
import { Greenlet } from '../core/greenlet.js';
import { getHub, type Writable } from '../core/hub.js';
import { getMain, liveGreenlets, pendingWait } from '../core/lowlevel.js';
import { RawGreenlet } from '../core/rawgreenlet.js';

type Node = Greenlet | RawGreenlet;

/** Levels of indent drawn; deeper greenlets are drawn at this depth. */
const MAX_DEPTH = 40;

/** What a wait's owner may show: its own `stats()`, or the primitive it serves (`target`). */
type Prim = { stats?: () => unknown; target?: unknown } | null;

/** `String(x)`, or a placeholder when it throws: run info never fails on what it prints. */
function safeString(x: unknown): string {
  try {
    return String(x);
  } catch {
    return `<${typeof x === 'object' && x !== null ? x.constructor?.name : typeof x}: String() threw>`;
  }
}

/** A greenlet inside stats (an RLock's owner) prints as `String(g)`, not as its fields. */
function showFibers(stats: unknown): unknown {
  if (stats === null || typeof stats !== 'object') return stats;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(stats)) {
    out[k] =
      v instanceof Greenlet || v instanceof RawGreenlet
        ? { [inspect.custom]: () => safeString(v) }
        : v;
  }
  return out;
}

/** `<Name> <stats>` for a primitive with `stats()`, its `String()` when it defines one, else its class name. */
function describe(prim: object): string {
  const p = prim as { stats?: () => unknown; toString: () => string };
  const name = prim.constructor?.name ?? 'Object';
  if (typeof p.stats === 'function') {
    try {
      const stats = showFibers(p.stats());
      return `${name} ${inspect(stats, { breakLength: Number.POSITIVE_INFINITY, depth: 1 })}`;
    } catch {
      return `${name} <stats() threw>`;
    }
  }
  if (p.toString !== Object.prototype.toString) return safeString(prim);
  return name;
}

function stateOf(g: Node, live: boolean): string {
  if (!live) return 'dead';
  if (g === getCurrent()) return 'running';
  const w = pendingWait(g);
  if (w === null) return g instanceof Greenlet ? 'ready' : 'idle';
  // The primitive: the wait's owner when it shows stats() or is a greenlet (join), else the
  // object its wait list serves (`target`: an event, a queue, a lock, a socket …).
  const owner = w.owner as Prim;
  if (owner === null) return 'waiting';
  if (typeof owner.stats === 'function' || owner instanceof Greenlet) {
    return `waiting on ${describe(owner)}`;
  }
  const target = owner.target;
  if (typeof target === 'object' && target !== null) return `waiting on ${describe(target)}`;
  return 'waiting';
}

/**
 * The live greenlets as a tree rooted at main: one line per greenlet, `String(g)` and its state,
 * each child after its spawner and indented deeper. The state is `running`, `ready`, `dead` (a
 * spawner kept as its children's placeholder), `waiting on <Name> <stats()>` for a wait on a
 * primitive (an Event, a queue, a lock, a pool …), `waiting on <String(x)>` for a join, a socket
 * or a child process, `waiting on joinAll(3 greenlets)` (or `wait(2 objects)`, `iwait(…)`,
 * `race(2 calls)`), or plain `waiting` (a sleep, a foreign promise). Never switches.
 * @returns the lines joined by `\n`
 * @example
 * ```ts
 * import { formatRunInfo } from 'verdant/util';
 * console.log(formatRunInfo());
 * // <RawGreenlet "main"> (running)
 * //  +--- <Greenlet "worker" #1: work()> (waiting on Queue { size: 0, maxsize: null, getters: 1, … })
 * ```
 *
 * Source: `gevent.util.format_run_info` (its greenlet tree part).
 */
export function formatRunInfo(): string {
  const main = getMain();
  const live = liveGreenlets(getHub());
  const liveSet = new Set<Node>(live);
  const children = new Map<Node, Node[]>();
  const placed = new Set<Node>([main]);
  const parentOf = (g: Node): Node => (g instanceof Greenlet ? (g.spawningGreenlet ?? main) : main);
  // Iterative, not recursive: a chain of thousands of spawners (a worker respawning itself)
  // must not overflow the stack.
  const chain: Node[] = [];
  for (const g0 of live) {
    for (let g: Node = g0; !placed.has(g); g = parentOf(g)) {
      placed.add(g);
      chain.push(g);
    }
    while (chain.length > 0) {
      const g = chain.pop() as Node;
      const parent = parentOf(g);
      let list = children.get(parent);
      if (list === undefined) {
        list = [];
        children.set(parent, list);
      }
      list.push(g);
    }
  }
  const lines = [`${safeString(main)} (${stateOf(main, true)})`];
  const stack: [Node, string, boolean][] = [];
  const pushKids = (parent: Node, prefix: string): void => {
    const kids = children.get(parent) ?? [];
    for (let i = kids.length - 1; i >= 0; i--)
      stack.push([kids[i] as Node, prefix, i === kids.length - 1]);
  };
  pushKids(main, '');
  while (stack.length > 0) {
    const [g, prefix, last] = stack.pop() as [Node, string, boolean];
    lines.push(`${prefix} +--- ${safeString(g)} (${stateOf(g, liveSet.has(g))})`);
    // Past MAX_DEPTH levels the indent stops growing (a deep chain stays readable and small).
    pushKids(g, prefix.length >= MAX_DEPTH * 5 ? prefix : prefix + (last ? '     ' : ' |   '));
  }
  return lines.join('\n');
}

/**
 * Write {@link formatRunInfo} and a newline to `stream`. Never switches.
 * @param stream - anything with `write(string)`; default `process.stderr`
 * @example
 * ```ts
 * import { printRunInfo } from 'verdant/util';
 * printRunInfo(process.stdout);
 * ```
 *
 * Source: `gevent.util.print_run_info`.
 */
export function printRunInfo(stream: Writable = process.stderr): void {
  if (stream === null || typeof stream !== 'object' || typeof stream.write !== 'function') {
    throw new TypeError('printRunInfo needs a stream with a write(string) method');
  }
  void stream.write(`${formatRunInfo()}\n`);
}

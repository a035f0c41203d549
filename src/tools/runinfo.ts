/**
 * `formatRunInfo()` / `printRunInfo()`: the live greenlets as a tree along `spawningGreenlet`,
 * rooted at main (gevent's `GreenletTree`), with what each one is doing.
 *
 * Design note. The hub keeps an intrusive list of live greenlets (started, not dead) in start
 * order; the tree is drawn from it alone, so a greenlet appears after its spawner and siblings in
 * start order. A spawner that died while its children live stays as their placeholder, marked
 * `(dead)`. A greenlet's state is `running` (the caller), `waiting` (it has a verdant wait
 * pending; `waiting on <Name> <stats>` when the primitive it waits on shows a `stats()` snapshot
 * through its wait — semaphores and locks do; queues and events wait through internal lists and
 * show plain `waiting`) or `ready`
 * (started, its turn not yet come). Tests: test/tools/runinfo.test.ts.
 *
 * @module
 */
import { inspect } from 'node:util';
import { getCurrent } from '../core/api.js';
import { Greenlet } from '../core/greenlet.js';
import { getHub, type Writable } from '../core/hub.js';
import { getMain, liveGreenlets, pendingWait } from '../core/lowlevel.js';
import type { RawGreenlet } from '../core/rawgreenlet.js';

type Node = Greenlet | RawGreenlet;

function stateOf(g: Node, live: boolean): string {
  if (!live) return 'dead';
  if (g === getCurrent()) return 'running';
  const w = pendingWait(g);
  if (w === null) return g instanceof Greenlet ? 'ready' : 'idle';
  // The primitive: the wait's owner, or the object its permit engine serves (`target`).
  type Prim = { stats?: () => unknown; target?: Prim } | null;
  const owner = w.owner as Prim;
  const prim = typeof owner?.stats === 'function' ? owner : owner?.target;
  if (prim !== undefined && prim !== null && typeof prim.stats === 'function') {
    const stats = inspect(prim.stats(), { breakLength: Number.POSITIVE_INFINITY, depth: 1 });
    return `waiting on ${prim.constructor.name} ${stats}`;
  }
  return 'waiting';
}

/**
 * The live greenlets as a tree rooted at main: one line per greenlet, `String(g)` and its state,
 * each child after its spawner and indented deeper. Never switches.
 * @returns the lines joined by `\n`
 * @example
 * ```ts
 * import { formatRunInfo } from 'verdant/util';
 * console.log(formatRunInfo());
 * // <RawGreenlet "main"> (running)
 * //  +--- <Greenlet "worker" #1: work()> (waiting)
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
  const place = (g: Node): void => {
    if (placed.has(g)) return;
    placed.add(g);
    const parent: Node = g instanceof Greenlet ? g.spawningGreenlet : main;
    place(parent);
    let list = children.get(parent);
    if (list === undefined) {
      list = [];
      children.set(parent, list);
    }
    list.push(g);
  };
  for (const g of live) place(g);
  const lines = [`${String(main)} (${stateOf(main, true)})`];
  const draw = (parent: Node, prefix: string): void => {
    const kids = children.get(parent) ?? [];
    kids.forEach((g, i) => {
      lines.push(`${prefix} +--- ${String(g)} (${stateOf(g, liveSet.has(g))})`);
      draw(g, prefix + (i === kids.length - 1 ? '     ' : ' |   '));
    });
  };
  draw(main, '');
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

/**
 * Several tasks as `Greenlet` subclasses, started and joined together.
 *
 * Ported from seed 000 ("方法 1：继承 Gevent 的 Greenlet") and seed 002 (the same `Task` class,
 * in Python 2). gevent 22.10 prints `Task task1: some task...` then `Task task2: some task...`.
 *
 * Deviations from the seed:
 * - `monkey.patch_all()` is dropped: nothing here needs patching.
 * - `self.name = name` sets the greenlet's own `name`, as in gevent (the name is assignable).
 *
 * Run: node dist/examples/greenlet-tasks.js
 */
import { pathToFileURL } from 'node:url';
import { Greenlet, joinAll } from '../src/index.js';

class Task extends Greenlet<void> {
  constructor(name: string) {
    super();
    this.name = name;
  }

  protected override run(): void {
    console.log(`Task ${this.name}: some task...`);
  }
}

export async function main(): Promise<void> {
  const t1 = new Task('task1');
  const t2 = new Task('task2');
  t1.start();
  t2.start();
  // here we are waiting all tasks
  await joinAll([t1, t2]);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

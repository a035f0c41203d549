/**
 * The module each worker thread of a `ThreadPool` runs (piscina loads it): it imports the task's
 * module once per worker and calls its default export with the task's arguments.
 *
 * A module that cannot be imported, or whose default export is not a function, fails the task
 * with an error naming the module; the worker goes on.
 *
 * @module
 */
type TaskFn = (...args: unknown[]) => unknown;

const loaded = new Map<string, Promise<TaskFn>>();

async function load(href: string): Promise<TaskFn> {
  let mod: { default?: unknown };
  try {
    mod = (await import(href)) as { default?: unknown };
  } catch (e) {
    loaded.delete(href);
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(`Cannot load the task module ${href}: ${why}`);
  }
  if (typeof mod.default !== 'function') {
    loaded.delete(href);
    throw new TypeError(
      `Cannot run the task module ${href}: its default export is not a function but ${typeof mod.default}`,
    );
  }
  return mod.default as TaskFn;
}

/** Run one task: `{module, args}` → `await (default export)(...args)`. */
export default async function runTask(task: { module: string; args: unknown[] }): Promise<unknown> {
  let fn = loaded.get(task.module);
  if (fn === undefined) {
    fn = load(task.module);
    loaded.set(task.module, fn);
  }
  return await (await fn)(...task.args);
}

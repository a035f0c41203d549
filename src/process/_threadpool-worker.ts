/**
 * The module each worker thread of a `ThreadPool` runs (piscina loads it): it imports the task's
 * module once per worker and calls its default export with the task's arguments.
 *
 * A module that cannot be imported, or whose default export is not a function, fails the task
 * with an error naming the module; the worker goes on. A task that throws a primitive fails with
 * an `Error` (a thrown string as its message; `null`, `undefined`, a number named in it):
 * piscina would pass `throw null` back as a success.
 *
 * Design note — a value that cannot go back. piscina posts a task's value (or error) to the
 * caller's thread with `port.postMessage`; a value structured clone cannot copy (a function, a
 * Symbol, an object holding one) makes that post throw a `DataCloneError`, which piscina rethrows
 * as an uncaught exception: the worker dies and the caller got `{}` (Node 20) or an Error with an
 * empty message (Node 24). So this module wraps `MessagePort.prototype.postMessage` in its worker
 * thread (only there: piscina's workers run nothing but tasks): when a task's response fails to
 * clone, the response is posted again with a TypeError naming the module in place of the value
 * (or of the thrown error), and the worker goes on. A clone check in the task itself would copy
 * every result twice; this costs nothing when the post succeeds. Relies on piscina's response
 * shape (`{taskId, result, error, time}`, piscina pinned in package.json). Test:
 * test/process/threadpool.test.ts "a task whose value cannot be cloned back rejects with a
 * TypeError …".
 *
 * @module
 */
import { inspect } from 'node:util';
import { MessagePort } from 'node:worker_threads';

type TaskFn = (...args: unknown[]) => unknown;

/** The module of the task that last ended in this worker (one task at a time per worker). */
let lastModule = '';

interface Response {
  taskId: unknown;
  result: unknown;
  error: unknown;
  time: unknown;
}

function isResponse(msg: unknown): msg is Response {
  return (
    msg !== null &&
    typeof msg === 'object' &&
    'taskId' in msg &&
    'result' in msg &&
    'error' in msg &&
    'time' in msg
  );
}

/** What could not be cloned: the value itself, or for an object what V8 said inside it. */
function describe(v: unknown, why: string): string {
  if (typeof v === 'function') return `function ${v.name === '' ? '(anonymous)' : v.name}`;
  if (typeof v === 'symbol') return String(v);
  const kind = v !== null && typeof v === 'object' ? (v.constructor?.name ?? 'Object') : typeof v;
  return `${kind} (${why})`;
}

const post = MessagePort.prototype.postMessage;
MessagePort.prototype.postMessage = function postMessage(
  this: MessagePort,
  msg: unknown,
  transfer?: Parameters<MessagePort['postMessage']>[1],
): void {
  try {
    post.call(this, msg, transfer);
  } catch (e) {
    if (!isResponse(msg) || !(e instanceof Error) || e.name !== 'DataCloneError') throw e;
    const threw = msg.error !== null;
    const what = threw ? 'the error thrown by' : 'the return value of';
    const error = new TypeError(
      `Cannot send back ${what} the task module ${lastModule}: it could not be cloned (structured clone), got ${describe(threw ? msg.error : msg.result, e.message)}`,
    );
    post.call(this, { ...msg, result: null, error });
  }
};

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
  try {
    return await (await fn)(...task.args);
  } catch (e) {
    throw asError(e, task.module);
  } finally {
    lastModule = task.module;
  }
}

/**
 * What a task threw, as an `Error`: piscina sends `error: null` for "no error", so a task that
 * threw `null` (or `undefined`) resolved with it as if it had returned; a thrown string reached
 * the caller as a bare string. Found by the breaker. A string keeps its text as the message.
 */
function asError(e: unknown, href: string): unknown {
  // An object goes as it is (structured clone copies an Error's class and message, a plain
  // object as one; one it cannot copy becomes the TypeError of the postMessage wrapper above).
  if (typeof e === 'object' && e !== null) return e;
  if (typeof e === 'string') return new Error(e);
  return new Error(`The task module ${href} threw a non-Error value: ${inspect(e)}`);
}

/**
 * `verdant/monkey`: gevent's `patch_all` for Node — the foreign waits a greenlet commonly makes
 * (global `fetch`, `node:timers/promises`, `node:dns/promises` lookups) become verdant waits.
 *
 * Inside a `Greenlet`, a patched call is a wait like `sleep`: a kill throws the greenlet's
 * `GreenletExit` there, a `Timeout` that fires there throws that same `Timeout` (never an
 * `AbortError`), and either way the foreign operation is aborted — the fetch's socket closed,
 * the timer cleared — so nothing it started keeps the process alive. A dns lookup runs in
 * libuv's thread pool and cannot be aborted: only its wait ends. The call's own `signal` option
 * still works as it does unpatched. Outside any `Greenlet` (the main program, a raw greenlet)
 * the patched functions call the originals and behave exactly like them.
 *
 * What is patched, by {@link isPatched} name:
 * - `'fetch'`: `globalThis.fetch`. Inside a greenlet that is not being killed, the request is
 *   also tied to the greenlet's `signal`, so a kill aborts a response body still being read
 *   (`await res.text()` is a foreign await: it throws once the kill has aborted it, and a
 *   `Timeout` lands only at the next verdant wait — wrap it in `until()` for that).
 * - `'timers'`: `setTimeout` and `setImmediate` of `node:timers/promises` (the same object as
 *   `require('node:timers').promises`).
 * - `'dns'`: `lookup` and `lookupService` of `node:dns/promises` (`require('node:dns').promises`).
 * Named ESM imports bound before {@link patchAll} see the patched functions too
 * (`module.syncBuiltinESMExports()`).
 *
 * What cannot be patched, and why:
 * - synchronous APIs (`fs.readFileSync`, `child_process.execSync`, `crypto.pbkdf2Sync`,
 *   `Atomics.wait` …): they block the one thread the hub runs on, so no other greenlet runs and
 *   no kill or `Timeout` can land until they return. Use the async forms (and `until`), or
 *   `verdant/threadpool`.
 * - native addons that block in C/C++: same reason; run them in a worker thread.
 * - CPU loops in JavaScript: a greenlet switches only at `await` of a verdant wait; a loop
 *   without one starves every other greenlet (add `await sleep(0)` every so often).
 * - other promise APIs (`fs/promises`, `stream/promises`, `events.once`, `setInterval` of
 *   `node:timers/promises`, `scheduler.wait`, the resolver methods of `node:dns/promises`,
 *   libraries with their own sockets): not patched; await them through `until(p, {signal})` and
 *   give them `getCurrent().signal` so a kill stops them.
 * - callback APIs (`setTimeout` of `node:timers`, `dns.lookup`): they do not wait, nothing to
 *   patch; wrap them in a promise and `until`.
 *
 * Node 20's bundled undici opens a fresh idle connection to the server after an aborted fetch
 * and keeps it for its 4-second keep-alive, so a program ending right after such a kill exits
 * about 4 s later (Node 24 closes it at once); the aborted request's own socket is closed at once.
 *
 * Design note — one helper, `foreignWait`, makes any abortable foreign promise a wait:
 * it starts the operation with a fresh `AbortController` (merged with the call's own signals by
 * `AbortSignal.any`), waits through core's `until()`, and aborts the controller with whatever
 * interrupted the wait. The original's promise keeps its handlers, so its later rejection is
 * never unhandled; a rejection by cancellation of the promise we return is marked handled, as
 * core marks its own. Tests: test/compat/monkey.test.ts (each test file runs in its own process,
 * so patching the globals there touches no other test).
 *
 * @module verdant/monkey
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { Cancellation, Greenlet, getCurrent, until } from '../index.js';

const require = createRequire(import.meta.url);
const timersPromises = require('node:timers/promises') as typeof import('node:timers/promises');
const dnsPromises = require('node:dns/promises') as typeof import('node:dns/promises');

/** A name {@link isPatched} knows. */
export type PatchName = 'fetch' | 'timers' | 'dns';

const patched: Record<PatchName, boolean> = { fetch: false, timers: false, dns: false };

function noop(): void {}

function currentGreenlet(): Greenlet | null {
  const g = getCurrent();
  return g instanceof Greenlet ? g : null;
}

/**
 * Run the abortable foreign operation `start(signal)` as a verdant wait of the current greenlet:
 * its result or rejection, or the kill/`Timeout` that interrupted the wait — in which case the
 * operation is aborted with that exception as the reason.
 */
function foreignWait<T>(
  own: readonly (AbortSignal | null | undefined)[],
  start: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const ac = new AbortController();
  const signals = [ac.signal];
  for (const s of own) if (s !== null && s !== undefined) signals.push(s);
  const signal = signals.length === 1 ? ac.signal : AbortSignal.any(signals);
  let p: Promise<T>;
  try {
    p = start(signal);
  } catch (err) {
    return Promise.reject(err);
  }
  let out!: Promise<T>;
  out = new Promise<T>((resolve, reject) => {
    until(p).then(resolve, (err: unknown) => {
      ac.abort(err);
      if (err instanceof Cancellation) out.then(undefined, noop);
      reject(err);
    });
  });
  return out;
}

function rename<F extends (...args: never[]) => unknown>(
  fn: F,
  like: { name: string; length: number },
): F {
  Object.defineProperty(fn, 'name', { value: like.name });
  Object.defineProperty(fn, 'length', { value: like.length });
  return fn;
}

/**
 * Whether Node's timers would refuse `options`: not an object, an array, or a `signal` that is
 * not an AbortSignal. The patched call then hands them to the original, which rejects them with its
 * own error (spreading them into `{...options, signal}` would accept `5`).
 */
function badTimerOptions(options: unknown): boolean {
  if (options === undefined) return false;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) return true;
  const s = (options as { signal?: unknown }).signal;
  return s !== undefined && !(s instanceof AbortSignal);
}

/** The same for `fetch`'s `init`, where `null` and a `null` signal are allowed. */
function badFetchInit(init: unknown): boolean {
  if (init === undefined || init === null) return false;
  if (typeof init !== 'object') return true;
  const s = (init as { signal?: unknown }).signal;
  return s !== undefined && s !== null && !(s instanceof AbortSignal);
}

function patchFetch(): void {
  const original = globalThis.fetch;
  if (typeof original !== 'function') return;
  const fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const g = currentGreenlet();
    if (g === null || badFetchInit(init)) return original(input, init);
    const own: (AbortSignal | null | undefined)[] = [init?.signal];
    if (typeof Request === 'function' && input instanceof Request) own.push(input.signal);
    // Tie the request to the greenlet unless it is already being killed (cleanup code in a
    // `finally` may still fetch).
    if (!g.signal.aborted) own.push(g.signal);
    return foreignWait(own, (signal) => original(input, { ...init, signal }));
  };
  globalThis.fetch = rename(fetch, original);
  patched.fetch = true;
}

function patchTimers(): void {
  const origTimeout = timersPromises.setTimeout;
  const origImmediate = timersPromises.setImmediate;
  const setTimeout = <T = void>(
    delay?: number,
    value?: T,
    options?: import('node:timers').TimerOptions,
  ): Promise<T> => {
    if (currentGreenlet() === null || badTimerOptions(options)) {
      return origTimeout(delay, value, options);
    }
    return foreignWait([options?.signal], (signal) =>
      origTimeout(delay, value, { ...options, signal }),
    );
  };
  const setImmediate = <T = void>(
    value?: T,
    options?: import('node:timers').TimerOptions,
  ): Promise<T> => {
    if (currentGreenlet() === null || badTimerOptions(options)) {
      return origImmediate(value, options);
    }
    return foreignWait([options?.signal], (signal) => origImmediate(value, { ...options, signal }));
  };
  timersPromises.setTimeout = rename(setTimeout, origTimeout) as typeof origTimeout;
  timersPromises.setImmediate = rename(setImmediate, origImmediate) as typeof origImmediate;
  patched.timers = true;
}

function patchDns(): void {
  const origLookup = dnsPromises.lookup;
  const origLookupService = dnsPromises.lookupService;
  const lookup = (...args: Parameters<typeof origLookup>): ReturnType<typeof origLookup> => {
    if (currentGreenlet() === null) return origLookup(...args);
    return foreignWait([], () => origLookup(...args)) as ReturnType<typeof origLookup>;
  };
  const lookupService = (
    ...args: Parameters<typeof origLookupService>
  ): ReturnType<typeof origLookupService> => {
    if (currentGreenlet() === null) return origLookupService(...args);
    return foreignWait([], () => origLookupService(...args));
  };
  dnsPromises.lookup = rename(lookup, origLookup) as typeof origLookup;
  dnsPromises.lookupService = rename(lookupService, origLookupService);
  patched.dns = true;
}

/**
 * Patch global `fetch`, `node:timers/promises` (`setTimeout`, `setImmediate`) and
 * `node:dns/promises` (`lookup`, `lookupService`) so that inside a greenlet they are verdant
 * waits: kill and `Timeout` land there and abort the foreign operation. Named imports bound
 * before the call are updated too. A second call adds nothing. Never switches.
 *
 * Source: `gevent.monkey.patch_all()`; what it can and cannot patch is in the module doc.
 * @example
 * ```ts
 * import { patchAll } from 'verdant/monkey';
 * import { spawn } from 'verdant';
 * await patchAll();
 * const g = spawn(() => fetch('http://127.0.0.1:8080/slow'));
 * await g.kill(); // the request is aborted, its socket closed
 * ```
 */
export async function patchAll(): Promise<void> {
  if (!patched.fetch) patchFetch();
  if (!patched.timers) patchTimers();
  if (!patched.dns) patchDns();
  syncBuiltinESMExports();
}

/**
 * Whether {@link patchAll} has patched `name`: `'fetch'`, `'timers'` or `'dns'` (false before
 * `patchAll()`, and for any other name). Never switches.
 *
 * Source: `gevent.monkey.is_module_patched(name)`.
 * @param name - `'fetch'`, `'timers'` or `'dns'`
 * @example
 * ```ts
 * import { isPatched, patchAll } from 'verdant/monkey';
 * isPatched('fetch'); // false
 * await patchAll();
 * isPatched('fetch'); // true
 * ```
 */
export function isPatched(name: PatchName | (string & {})): boolean {
  return Object.hasOwn(patched, name) && patched[name as PatchName];
}

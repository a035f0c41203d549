/**
 * `verdant/subprocess`: Python's `subprocess`, cooperative as in gevent, on `node:child_process`.
 * The calling greenlet waits for the child; every other greenlet keeps running.
 *
 * Design note — what a kill does to the child.
 * - `Popen.wait()` and `communicate()` are only waits: a kill or `Timeout` there ends the wait
 *   at once, and the child runs on (Node reaps it when it exits). With their `timeout` option
 *   they throw {@link TimeoutExpired} and leave the child running.
 * - `communicate()` feeds stdin and reads stdout and stderr at once: three pieces under the one
 *   call (a `Promise.all` of verdant waits in the caller's greenlet), as CPython's `select` loop
 *   and gevent's three greenlets. Each pipe reads at most 64 KiB ahead (_pipefile.ts), so done
 *   one after another they deadlocked as soon as a pipe held more (a child filling stderr while
 *   we waited on stdout). A kill or `Timeout` marks the three waits at once; the timeout, the
 *   `signal` or an error in one piece aborts the call's own signal, which stops the others: no
 *   piece outlives the call, and between calls nothing reads the pipes (the child is
 *   back-pressured, as after CPython's timeout). Tests: test/process/subprocess.test.ts
 *   "communicate: stdin, stdout and stderr at once".
 * - Nothing is lost: what the pieces read is kept by the `Popen` (raw bytes, per pipe) until
 *   the pipe ends, and every `communicate()` returns all of it — a retry after a cut call, and
 *   again any call after one returned (gevent returns the same output too); `TimeoutExpired`
 *   carries what was read so far. The input goes once: stdin's file keeps what a cut write did
 *   not send and the next call flushes it; a later call that brings input is refused
 *   (RangeError, CPython's `ValueError` "Cannot send input after starting communication").
 *   Tests: "TimeoutExpired carries the output read so far…", "a kill at communicate() …",
 *   "input goes once…".
 * - `run`/`call`/`checkCall`/`checkOutput` own their child: whatever ends their wait early (a
 *   kill, a `Timeout`, their `timeout` option) kills the child with SIGKILL, closes our ends of
 *   its pipes at once — also when a grandchild holds the other ends, so no pipe stays open — and
 *   waits for its exit (a foreign await: SIGKILL cannot be refused) so it is reaped before the
 *   call rejects. A caller that dies with the call's waits withdrawn (a kill at a `Promise.all`
 *   of several runs resumes one wait, the greenlet dies, the others never settle) kills the
 *   child from a quiet link on its death (test/process/subprocess.test.ts, the Promise.all
 *   tests of "cancellation: run/call own their child"). A wait withdrawn by `race()` while its greenlet lives is not seen:
 *   give run its own greenlet there (`race(() => spawn(run, args).get(), …)`: a race kills the
 *   greenlets a losing call spawned, and that kill kills the child). Tests: test/process/subprocess.test.ts "kills and reaps the child, and finally
 *   runs", "a timeout closes our pipe ends even when a grandchild holds the other ends".
 * - No rejection escapes: every call that waits returns `guardCancellation(…)` of its work, so
 *   one nobody awaits (a forgotten `await`, a `Promise.race` loser) that a kill or `Timeout`
 *   ends is marked handled, as a core wait is (test "no unhandled rejection …").
 * - While a child runs and someone waits on it, the hub counts I/O in flight (`ioStarted`), so
 *   it never reports the program idle; once every child has exited and its pipes closed, nothing
 *   of this module keeps Node's loop alive (test "nothing stays alive").
 * - A command that cannot start keeps `pid` null; its spawn error (Node's, `code` `'ENOENT'`,
 *   naming the command) rejects the first `wait`/`communicate` and every `run`/`call`. When the
 *   cause is `cwd` (missing, not a directory, not enterable), Node still blames the command
 *   (`spawn true ENOENT`): the error is replaced by one naming the cwd (`path` the cwd, `code`
 *   the reason), as Python's `FileNotFoundError` names it. Node refuses some failures at once
 *   (a cwd that is a file: `ENOTDIR`): the constructor throws those, as Python's `Popen` does
 *   (test "a cwd we cannot enter: the error names the cwd, not the command").
 *
 * Source: gevent.subprocess and CPython's subprocess (run, call, check_call, check_output).
 *
 * @module verdant/subprocess
 */
import { type ChildProcess, spawn as nodeSpawn } from 'node:child_process';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { format, inspect } from 'node:util';
import { getCurrent } from '../core/api.js';
import { Greenlet } from '../core/greenlet.js';
import { getHub, type Hub } from '../core/hub.js';
import {
  checkOptionKeys,
  guardCancellation,
  ioEnded,
  ioStarted,
  kQuietLink,
  NONE,
  readWaitOptions,
  rejectWait,
  Waiter,
  WaitList,
  type WaitOptions,
  waitArgs,
} from '../core/lowlevel.js';
import { bytesOf } from '../io/_errors.js';
import { PipeReader, PipeStream, PipeTimeout, PipeWriter } from './_pipefile.js';

export { PipeReader, PipeWriter } from './_pipefile.js';

/** Ask for a pipe to the child's stream (`stdin`, `stdout` or `stderr` option). */
export const PIPE = 'pipe';

/** How one of the child's standard streams is connected. */
export type StdioOption = 'pipe' | 'inherit' | 'ignore';

/** Bytes, or UTF-8 strings with `text: true`. */
export type Output = Uint8Array | string;

/** Options of {@link Popen}: Python's keywords, camelCased. */
export interface PopenOptions {
  /** Default `'inherit'`. */
  stdin?: StdioOption;
  /** Default `'inherit'`. */
  stdout?: StdioOption;
  /** Default `'inherit'`. */
  stderr?: StdioOption;
  /** The child's environment (default: ours). */
  env?: NodeJS.ProcessEnv;
  /** The child's working directory. */
  cwd?: string;
  /** Read pipes as UTF-8 strings instead of `Uint8Array`. */
  text?: boolean;
}

/** Options of {@link run}, {@link call}, {@link checkCall} and {@link checkOutput}. */
export interface RunOptions extends PopenOptions {
  /**
   * Bytes (a `Uint8Array`, another `ArrayBufferView` or an `ArrayBuffer`) or a UTF-8 string
   * written to the child's stdin, which is then closed.
   */
  input?: ArrayBufferView | ArrayBuffer | string;
  /** Pipe stdout and stderr and return them. */
  captureOutput?: boolean;
  /** Throw {@link CalledProcessError} on a non-zero status (`run` only; `check*` always do). */
  check?: boolean;
  /** Milliseconds before the child is killed and {@link TimeoutExpired} thrown. */
  timeout?: number | null;
  /** Aborting it kills the child, as a kill of the caller does. */
  signal?: AbortSignal | null;
}

/** The command as Python's `repr` of a list shows it: `['sh', '-c', 'exit 5']`. */
function quoteCmd(cmd: readonly string[]): string {
  return `[${cmd.map((a) => inspect(a)).join(', ')}]`;
}

/**
 * Thrown by {@link checkCall}, {@link checkOutput} and `run({check: true})` when the child
 * exits with a non-zero status (or is ended by a signal). Not a `Cancellation`.
 *
 * Source: CPython's `subprocess.CalledProcessError` (same message).
 */
export class CalledProcessError extends Error {
  /** Always `'CalledProcessError'`, as Python prints the class name. */
  override name = 'CalledProcessError';
  /** The exit status; minus the signal number when a signal ended the child. */
  readonly returncode: number;
  /** The command, as given. */
  readonly cmd: readonly string[];
  /** The captured stdout, or `null`. */
  readonly output: Output | null;
  /** The captured stderr, or `null`. */
  readonly stderr: Output | null;

  /**
   * @param returncode - the status
   * @param cmd - the command
   * @param output - captured stdout
   * @param stderr - captured stderr
   */
  constructor(
    returncode: number,
    cmd: readonly string[],
    output: Output | null = null,
    stderr: Output | null = null,
  ) {
    const c = quoteCmd(cmd);
    let msg: string;
    if (returncode < 0) {
      const sig = signalName(-returncode);
      msg = `Command '${c}' died with ${sig ?? `unknown signal ${-returncode}`}`;
    } else {
      msg = `Command '${c}' returned non-zero exit status ${returncode}`;
    }
    super(msg);
    this.returncode = returncode;
    this.cmd = cmd;
    this.output = output;
    this.stderr = stderr;
  }

  /** Alias of `output`. */
  get stdout(): Output | null {
    return this.output;
  }
}

/**
 * Thrown when a `timeout` option elapses: by `run`/`call`/`check*` after the child was killed
 * and reaped, by `Popen.wait`/`communicate` with the child left running. Carries the output
 * read so far. Neither a `Timeout` nor a `Cancellation`.
 *
 * Source: CPython's `subprocess.TimeoutExpired` (message in milliseconds instead of seconds).
 */
export class TimeoutExpired extends Error {
  /** Always `'TimeoutExpired'`, as Python prints the class name. */
  override name = 'TimeoutExpired';
  /** The command, as given. */
  readonly cmd: readonly string[];
  /** The timeout, in ms. */
  readonly timeout: number;
  /**
   * What stdout gave so far (from `communicate()`: what it read; from `run`: also what the
   * killed child had written), or `null` when not piped or from `wait()`.
   */
  readonly output: Output | null;
  /** What stderr gave so far, as `output`. */
  readonly stderr: Output | null;

  /**
   * @param cmd - the command
   * @param timeout - ms
   * @param output - stdout so far
   * @param stderr - stderr so far
   */
  constructor(
    cmd: readonly string[],
    timeout: number,
    output: Output | null = null,
    stderr: Output | null = null,
  ) {
    super(`Command '${quoteCmd(cmd)}' timed out after ${timeout} milliseconds`);
    this.cmd = cmd;
    this.timeout = timeout;
    this.output = output;
    this.stderr = stderr;
  }

  /** Alias of `output`. */
  get stdout(): Output | null {
    return this.output;
  }
}

/**
 * What {@link run} returns.
 *
 * Source: CPython's `subprocess.CompletedProcess`.
 */
export class CompletedProcess<T extends Output = Uint8Array> {
  /** The command, as given. */
  readonly args: readonly string[];
  /** Its exit status (minus the signal number when a signal ended it). */
  readonly returncode: number;
  /** Captured stdout, or `null`. */
  readonly stdout: T | null;
  /** Captured stderr, or `null`. */
  readonly stderr: T | null;

  /**
   * @param args - the command
   * @param returncode - its exit status
   * @param stdout - captured stdout or `null`
   * @param stderr - captured stderr or `null`
   */
  constructor(
    args: readonly string[],
    returncode: number,
    stdout: T | null = null,
    stderr: T | null = null,
  ) {
    this.args = args;
    this.returncode = returncode;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /**
   * Throw {@link CalledProcessError} if the status is non-zero. Never waits.
   * @throws CalledProcessError
   */
  checkReturncode(): void {
    if (this.returncode !== 0) {
      throw new CalledProcessError(this.returncode, this.args, this.stdout, this.stderr);
    }
  }

  /**
   * `CompletedProcess(args=['uname'], returncode=0, stdout=…)`, as CPython's `repr`: the
   * captured output shows as a string (or `<N bytes>`), `stdout`/`stderr` only when captured.
   * Never switches.
   */
  toString(): string {
    const show = (v: Output): string =>
      typeof v === 'string' ? JSON.stringify(v) : `<${v.length} bytes>`;
    let s = `CompletedProcess(args=${JSON.stringify(this.args)}, returncode=${this.returncode}`;
    if (this.stdout !== null) s += `, stdout=${show(this.stdout)}`;
    if (this.stderr !== null) s += `, stderr=${show(this.stderr)}`;
    return `${s})`;
  }
}

const signalNumbers = constants.signals as Record<string, number>;

function signalName(n: number): string | undefined {
  for (const [name, num] of Object.entries(signalNumbers)) if (num === n) return name;
  return undefined;
}

function checkArgs(args: unknown, where: string): readonly string[] {
  if (!Array.isArray(args) || args.length === 0 || !args.every((a) => typeof a === 'string')) {
    throw new TypeError(
      `${where} needs a command as a non-empty array of strings: got ${format('%o', args)}`,
    );
  }
  return args as readonly string[];
}

/** `input` as bytes (a string as UTF-8), `null` for none; TypeError for anything else. */
function inputBytes(input: unknown, where: string): Uint8Array | null {
  if (input === undefined || input === null) return null;
  if (typeof input === 'string') return Buffer.from(input);
  const bytes = bytesOf(input, where);
  if (bytes instanceof TypeError) throw bytes;
  if (bytes === null) {
    throw new TypeError(
      `${where}: input must be bytes (a Uint8Array, another ArrayBufferView or an ArrayBuffer) or a string, got ${format('%o', input)}`,
    );
  }
  return bytes;
}

function checkEnv(env: unknown): void {
  if (env === undefined || env === null) return;
  if (typeof env !== 'object' || Array.isArray(env)) {
    throw new TypeError(
      `Cannot start a child with this env: expected an object of strings, got ${format('%o', env)}`,
    );
  }
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && typeof v !== 'string') {
      throw new TypeError(
        `Cannot start a child with this env: ${k} must be a string, got ${format('%o', v)}`,
      );
    }
  }
}

function checkCwd(cwd: unknown): void {
  if (cwd === undefined || cwd === null || typeof cwd === 'string') return;
  throw new TypeError(
    `Cannot start a child in this cwd: expected a directory path string, got ${format('%o', cwd)}`,
  );
}

const CWD_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such directory',
  ENOTDIR: 'not a directory',
  EACCES: 'permission denied',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'name too long',
};

/**
 * Node blames the command for a spawn that failed because of `cwd` (`spawn true ENOENT`, or a
 * bare `spawn ENOTDIR` thrown at once): when `cwd` is not a directory we can enter, an error
 * naming it instead (`code` the reason, `path` the cwd, as Python's `FileNotFoundError` names
 * it); otherwise Node's error as it is.
 */
function spawnFailure(err: unknown, cmd: string, cwd: string | null | undefined): unknown {
  if (typeof cwd !== 'string') return err;
  let code: string | null = null;
  try {
    if (!statSync(cwd).isDirectory()) code = 'ENOTDIR';
    else accessSync(cwd, fsConstants.X_OK);
  } catch (e) {
    code = String((e as NodeJS.ErrnoException).code);
  }
  if (code === null) return err;
  const why = CWD_PROBLEMS[code] ?? code;
  const errno = (constants.errno as Record<string, number>)[code];
  return Object.assign(
    new Error(`Cannot start ${inspect(cmd)} in cwd ${inspect(cwd)}: ${why} (${code})`),
    { code, errno: errno === undefined ? undefined : -errno, syscall: 'spawn', path: cwd },
  );
}

function checkStdio(v: unknown, name: string): void {
  if (v === undefined || v === 'pipe' || v === 'inherit' || v === 'ignore') return;
  throw new TypeError(
    `Cannot connect ${name} this way: expected 'pipe', 'inherit' or 'ignore', got ${format('%o', v)}`,
  );
}

/** The child's exit as a wait: one list of waiters woken at `'exit'` (or a spawn error). */
class ExitWaits extends WaitList {
  override abortWait(w: Waiter, held: boolean): void {
    if (w.data !== null) {
      ioEnded(w.data as Hub);
      w.data = null;
    }
    if (!held) this.remove(w);
  }
}

/**
 * What `communicate()` read from one pipe, raw bytes: kept by the `Popen` across calls (a cut
 * call's part included) and returned by every call once `done`.
 */
class Collected {
  #parts: Uint8Array[] = [];
  /** The pipe reached its end (or its file was closed): nothing more to read. */
  done = false;
  push(b: Uint8Array): void {
    if (b.length > 0) this.#parts.push(b);
  }
  /** Everything so far, in order, as one plain `Uint8Array` (kept joined for the next call). */
  bytes(): Uint8Array {
    const parts = this.#parts;
    if (parts.length === 1 && (parts[0] as Uint8Array).constructor === Uint8Array) {
      return parts[0] as Uint8Array;
    }
    let total = 0;
    for (const p of parts) total += p.length;
    const all = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    this.#parts = [all];
    return all;
  }
}

/** Thrown by a wait's own `timeout` option here; the caller turns it into TimeoutExpired. */
const TIMED_OUT: unique symbol = Symbol('timed out');

function throwTimedOut(): never {
  throw TIMED_OUT;
}

/** A wait of this module (the exit, a pipe) whose `timeout` option elapsed. */
function isTimedOut(e: unknown): boolean {
  return e === TIMED_OUT || e instanceof PipeTimeout;
}

/**
 * A child process. `new Popen(args, opts)` starts it at once; piped streams are file objects
 * (`stdin.write`, `stdout.readline` …). `poll`, `kill`, `terminate` and `sendSignal` never wait;
 * `wait` and `communicate` are verdant waits where kill and `Timeout` land (the child runs on).
 *
 * @example
 * ```ts
 * import { PIPE, Popen } from 'verdant/subprocess';
 * const sub = new Popen(['sh', '-c', 'sleep 1; uname'], { stdout: PIPE });
 * const [out] = await sub.communicate();
 * ```
 *
 * Source: gevent.subprocess.Popen (cooperative wait/communicate); a failed spawn keeps `pid`
 * null and rejects the first wait, where Python raises from the constructor (except what Node
 * refuses at once, such as a cwd that is a file).
 */
export class Popen<T extends Output = Uint8Array> {
  /** The command, as given. */
  readonly args: readonly string[];
  /** The child's process id; `null` when it could not start. */
  readonly pid: number | null;
  /** The exit status once it exited (minus the signal number if a signal ended it), else `null`. */
  returncode: number | null = null;
  /** The child's stdin when piped. */
  readonly stdin: PipeWriter | null;
  /** The child's stdout when piped. */
  readonly stdout: PipeReader<T> | null;
  /** The child's stderr when piped. */
  readonly stderr: PipeReader<T> | null;
  readonly #child: ChildProcess;
  /** The raw pipes under stdin, stdout, stderr: `_killAndReap` closes them, keeping what was read. */
  readonly #pipes: PipeStream[] = [];
  readonly #hub: Hub;
  #spawnError: Error | null = null;
  #exited = false;
  readonly #waits = new ExitWaits(this);
  #exitPromise: Promise<void> | null = null;
  #exitResolve: (() => void) | null = null;
  /** The raw stdout/stderr pipes, read by `communicate()` (below the file's decoder). */
  readonly #rawOut: PipeStream | null = null;
  readonly #rawErr: PipeStream | null = null;
  /** What `communicate()` read from stdout/stderr: kept here, returned by every later call. */
  readonly #out: Collected | null = null;
  readonly #err: Collected | null = null;
  /** A `communicate()` started (CPython's `_communication_started`): no later call takes input. */
  #communicated = false;

  /**
   * Start the child. Never waits.
   * @param args - the command and its arguments (no shell unless you run one)
   * @param options - stdio, env (an object of strings), cwd (a directory path), text;
   *   `undefined` or `null` for the defaults (as node:child_process takes them)
   * @throws TypeError when `args` is not a non-empty array of strings, `options` is not an
   *   object, `null` or `undefined` (the message names the options argument), a stdio option is
   *   unknown, `env` is not an object of strings or `cwd` not a string; Node's spawn errors it
   *   raises at once (`ENOTDIR` for a cwd that is a file, named in the message). A command or
   *   cwd that is missing does not throw here: `pid` stays `null` and the first wait rejects.
   *   (and TypeError for an unknown option key)
   */
  constructor(args: readonly string[], options?: PopenOptions | null) {
    this.args = checkArgs(args, 'Popen');
    const opts = readOptions<PopenOptions>(options, 'Popen', POPEN_KEYS);
    checkStdio(opts.stdin, 'stdin');
    checkStdio(opts.stdout, 'stdout');
    checkStdio(opts.stderr, 'stderr');
    checkEnv(opts.env);
    checkCwd(opts.cwd);
    this.#hub = getHub();
    const cmd = this.args[0] as string;
    let child: ChildProcess;
    try {
      child = nodeSpawn(cmd, this.args.slice(1), {
        stdio: [opts.stdin ?? 'inherit', opts.stdout ?? 'inherit', opts.stderr ?? 'inherit'],
        env: opts.env ?? undefined,
        cwd: opts.cwd ?? undefined,
      });
    } catch (e) {
      // Node refuses some failures at once (a cwd that is a file: ENOTDIR), as Python's Popen.
      throw spawnFailure(e, cmd, opts.cwd);
    }
    this.#child = child;
    this.pid = child.pid ?? null;
    const text = opts.text === true;
    const pipe = (stream: Readable | Writable, readable: boolean): PipeStream => {
      const p = new PipeStream(stream, readable, this);
      this.#pipes.push(p);
      return p;
    };
    this.stdin = child.stdin !== null ? new PipeWriter(pipe(child.stdin, false)) : null;
    if (child.stdout !== null) {
      this.#rawOut = pipe(child.stdout, true);
      this.stdout = new PipeReader<T>(this.#rawOut, text);
      this.#out = new Collected();
    } else this.stdout = null;
    if (child.stderr !== null) {
      this.#rawErr = pipe(child.stderr, true);
      this.stderr = new PipeReader<T>(this.#rawErr, text);
      this.#err = new Collected();
    } else this.stderr = null;
    child.on('error', (err) => {
      // A failed spawn (no 'exit' follows), or a failed kill (the child still runs).
      if (this.pid === null) {
        this.#spawnError = spawnFailure(err, cmd, opts.cwd) as Error;
        this.#onExit();
      }
    });
    child.on('exit', (code, signal) => {
      this.returncode = code ?? -(signal !== null ? (signalNumbers[signal] ?? 0) : 0);
      this.#onExit();
    });
  }

  #onExit(): void {
    if (this.#exited) return;
    this.#exited = true;
    for (let w = this.#waits.shift(); w !== null; w = this.#waits.shift()) {
      if (w.data !== null) {
        ioEnded(w.data as Hub);
        w.data = null;
      }
      w.wake();
    }
    this.#exitResolve?.();
  }

  /**
   * The exit status if the child has exited, else `null`. Never waits.
   * @returns the returncode or `null`
   */
  poll(): number | null {
    return this.returncode;
  }

  /**
   * Send `sig` (a name such as `'SIGTERM'`, or a number) to the child. Never waits. Does nothing
   * once it has exited.
   * @param sig - the signal
   * @throws TypeError for an unknown signal name or number (also once the child has exited)
   */
  sendSignal(sig: NodeJS.Signals | number): void {
    // Checked here, before the exit check: a bad number was ignored once the child had exited
    // and refused by Node with its own message while it ran (found by the breaker).
    const known =
      typeof sig === 'string'
        ? sig in signalNumbers
        : typeof sig === 'number' && (sig === 0 || Object.values(signalNumbers).includes(sig));
    if (!known) {
      throw new TypeError(`Cannot send an unknown signal: got ${format('%o', sig)}`);
    }
    if (this.#exited || this.pid === null) return;
    this.#child.kill(sig);
  }

  /** Send SIGTERM. Never waits. */
  terminate(): void {
    this.sendSignal('SIGTERM');
  }

  /**
   * `<Popen pid=1234 returncode=null>`, as gevent's `Popen.__repr__` (what run info shows for a
   * greenlet waiting on this child). Never switches.
   */
  toString(): string {
    return `<Popen pid=${String(this.pid)} returncode=${String(this.returncode)}>`;
  }

  /** Send SIGKILL. Never waits. */
  kill(): void {
    this.sendSignal('SIGKILL');
  }

  /**
   * Wait for the child to exit; resolves with its returncode (the same on every call).
   * A switch point: kill and `Timeout` end the wait and leave the child running.
   * @param opts - `{timeout, signal}` or a bare timeout in ms
   * @returns the returncode
   * @throws TimeoutExpired when `timeout` elapses first (the child keeps running); the spawn
   *   error when the command could not start; TypeError for an unknown option key
   * @example
   * ```ts
   * import { Popen } from 'verdant/subprocess';
   * const code = await new Popen(['true']).wait(); // 0
   * ```
   */
  wait(opts?: WaitOptions | number): Promise<number> {
    const err = readWaitOptions(opts, 'Popen.wait');
    if (err !== NONE) return rejectWait(err);
    const timeout = waitArgs.timeout;
    const signal = waitArgs.signal;
    if (this.#exited) return this.#result();
    return guardCancellation(
      this.#waitExit(timeout, signal).then(
        () => this.#result(),
        (e: unknown) => {
          if (isTimedOut(e)) throw new TimeoutExpired(this.args, timeout as number);
          throw e;
        },
      ),
    );
  }

  #result(): Promise<number> {
    if (this.#spawnError !== null) return Promise.reject(this.#spawnError);
    return Promise.resolve(this.returncode as number);
  }

  #waitExit(timeout: number | null, signal: AbortSignal | null): Promise<unknown> {
    const w = new Waiter(this.#waits, throwTimedOut);
    this.#waits.push(w);
    ioStarted(this.#hub);
    w.data = this.#hub;
    return w.start(timeout, signal);
  }

  /**
   * Write `input` to stdin (then close it), read stdout and stderr to their end, and wait for
   * the child to exit; the three go on at once (as CPython's `communicate` with `select` and
   * gevent's with greenlets), so a child that fills one pipe while we feed or read another never
   * deadlocks. A switch point: a kill, a `Timeout`, the `signal` or the `timeout` stop all three
   * (the child runs on). Nothing is lost: what was read stays with this `Popen`, and a later
   * `communicate()` goes on from there — it sends the rest of the first call's input, reads
   * on, and returns everything, this part included; once one has returned, every later call
   * returns the same output again. Output may be of any size (it is all kept in memory).
   * @param options - `input` (bytes or a string; needs `stdin: PIPE`; only on the first call),
   *   `timeout` (ms, for the whole call), `signal`; a number is the timeout (as `wait(ms)`);
   *   `undefined` or `null` for none
   * @returns `[stdout, stderr]`, `null` for a stream that is not piped
   * @throws TimeoutExpired when `timeout` elapses first, carrying the output read so far (the
   *   child runs on; call `communicate()` again, without input, for the rest); TypeError for
   *   options that are not an object, a number, `null` or `undefined`, for an
   *   `input` that is not bytes or a string, or given without `stdin: PIPE`; RangeError for
   *   `input` on a later call (the first call's input is still being sent: Python's
   *   `ValueError`) or after `stdin.close()`; the spawn error when the command could not start
   *   (and TypeError for an unknown option key)
   * @example
   * ```ts
   * import { PIPE, Popen } from 'verdant/subprocess';
   * const p = new Popen(['cat'], { stdin: PIPE, stdout: PIPE, text: true });
   * const [out] = await p.communicate({ input: 'hi' }); // 'hi'
   * ```
   *
   * Source: gevent.subprocess `Popen.communicate` (stdin, stdout and stderr served at once) and
   * CPython's (one deadline for the call; a retry continues; `TimeoutExpired.output`; input on
   * a later call is refused). Unlike gevent, nothing reads the pipes between calls: a cut call
   * leaves the child back-pressured, as CPython's does.
   */
  communicate(
    options?:
      | {
          input?: ArrayBufferView | ArrayBuffer | string;
          timeout?: number | null;
          signal?: AbortSignal | null;
        }
      | number
      | null,
  ): Promise<[T | null, T | null]> {
    return guardCancellation(this.#communicate(options));
  }

  async #communicate(options: unknown): Promise<[T | null, T | null]> {
    // A bare number is the timeout, as in wait(ms) and every blocking call.
    const opts = readOptions<{
      input?: ArrayBufferView | ArrayBuffer | string;
      timeout?: number | null;
      signal?: AbortSignal | null;
    }>(options, 'Popen.communicate', COMMUNICATE_KEYS, true);
    const err = readWaitOptions(
      { timeout: opts.timeout, signal: opts.signal },
      'Popen.communicate',
    );
    if (err !== NONE) throw err;
    const timeout = waitArgs.timeout;
    const signal = waitArgs.signal;
    if (this.#spawnError !== null) throw this.#spawnError;
    const input = inputBytes(opts.input, 'Popen.communicate');
    if (input !== null && this.stdin === null) {
      throw new TypeError('Cannot communicate input: stdin is not a pipe (use stdin: PIPE)');
    }
    if (input !== null && input.length > 0 && this.#communicated) {
      throw new RangeError(
        `Cannot send input after starting communication: call communicate() without input to send the rest of the first input, got ${input.length} bytes`,
      );
    }
    if (input !== null && input.length > 0 && (this.stdin as PipeWriter).closed) {
      // It was dropped without a word (found by the breaker); CPython's flush of the closed
      // stdin raises ValueError.
      throw new RangeError(
        `Cannot communicate input: stdin was closed, got ${input.length} bytes to send`,
      );
    }
    const first = !this.#communicated;
    this.#communicated = true;
    // One deadline for the whole call, as Python's communicate.
    const deadline = timeout === null ? null : this.#hub.now() + timeout;
    const left = (): number | null =>
      deadline === null ? null : Math.max(0, deadline - this.#hub.now());
    // The pieces wait on `stop`: the first to fail (a kill or Timeout fails them all at once;
    // the timeout, an error or the caller's signal one of them) stops the others, so none is
    // left running when the call returns.
    const stop = new AbortController();
    const forward = (): void => stop.abort(signal?.reason);
    signal?.addEventListener('abort', forward);
    const waitOpts = (): WaitOptions => ({ timeout: left(), signal: stop.signal });
    let failure: unknown = NONE;
    const fail = (e: unknown): void => {
      if (failure !== NONE) return;
      failure = e;
      stop.abort(e);
    };
    try {
      const pieces: Promise<void>[] = [];
      if (this.stdin !== null) pieces.push(this.#feed(first ? input : null, waitOpts).catch(fail));
      if (this.#out !== null) {
        pieces.push(this.#collect(this.stdout, this.#rawOut, this.#out, waitOpts).catch(fail));
      }
      if (this.#err !== null) {
        pieces.push(this.#collect(this.stderr, this.#rawErr, this.#err, waitOpts).catch(fail));
      }
      await Promise.all(pieces);
      if (failure === NONE && !this.#exited) await this.#waitExit(left(), signal).catch(fail);
    } finally {
      signal?.removeEventListener('abort', forward);
    }
    if (failure !== NONE) {
      if (isTimedOut(failure)) {
        throw new TimeoutExpired(this.args, timeout as number, ...this.#soFar());
      }
      throw failure;
    }
    if (this.#spawnError !== null) throw this.#spawnError;
    return this.#soFar();
  }

  /** Send `input` (if any), then what a cut call left unsent, and close stdin. */
  async #feed(input: Uint8Array | null, opts: () => WaitOptions): Promise<void> {
    const f = this.stdin as PipeWriter;
    if (f.closed) return;
    try {
      if (input !== null && input.length > 0) await f.write(input, opts());
      // The file keeps what a cut write or flush did not send: this sends it, each byte once.
      await f.flush(opts());
    } catch (e) {
      // A child that exits without reading, or stdin closed meanwhile (its end() sends the rest).
      if (!isBrokenPipe(e) && !f.closed) throw e;
    }
    f.close();
  }

  /** Read one pipe to its end into `into`, raw bytes (taking what its file had buffered first). */
  async #collect(
    f: PipeReader<T> | null,
    raw: PipeStream | null,
    into: Collected,
    opts: () => WaitOptions,
  ): Promise<void> {
    if (into.done) return;
    if (f === null || raw === null || f.closed) {
      into.done = true; // closed by its user: nothing more to read (CPython skips it too)
      return;
    }
    into.push(f._drain());
    for (;;) {
      const chunk = await raw._fileRecv(65536, opts());
      if (chunk.length === 0) break;
      into.push(chunk);
    }
    into.done = true;
  }

  /** What communicate() read so far, as bytes or text. */
  #soFar(): [T | null, T | null] {
    const text = this.stdout?._text === true || this.stderr?._text === true;
    const one = (c: Collected | null): T | null => {
      if (c === null) return null;
      const bytes = c.bytes();
      return (text ? new TextDecoder().decode(bytes) : bytes) as T;
    };
    return [one(this.#out), one(this.#err)];
  }

  /**
   * What the pipes gave so far, for a TimeoutExpired of `run`: what communicate() read and what
   * waits in the pipes unread (after `_killAndReap`, everything the child wrote). @internal
   */
  _partial(): [T | null, T | null] {
    const take = (f: PipeReader<T> | null, c: Collected | null): void => {
      if (f !== null && c !== null && !c.done && !f.closed) c.push(f._drain());
    };
    take(this.stdout, this.#out);
    take(this.stderr, this.#err);
    return this.#soFar();
  }

  /**
   * Kill the child (SIGKILL), close our pipe ends at once, and resolve once it has exited.
   * A foreign await: SIGKILL cannot be refused, so it is short; no kill lands in it. @internal
   */
  _killAndReap(): Promise<void> {
    this.kill();
    for (const p of this.#pipes) p.destroy();
    if (this.#exited) return Promise.resolve();
    if (this.#exitPromise === null) {
      this.#exitPromise = new Promise<void>((resolve) => {
        this.#exitResolve = resolve;
      });
    }
    return this.#exitPromise;
  }
}

function isBrokenPipe(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ECONNRESET';
}

/**
 * An options argument: `undefined` or `null` is the defaults (as node:child_process takes them),
 * an object is itself, and for a call that waits (`numberIsTimeout`) a bare number is the
 * timeout in ms, as in every blocking call; anything else is a TypeError naming the argument.
 * An object may hold only the keys `known`: another is a TypeError naming it (a typo such as
 * `{timout: 5}` was ignored, and the call waited for the child forever).
 */
function readOptions<O extends object>(
  opts: unknown,
  where: string,
  known: readonly string[],
  numberIsTimeout = false,
): O {
  if (opts === undefined || opts === null) return {} as O;
  if (numberIsTimeout && typeof opts === 'number') return { timeout: opts } as O;
  if (typeof opts !== 'object') {
    const expected = numberIsTimeout
      ? 'an object, a timeout in ms, null or undefined'
      : 'an object, null or undefined';
    throw new TypeError(
      `${where}: the options argument must be ${expected}, got ${format('%o', opts)}`,
    );
  }
  const unknown = checkOptionKeys(opts, known, where);
  if (unknown !== null) throw unknown;
  return opts as O;
}

/** The keys of {@link PopenOptions}. */
const POPEN_KEYS: readonly string[] = ['stdin', 'stdout', 'stderr', 'env', 'cwd', 'text'];
/** The keys of {@link RunOptions}. */
const RUN_KEYS: readonly string[] = [
  ...POPEN_KEYS,
  'input',
  'captureOutput',
  'check',
  'timeout',
  'signal',
];
/** The keys of `Popen.communicate`'s options. */
const COMMUNICATE_KEYS: readonly string[] = ['input', 'timeout', 'signal'];

async function runImpl(
  args: readonly string[],
  o: RunOptions,
  forced: { stdout?: StdioOption },
): Promise<CompletedProcess<Output>> {
  const err = readWaitOptions({ timeout: o.timeout, signal: o.signal }, 'run');
  if (err !== NONE) throw err;
  const timeout = waitArgs.timeout;
  const signal = waitArgs.signal;
  const input = inputBytes(o.input, 'run');
  if (input !== null && o.stdin !== undefined && o.stdin !== PIPE) {
    throw new TypeError(`Cannot pass input with stdin ${format('%o', o.stdin)}: leave stdin unset`);
  }
  if (o.captureOutput === true && (o.stdout !== undefined || o.stderr !== undefined)) {
    throw new TypeError('Cannot combine captureOutput with stdout or stderr options');
  }
  // Popen's own keys only: it refuses run's (`input`, `timeout` …) as unknown options.
  const popenOpts: PopenOptions = {
    env: o.env,
    cwd: o.cwd,
    text: o.text,
    stdin: input !== null ? PIPE : o.stdin,
    stdout: o.captureOutput === true ? PIPE : (forced.stdout ?? o.stdout),
    stderr: o.captureOutput === true ? PIPE : o.stderr,
  };
  const p = new Popen<Output>(args, popenOpts);
  let ok = false;
  // A greenlet that dies with this call's waits still pending withdraws them (their promises
  // never settle): a kill at Promise.all([run(a), run(b)]) resumed one wait, the greenlet died,
  // and b's child ran on, unreaped, keeping the program alive (found by the breaker). The
  // caller's death kills the child too; our pipe ends close and Node reaps it.
  const owner = getCurrent();
  const onDeath = (): void => {
    if (!ok && p.pid !== null) void p._killAndReap();
  };
  if (owner instanceof Greenlet) owner[kQuietLink](onDeath);
  try {
    const [out, errOut] = await p.communicate({ input: input ?? undefined, timeout, signal });
    ok = true;
    return new CompletedProcess(args, p.returncode as number, out, errOut);
  } catch (e) {
    if (e instanceof TimeoutExpired) {
      // CPython's run kills the child, then reads what is left: so do we, from our pipe ends
      // (closed at once, as a grandchild may hold the other ends), once it is reaped.
      await p._killAndReap();
      const [out, errOut] = p._partial();
      throw new TimeoutExpired(args, timeout as number, out, errOut);
    }
    throw e;
  } finally {
    if (owner instanceof Greenlet) owner.unlink(onDeath);
    // A kill, a Timeout, an aborted signal or a pipe error: the child must not outlive us.
    if (!ok && p.pid !== null) await p._killAndReap();
  }
}

/**
 * Run a command, wait for it, and return a {@link CompletedProcess}. A switch point: a kill or
 * `Timeout` of the caller kills the child (SIGKILL), closes our pipe ends and reaps it before
 * rethrowing.
 * @param args - the command
 * @param opts - `input`, `captureOutput`, `check`, `timeout` (ms), `signal`, stdio, env, cwd, text;
 *   `undefined` or `null` for the defaults; a bare number is the timeout in ms
 * @returns `{args, returncode, stdout, stderr}` (`null` where not captured)
 * @throws TimeoutExpired after killing and reaping the child, when `timeout` elapses,
 *   carrying the output it wrote; CalledProcessError with `check: true` and a non-zero status;
 *   Node's spawn error (`ENOENT`) when the command cannot start (naming the cwd when that is
 *   the cause); TypeError for bad options (an unknown key too) (an `input` that is not bytes or a string, an `env`
 *   that is not an object of strings …); TypeError for an unknown option key
 * @example
 * ```ts
 * import { run } from 'verdant/subprocess';
 * const r = await run(['echo', 'hi'], { captureOutput: true, text: true });
 * r.stdout; // 'hi\n'
 * ```
 *
 * Source: CPython's `subprocess.run`.
 */
export function run(
  args: readonly string[],
  opts: RunOptions & { text: true },
): Promise<CompletedProcess<string>>;
export function run(
  args: readonly string[],
  opts?: RunOptions | number | null,
): Promise<CompletedProcess<Uint8Array>>;
export function run(
  args: readonly string[],
  opts?: RunOptions | number | null,
): Promise<CompletedProcess<Output>> {
  return guardCancellation(
    (async () => {
      const cmd = checkArgs(args, 'run');
      const o = readOptions<RunOptions>(opts, 'run', RUN_KEYS, true);
      const r = await runImpl(cmd, o, {});
      if (o.check === true) r.checkReturncode();
      return r;
    })(),
  );
}

/**
 * Run a command and return its exit status. A switch point: a kill or `Timeout` kills and
 * reaps the child, as in {@link run}.
 * @param args - the command
 * @param opts - as {@link run}
 * @returns the returncode (minus the signal number when a signal ended it)
 * @throws TimeoutExpired; Node's spawn error when the command cannot start
 * @example
 * ```ts
 * import { call } from 'verdant/subprocess';
 * const status = await call(['false']); // 1
 * ```
 *
 * Source: CPython's `subprocess.call`.
 */
export function call(args: readonly string[], opts?: RunOptions | number | null): Promise<number> {
  return guardCancellation(
    (async () => {
      const cmd = checkArgs(args, 'call');
      const o = readOptions<RunOptions>(opts, 'call', RUN_KEYS, true);
      return (await runImpl(cmd, { ...o, captureOutput: undefined }, {})).returncode;
    })(),
  );
}

/**
 * Run a command; resolve with `0`, or throw {@link CalledProcessError} on a non-zero status.
 * A switch point, as {@link call}.
 * @param args - the command
 * @param opts - as {@link run}
 * @returns 0
 * @throws CalledProcessError; TimeoutExpired; Node's spawn error
 * @example
 * ```ts
 * import { checkCall } from 'verdant/subprocess';
 * await checkCall(['true']);
 * ```
 *
 * Source: CPython's `subprocess.check_call`.
 */
export function checkCall(args: readonly string[], opts?: RunOptions | number | null): Promise<0> {
  return guardCancellation(
    (async (): Promise<0> => {
      const cmd = checkArgs(args, 'checkCall');
      const o = readOptions<RunOptions>(opts, 'checkCall', RUN_KEYS, true);
      const r = await runImpl(cmd, { ...o, captureOutput: undefined }, {});
      if (r.returncode !== 0) throw new CalledProcessError(r.returncode, cmd);
      return 0;
    })(),
  );
}

/**
 * Run a command and return its stdout; throw {@link CalledProcessError} (carrying the output)
 * on a non-zero status. A switch point, as {@link call}.
 * @param args - the command
 * @param opts - as {@link run} (`stdout` is always piped)
 * @returns the child's stdout (`Uint8Array`, or a string with `text: true`)
 * @throws CalledProcessError; TimeoutExpired; Node's spawn error
 * @example
 * ```ts
 * import { checkOutput } from 'verdant/subprocess';
 * const out = await checkOutput(['uname'], { text: true }); // 'Linux\n'
 * ```
 *
 * Source: CPython's `subprocess.check_output`.
 */
export function checkOutput(
  args: readonly string[],
  opts: RunOptions & { text: true },
): Promise<string>;
export function checkOutput(
  args: readonly string[],
  opts?: RunOptions | number | null,
): Promise<Uint8Array>;
export function checkOutput(
  args: readonly string[],
  opts?: RunOptions | number | null,
): Promise<Output> {
  return guardCancellation(
    (async () => {
      const cmd = checkArgs(args, 'checkOutput');
      const o = readOptions<RunOptions>(opts, 'checkOutput', RUN_KEYS, true);
      if (o.stdout !== undefined || o.captureOutput !== undefined) {
        throw new TypeError(
          'Cannot set stdout or captureOutput for checkOutput: it pipes stdout itself',
        );
      }
      const r = await runImpl(cmd, o, { stdout: PIPE });
      if (r.returncode !== 0) throw new CalledProcessError(r.returncode, cmd, r.stdout, r.stderr);
      return r.stdout as Output;
    })(),
  );
}

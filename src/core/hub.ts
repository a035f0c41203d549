/**
 * The hub: verdant's scheduler — a FIFO of ready callbacks, a timer heap and a clock, drained
 * on Node's event loop. (This file is larger than most: the ready queue, the timer heap and the
 * clocks are one mechanism.)
 *
 * Design note — the ready queue and the one-greenlet turn.
 * - Everything that makes a greenlet run goes through one FIFO of `(fn, arg)` pairs: a spawned
 *   greenlet's start, a woken wait's resumption, a kill or a timeout being delivered, a link
 *   notification. Same program + same I/O ⇒ same order.
 * - The FIFO is drained in a microtask job (`RESOLVED.then(drain)`), not a macrotask: a switch
 *   costs two jobs, the drain and the continuation. Two hand-offs skip the drain job: `release()`
 *   settles a waiting greenlet's promise at once (see there), and a greenlet whose body settled
 *   drains the FIFO at the end of that promise job (`releaseAtJobEnd`). A `release()` that finds
 *   the FIFO empty and no idle callback waiting schedules no drain at all (a server's receive
 *   loop parks once per message: that empty job was a promise and a microtask per message).
 *   A wait woken from a Node I/O callback while the FIFO is empty and nobody holds the turn
 *   resumes in that callback (`runNow`, from `Waiter.wakeNow`): it would have been first anyway
 *   (tests: test/io/stream.conformance.ts "a kill requested from the data event…",
 *   test/servers/websocket.test.ts "for await is a cancel point…").
 * - A callback returns `true` when it handed the turn to a greenlet (it resolved the promise a
 *   greenlet awaits). The drain then stops: no other greenlet is resumed until that one waits on
 *   verdant again (`Waiter.start` calls {@link Hub.release}), dies, or is found stuck in a foreign
 *   await. The last is detected with one `setImmediate`: when it runs, the microtask queue has
 *   drained, so whoever holds the turn is not running. This is what makes "code between two
 *   verdant waits runs without interruption" hold through async helpers (tests:
 *   test/core/hub.test.ts "one greenlet turn").
 * - After a budget (1000 callbacks or 2 ms) the drain stops and lets Node's loop run (timers,
 *   sockets) and goes on in that `setImmediate`.
 *
 * Timers are a binary heap ordered by (deadline, creation sequence); the real clock is
 * `performance.now()` driven by one Node timer for the earliest deadline, which is cleared when
 * the heap empties so an idle hub keeps nothing alive. A virtual hub (`verdant/testing`) has no
 * Node timer: when every greenlet is blocked (checked in the `setImmediate`) its clock jumps to
 * the next deadline.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { isPromiseLike, settleShape } from './_util.js';

/** What {@link Hub.stats} returns: a snapshot of the hub's queues. */
export interface HubStats {
  /** Ready callbacks queued. */
  ready: number;
  /** Timers pending (sleeps, timeouts, `Timeout`s). */
  timers: number;
  /** Verdant I/O operations in flight (socket reads, child processes). */
  io: number;
  /** `until()` waits pending. */
  until: number;
  /** Whether the hub runs on virtual time. */
  virtual: boolean;
}

/** Anything with a `write(string)` method, such as `process.stderr`. */
export interface Writable {
  /** Write one piece of text (a report is one or more calls). */
  write(text: string): unknown;
}

/**
 * A ready callback. One that resumes a greenlet sets {@link Hub.holder}; the hub then waits for
 * that greenlet to wait again or die before it runs anything else.
 * @internal
 */
// biome-ignore lint/suspicious/noExplicitAny: callbacks take the argument they were queued with
export type ReadyFn = (arg: any) => void;

/**
 * An entry of the timer heap.
 * @internal
 */
export interface Timed {
  deadline: number;
  seq: number;
  heapIndex: number;
  fire(): void;
}

/**
 * A plain timer: calls `fn(arg)` from the hub when it expires.
 * @internal
 */
export class TimerEntry implements Timed {
  deadline = 0;
  seq = 0;
  heapIndex = -1;
  fn: (arg: unknown) => void;
  arg: unknown;
  constructor(fn: (arg: unknown) => void, arg: unknown) {
    this.fn = fn;
    this.arg = arg;
  }
  fire(): void {
    this.fn(this.arg);
  }
}
settleShape(() => new TimerEntry(Boolean, null));

/** The fields a fiber (a greenlet or the main program) exposes to the hub. @internal */
export interface HubFiber {
  toString(): string;
}

/** A live greenlet as the hub lists it (intrusive links, no allocation). @internal */
export interface LiveNode {
  _lprev: LiveNode | null;
  _lnext: LiveNode | null;
  _live: Hub | null;
}

const RESOLVED = Promise.resolve();
/** The callback that resumes a wait: safe to run from `release()` (it runs no user code). */
let directFn: ReadyFn | null = null;

/**
 * Register the wait-resuming callback for the fast path of {@link Hub.release}.
 * @internal
 */
export function setResumeCallback(fn: ReadyFn): void {
  directFn = fn;
}
const BUDGET_CALLBACKS = 1000;
const BUDGET_MS = 2;
const MAX_NODE_DELAY = 2 ** 31 - 1;

/**
 * The scheduler verdant runs on. There is one per process (and a fresh one inside each
 * `runVirtual` call); {@link getHub} returns it.
 *
 * Its methods never switch. Most programs only read {@link Hub.now} and set
 * {@link Hub.exceptionStream}.
 *
 * Source: `gevent.hub.Hub` (`get_hub()`), with libev's loop replaced by Node's.
 * @example
 * ```ts
 * import { getHub } from 'verdant';
 * const hub = getHub();
 * hub.exceptionStream = { write: (text) => console.error(`[verdant] ${text}`) };
 * console.log(hub.stats()); // { ready: 0, timers: 0, io: 0, until: 0, virtual: false }
 * ```
 */
export class Hub {
  /** Whether this hub runs on virtual time (`verdant/testing`). */
  readonly virtual: boolean;
  /**
   * Where failures of greenlets nobody waited for are reported: the stack, then the line
   * `<ISO time> <String(g)> failed with <Name>`, then a blank line. Defaults to
   * `process.stderr`; `null` silences. Source: gevent's `Hub.exception_stream`.
   */
  exceptionStream: Writable | null = process.stderr;

  // ready queue: a ring buffer of (fn, arg) pairs
  #fns: (ReadyFn | undefined)[] = new Array(1024);
  #args: unknown[] = new Array(1024);
  #mask = 1023;
  #head = 0;
  #size = 0;

  /** The fiber that holds the turn, or null. @internal */
  holder: HubFiber | null = null;
  #drainScheduled = false;
  #running = false;
  #immediatePending = false;
  #budgetCount = 0;
  #budgetStart = 0;

  // timers
  #heap: Timed[] = [];
  #seq = 0;
  #nodeTimer: NodeJS.Timeout | undefined = undefined;
  #nodeTimerDeadline = Number.POSITIVE_INFINITY;
  /** The Node timer is armed but unref'd: the heap emptied since it was armed. */
  #nodeTimerIdle = false;
  #virtualNow = 0;

  /** Verdant I/O operations in flight (sockets, child processes); keeps `wait()` from idling. @internal */
  ioCount = 0;
  /**
   * A shared cell counting hand-offs of the turn (each `release()`), or null: a blocking
   * monitor's worker thread reads it to see that the hub turns. @internal
   */
  turnCounter: Int32Array | null = null;
  /** `until()` waits pending: work in flight for `wait()` and a virtual hub's stall. @internal */
  untilCount = 0;
  /** Callbacks run when the hub goes idle (empty FIFO, no holder). @internal */
  #idleFns: (() => void)[] = [];
  /** Called when a virtual hub has nothing left that could happen. @internal */
  onStall: (() => void) | null = null;
  #liveHead: LiveNode | null = null;
  #liveTail: LiveNode | null = null;

  constructor(options: { virtual?: boolean } = {}) {
    this.virtual = options.virtual === true;
  }

  /**
   * The hub's clock in milliseconds: `performance.now()` on a real hub (read once per
   * synchronous stretch of code, so it does not move between two calls with no await in
   * between), the virtual time
   * (starting at 0) on a virtual one. Never switches.
   */
  now(): number {
    if (this.virtual) return this.#virtualNow;
    // One reading per synchronous stretch of code (until the next microtask), as libuv reads
    // its loop time once per turn: a Timeout and the sleep it guards, started together, count
    // from the same instant even when a garbage collection pauses the program between them.
    if (this.#cachedNow < 0) {
      this.#cachedNow = performance.now();
      void RESOLVED.then(this.#forgetNow);
    }
    return this.#cachedNow;
  }

  #cachedNow = -1;
  #forgetNow = (): void => {
    this.#cachedNow = -1;
  };

  /** Number of ready callbacks queued. */
  get pending(): number {
    return this.#size;
  }

  /** Number of timers pending. */
  get timers(): number {
    return this.#heap.length;
  }

  /** A read-only snapshot of the hub's state, for diagnostics. */
  stats(): HubStats {
    return {
      ready: this.#size,
      timers: this.#heap.length,
      io: this.ioCount,
      until: this.untilCount,
      virtual: this.virtual,
    };
  }

  /**
   * Queue `fn(arg)` at the tail of the ready FIFO. Never switches.
   * @internal
   */
  schedule(fn: ReadyFn, arg: unknown): void {
    if (this.#size > this.#mask) this.#grow();
    const i = (this.#head + this.#size) & this.#mask;
    this.#fns[i] = fn;
    this.#args[i] = arg;
    this.#size++;
    if (this.holder === null && !this.#drainScheduled && !this.#running) this.#scheduleDrain();
  }

  /**
   * Run `fn(arg)` — a wait's resumption — now, when nothing is ready, no drain is due and no
   * fiber holds the turn; false (nothing done) otherwise. For a wake from a Node callback of the
   * loop (bytes arrived on a socket), where no greenlet's code runs: the wait's promise settles
   * in that callback and its continuation runs at the callback's microtask checkpoint, instead of
   * a drain job first (one promise job less per message, issue 16's W7 echo). The order is the
   * FIFO's: nothing else was ready. Never switches.
   * @internal
   */
  runNow(fn: ReadyFn, arg: unknown): boolean {
    if (this.holder !== null || this.#size !== 0 || this.#drainScheduled || this.#running) {
      return false;
    }
    try {
      fn(arg);
    } catch (err) {
      this.reportError(err, 'a hub callback');
    }
    // As #run: the holder may be stuck in a foreign await; the setImmediate finds out.
    if (this.holder !== null && !this.#immediatePending) this.#armImmediate();
    return true;
  }

  #grow(): void {
    const cap = this.#mask + 1;
    const fns = new Array<ReadyFn | undefined>(cap * 2);
    const args = new Array<unknown>(cap * 2);
    for (let k = 0; k < this.#size; k++) {
      const j = (this.#head + k) & this.#mask;
      fns[k] = this.#fns[j];
      args[k] = this.#args[j];
    }
    this.#fns = fns;
    this.#args = args;
    this.#head = 0;
    this.#mask = cap * 2 - 1;
  }

  /**
   * The fiber holding the turn waits (or died): let the next ready callback run.
   * @internal
   */
  release(): void {
    const turns = this.turnCounter;
    if (turns !== null) turns[0] = ((turns[0] as number) + 1) | 0;
    const releasing = this.holder;
    this.holder = null;
    if (this.#drainScheduled || this.#running) return;
    // Fast path: when the next ready callback only resumes a wait (it settles a promise and
    // runs no user code), run it now instead of in a drain job of its own: the resumed
    // greenlet's continuation still runs only after the releasing greenlet's job ends, and a
    // hand-off costs one microtask job instead of two. Primitives call `Waiter.start()` last
    // or keep their state consistent before it (test/sync/queue/property.test.ts).
    while (
      this.#size > 0 &&
      this.#fns[this.#head] === directFn &&
      this.#budgetCount < BUDGET_CALLBACKS
    ) {
      const i = this.#head;
      const arg = this.#args[i];
      // Never settle a wait of the releasing fiber inside its own wait call: the primitive
      // that called `start()` may still be registering it.
      if ((arg as { fiber: unknown }).fiber === releasing) break;
      if (this.#budgetCount++ === 0) this.#budgetStart = performance.now();
      this.#fns[i] = undefined;
      this.#args[i] = undefined;
      this.#head = (i + 1) & this.#mask;
      this.#size--;
      try {
        (directFn as ReadyFn)(arg);
      } catch (err) {
        this.reportError(err, 'a hub callback');
      }
      if (this.holder !== null) {
        if (!this.#immediatePending) this.#armImmediate();
        return;
      }
    }
    // Nothing ready and nobody to tell that the hub is idle: a drain job would do nothing.
    if (this.#size === 0 && this.#idleFns.length === 0 && !this.virtual) return;
    this.#scheduleDrain();
  }

  /**
   * {@link Hub.release} from the very end of a promise job (a greenlet's body settled): the
   * ready callbacks run now, in that job, instead of in a drain job of their own. Nothing of the
   * releasing greenlet runs after it, so the turn rule holds; a death costs no extra job.
   * @internal
   */
  releaseAtJobEnd(): void {
    const turns = this.turnCounter;
    if (turns !== null) turns[0] = ((turns[0] as number) + 1) | 0;
    this.holder = null;
    if (this.#drainScheduled || this.#running) return;
    this.#run();
  }

  #scheduleDrain(): void {
    this.#drainScheduled = true;
    // #drain catches everything it runs: this promise never rejects.
    void RESOLVED.then(this.#drain);
    if (!this.#immediatePending) this.#armImmediate();
  }

  #armImmediate(): void {
    this.#immediatePending = true;
    setImmediate(this.#onImmediate);
  }

  #drain = (): void => {
    this.#drainScheduled = false;
    this.#run();
  };

  /** Run ready callbacks until one gives the turn away, the FIFO empties or the budget ends. */
  #run(): void {
    if (this.holder !== null || this.#running) return;
    this.#running = true;
    try {
      while (this.#size > 0) {
        if (this.#budgetCount === 0) this.#budgetStart = performance.now();
        if (++this.#budgetCount > BUDGET_CALLBACKS || (this.#budgetCount & 63) === 0) {
          if (
            this.#budgetCount > BUDGET_CALLBACKS ||
            performance.now() - this.#budgetStart > BUDGET_MS
          ) {
            // Let Node's loop run; the pending setImmediate goes on.
            if (!this.#immediatePending) this.#armImmediate();
            return;
          }
        }
        const i = this.#head;
        const fn = this.#fns[i] as ReadyFn;
        const arg = this.#args[i];
        this.#fns[i] = undefined;
        this.#args[i] = undefined;
        this.#head = (i + 1) & this.#mask;
        this.#size--;
        try {
          fn(arg);
        } catch (err) {
          this.reportError(err, 'a hub callback');
        }
        if (this.holder !== null) {
          if (!this.#immediatePending) this.#armImmediate();
          return;
        }
      }
    } finally {
      this.#running = false;
    }
    this.#becameIdle();
  }

  #onImmediate = (): void => {
    this.#immediatePending = false;
    this.#budgetCount = 0;
    // The microtask queue has drained: a holder still set is stuck in a foreign await.
    this.holder = null;
    if (this.#size > 0) {
      this.#run();
      return;
    }
    this.#becameIdle();
    if (
      this.virtual &&
      !this.#closed &&
      this.#size === 0 &&
      this.holder === null &&
      !this.#drainScheduled
    ) {
      this.#virtualStep();
    }
  };

  #becameIdle(): void {
    if (this.#idleFns.length > 0) {
      const fns = this.#idleFns;
      this.#idleFns = [];
      for (const fn of fns) fn();
    }
    if (this.virtual && this.#size === 0 && !this.#immediatePending && this.#canStep()) {
      this.#armImmediate();
    }
  }

  /** Whether a virtual hub has a timer to jump to, or a stall to report. */
  #canStep(): boolean {
    if (this.#closed) return false;
    return (
      this.#heap.length > 0 ||
      (this.ioCount === 0 && this.untilCount === 0 && this.onStall !== null)
    );
  }

  #closed = false;

  /**
   * Stop a virtual hub from stepping its clock (when its `runVirtual` call ends).
   * @internal
   */
  close(): void {
    this.#closed = true;
  }

  /**
   * Run `fn` the next time the hub is idle (nothing ready to run). Never switches.
   * @internal
   */
  onIdle(fn: () => void, afterWork = false): void {
    this.#idleFns.push(fn);
    // afterWork: only once the hub has run something (a timer fired, a wait woke) or
    // {@link Hub.recheckIdle} was called — not at once, which would poll the loop.
    if (afterWork) return;
    if (this.holder === null && !this.#drainScheduled && this.#size === 0) {
      // Already idle: check from the loop, so the caller finishes its turn first.
      if (!this.#immediatePending) this.#armImmediate();
    }
  }

  /**
   * Something the idle check of `wait()` counts ended without running a callback here (I/O
   * ended, a timer was removed, an `until` settled): run the idle callbacks again from the loop.
   * @internal
   */
  recheckIdle(): void {
    if (
      this.#idleFns.length > 0 &&
      !this.#immediatePending &&
      this.holder === null &&
      !this.#drainScheduled &&
      this.#size === 0
    ) {
      this.#armImmediate();
    }
  }

  /** Whether nothing at all is pending: no callback, timer, I/O or holder. @internal */
  isIdle(): boolean {
    return (
      this.#size === 0 && this.#heap.length === 0 && this.ioCount === 0 && this.holder === null
    );
  }

  #virtualStep(): void {
    const first = this.#heap[0];
    if (first !== undefined) {
      if (first.deadline > this.#virtualNow) this.#virtualNow = first.deadline;
      this.#fireDue(this.#virtualNow);
      // Timers that woke nothing (a Timeout for a greenlet in a foreign await): look again.
      if (!this.#immediatePending && this.#canStep()) this.#armImmediate();
      return;
    }
    if (this.ioCount === 0 && this.untilCount === 0 && this.onStall !== null) this.onStall();
  }

  // ---- live greenlets (started, not dead), in start order ----

  /** @internal */
  liveAdd(n: LiveNode): void {
    n._live = this;
    n._lnext = null;
    n._lprev = this.#liveTail;
    if (this.#liveTail === null) this.#liveHead = n;
    else this.#liveTail._lnext = n;
    this.#liveTail = n;
  }

  /** @internal */
  liveRemove(n: LiveNode): void {
    if (n._live !== this) {
      n._live?.liveRemove(n);
      return;
    }
    if (n._lprev === null) this.#liveHead = n._lnext;
    else n._lprev._lnext = n._lnext;
    if (n._lnext === null) this.#liveTail = n._lprev;
    else n._lnext._lprev = n._lprev;
    n._lprev = null;
    n._lnext = null;
    n._live = null;
  }

  /** The live greenlets of this hub, in start order. @internal */
  *live(): IterableIterator<LiveNode> {
    let n = this.#liveHead;
    while (n !== null) {
      const next = n._lnext;
      yield n;
      n = next;
    }
  }

  // ---- timers ----

  /**
   * Add `t` to the timer heap to fire `ms` from now; `Infinity` never fires, so it is not added
   * (a virtual clock never jumps to `Infinity`, a real hub arms no Node timer). Never switches.
   * @internal
   */
  addTimer(t: Timed, ms: number): void {
    if (ms === Number.POSITIVE_INFINITY) {
      t.deadline = ms;
      t.heapIndex = -1;
      return;
    }
    const deadline = this.now() + ms;
    t.deadline = deadline;
    t.seq = this.#seq++;
    const heap = this.#heap;
    t.heapIndex = heap.length;
    heap.push(t);
    this.#siftUp(t.heapIndex);
    if (this.virtual) return;
    if (deadline < this.#nodeTimerDeadline) this.#armNodeTimer(deadline);
    else if (this.#nodeTimerIdle) {
      // The Node timer left armed (unref'd) when the heap emptied fires before this deadline:
      // make it keep the process alive again, and re-arm when it fires.
      this.#nodeTimerIdle = false;
      (this.#nodeTimer as NodeJS.Timeout).ref();
    }
  }

  /**
   * Remove `t` from the timer heap if it is there. Never switches.
   * @internal
   */
  removeTimer(t: Timed): void {
    const i = t.heapIndex;
    const heap = this.#heap;
    if (i < 0 || heap[i] !== t) return; // not in this hub's heap
    t.heapIndex = -1;
    const last = heap.pop() as Timed;
    if (i < heap.length) {
      heap[i] = last;
      last.heapIndex = i;
      this.#siftDown(i);
      this.#siftUp(last.heapIndex);
    }
    if (heap.length === 0) {
      if (this.#nodeTimer !== undefined && !this.#nodeTimerIdle) {
        // Keep the Node timer but let it no longer hold the process: a withTimeout per call
        // would otherwise pay a setTimeout and a clearTimeout each.
        this.#nodeTimer.unref();
        this.#nodeTimerIdle = true;
      }
      if (this.#idleFns.length > 0) this.recheckIdle();
    }
  }

  #less(a: Timed, b: Timed): boolean {
    return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
  }

  #siftUp(i: number): void {
    const heap = this.#heap;
    const t = heap[i] as Timed;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p] as Timed;
      if (!this.#less(t, parent)) break;
      heap[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    heap[i] = t;
    t.heapIndex = i;
  }

  #siftDown(i: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const t = heap[i] as Timed;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && this.#less(heap[r] as Timed, heap[l] as Timed)) c = r;
      const child = heap[c] as Timed;
      if (!this.#less(child, t)) break;
      heap[i] = child;
      child.heapIndex = i;
      i = c;
    }
    heap[i] = t;
    t.heapIndex = i;
  }

  #armNodeTimer(deadline: number): void {
    if (this.#nodeTimer !== undefined) clearTimeout(this.#nodeTimer);
    this.#nodeTimerIdle = false;
    this.#nodeTimerDeadline = deadline;
    // Node's timers overflow past 2^31-1 ms: wake up then and re-arm.
    const delay = Math.min(MAX_NODE_DELAY, Math.max(0, Math.ceil(deadline - performance.now())));
    this.#nodeTimer = setTimeout(this.#onNodeTimer, delay);
  }

  #onNodeTimer = (): void => {
    this.#nodeTimer = undefined;
    this.#nodeTimerIdle = false;
    this.#nodeTimerDeadline = Number.POSITIVE_INFINITY;
    this.#budgetCount = 0;
    if (this.#size > 0 || this.holder !== null) {
      // Ready callbacks run before timers: a sleeper already woken (queued) must resume before
      // a later deadline fires — its Timeout, say. Fire behind the ready queue instead.
      if (!this.#fireLaterPending) {
        this.#fireLaterPending = true;
        this.schedule(this.#fireLater, undefined);
      }
      return;
    }
    this.#fireDue(performance.now());
    this.#rearm();
  };

  #rearm(): void {
    const first = this.#heap[0];
    if (!this.virtual && first !== undefined && this.#nodeTimer === undefined) {
      this.#armNodeTimer(first.deadline);
    }
  }

  /**
   * Fire the timers of the earliest deadline due at `now` (in creation order); later deadlines
   * that are also due go behind the ready queue. When the loop runs late, a `sleep(1)` and the
   * `Timeout(10)` around it are both due: the sleeper must resume (and cancel its Timeout)
   * before the later deadline fires, as it would have on time (test/core/robustness.test.ts
   * "a sleep and the Timeout around it, both due when the loop runs late, do not misfire").
   */
  #fireDue(now: number): void {
    if (this.#fireLaterPending) return; // the chain behind the ready queue goes on
    const heap = this.#heap;
    const first = heap[0];
    if (first === undefined || first.deadline > now) return;
    const deadline = first.deadline;
    for (;;) {
      const t = heap[0];
      if (t === undefined || t.deadline !== deadline) break;
      this.removeTimer(t);
      try {
        t.fire();
      } catch (err) {
        this.reportError(err, 'a timer');
      }
    }
    const next = heap[0];
    if (next !== undefined && next.deadline <= now) {
      this.#fireLaterPending = true;
      this.schedule(this.#fireLater, undefined);
    }
  }

  #fireLaterPending = false;

  #fireLater = (): void => {
    this.#fireLaterPending = false;
    this.#fireDue(this.now());
    if (!this.#fireLaterPending) this.#rearm();
  };

  // ---- failure reports ----

  /**
   * Write a failure report to {@link Hub.exceptionStream}: the error's stack, then
   * `<ISO time> <context> failed with <Name>`, then a blank line. Never switches.
   * @param err - what was thrown
   * @param context - who failed, e.g. `String(g)`
   */
  reportError(err: unknown, context: string): void {
    const stream = this.exceptionStream;
    if (stream === null) return;
    const name = errorName(err);
    const stack = errorText(err);
    try {
      const r = stream.write(
        `${stack}\n${new Date().toISOString()} ${context} failed with ${name}\n\n`,
      );
      // A stream whose write returns a promise (a web stream writer): its rejection is ours.
      if (isPromiseLike(r)) {
        (r as Promise<unknown>).then(undefined, () => {});
      }
    } catch {
      // A broken stream must not break the hub.
    }
  }
}

/**
 * The name a report gives a thrown value: `err.name` for an Error, else its `typeof`. A value
 * that cannot be read (a throwing getter) gives `<unprintable>`: reporting never throws.
 */
function errorName(err: unknown): string {
  try {
    if (err instanceof Error) return String(err.name);
    return typeof err;
  } catch {
    return '<unprintable>';
  }
}

/** The text a report gives a thrown value: its stack, else `String(err)`, else `<unprintable>`. */
function errorText(err: unknown): string {
  try {
    if (err instanceof Error) {
      const stack = err.stack;
      if (typeof stack === 'string') return stack;
    }
    return String(err);
  } catch {
    return '<unprintable>';
  }
}

let current: Hub | undefined;

/**
 * The hub verdant is running on (created on first use; inside `runVirtual`, that call's virtual
 * hub). Never switches.
 *
 * Source: `gevent.get_hub()`.
 *
 * @example
 * ```ts
 * import { getHub } from 'verdant';
 * getHub().exceptionStream = null; // silence failure reports
 * const t0 = getHub().now(); // ms
 * ```
 */
export function getHub(): Hub {
  if (current === undefined) current = new Hub();
  return current;
}

/**
 * Swap the current hub (for `runVirtual`); returns the previous one.
 * @internal
 */
export function setHub(hub: Hub | undefined): Hub | undefined {
  const prev = current;
  current = hub;
  return prev;
}

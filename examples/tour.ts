/**
 * The tour: runs every example in turn, each under a header with its title and the seed it was
 * ported from, a one-sentence caption (the first sentence of the example's own doc comment, plus
 * a translation where the seed prints Chinese), then its key lines of code beside its output.
 * To add an example, add one entry to `examples` below.
 *
 * `npm run tour` runs it from `dist/` (after `npm run build`; `npm start` runs the demo server
 * instead). Pick examples by name:
 * `node dist/examples/tour.js context-switch timeout-calls`.
 *
 * Time: the examples run on the real hub clock, as written (in milliseconds), except that the
 * tour shortens every hub timer by a factor — `sleep`, `Timeout`, `spawnLater`, the `timeout`
 * options — so the whole tour takes seconds, not minutes. The factor is `TOUR_SPEED` (default
 * 20; `TOUR_SPEED=1` runs the examples at their real speed). This is done here, by wrapping the
 * hub's timer insertion, so the examples themselves stay plain verdant programs. The hub's clock
 * (`getHub().now()`) is not scaled: a duration an example prints is the real, shortened one.
 *
 * Examples that end in `LoopExit` on purpose catch it and say so; the tour exits 0 when every
 * example finished, 1 when one threw.
 */
import { readFileSync } from 'node:fs';
import { format } from 'node:util';
import { getHub } from '../src/index.js';
import { main as actor } from './actor.js';
import { main as asyncResult } from './async-result.js';
import { main as asyncResultWaiters } from './async-result-waiters.js';
import { main as backdoor } from './backdoor.js';
import { main as blocking } from './blocking.js';
import { main as boundedSemaphore } from './bounded-semaphore.js';
import { main as concurrentDownload } from './concurrent-download.js';
import { main as contextSwitch } from './context-switch.js';
import { main as determinism } from './determinism.js';
import { main as dnsForwarder } from './dns-forwarder.js';
import { main as dnsMassResolve } from './dns-mass-resolve.js';
import { main as echoserver } from './echoserver.js';
import { main as event } from './event.js';
import { main as eventletCrawler } from './eventlet-crawler.js';
import { main as eventletEchoserver } from './eventlet-echoserver.js';
import { main as eventletEvent } from './eventlet-event.js';
import { main as eventletPile } from './eventlet-pile.js';
import { main as eventletSpawnN } from './eventlet-spawn-n.js';
import { main as geventsendfile } from './geventsendfile.js';
import { main as greenletSpawnForms } from './greenlet-spawn-forms.js';
import { main as greenletStates } from './greenlet-states.js';
import { main as greenletSubclass } from './greenlet-subclass.js';
import { main as greenletTasks } from './greenlet-tasks.js';
import { main as group } from './group.js';
import { main as groupMap } from './group-map.js';
import { main as hello } from './hello.js';
import { main as httpStreaming } from './http-streaming.js';
import { main as kill } from './kill.js';
import { main as links } from './links.js';
import { main as local } from './local.js';
import { main as longPolling } from './long-polling.js';
import { main as monkeyFetchKill } from './monkey-fetch-kill.js';
import { main as poolSize } from './pool-size.js';
import { main as poolSpawn } from './pool-spawn.js';
import { main as portforwarder } from './portforwarder.js';
import { main as processes } from './processes.js';
import { main as producerConsumer } from './producer-consumer.js';
import { main as psycopg2Pool } from './psycopg2-pool.js';
import { main as queueBounded } from './queue-bounded.js';
import { main as queueProducts } from './queue-products.js';
import { main as queueWorkers } from './queue-workers.js';
import { main as rawGreenlet } from './raw-greenlet.js';
import { main as recipeCrawler } from './recipe-crawler.js';
import { main as recipeRateLimit } from './recipe-rate-limit.js';
import { main as recipeRequestContext } from './recipe-request-context.js';
import { main as recipeRetries } from './recipe-retries.js';
import { main as recipeShutdown } from './recipe-shutdown.js';
import { main as recipeVirtualClock } from './recipe-virtual-clock.js';
import { main as roundRobin } from './round-robin.js';
import { main as semaphore } from './semaphore.js';
import { main as semaphorePool } from './semaphore-pool.js';
import { main as signal } from './signal.js';
import { main as sleepInterleave } from './sleep-interleave.js';
import { main as spawnJoinall } from './spawn-joinall.js';
import { main as spawnLater } from './spawn-later.js';
import { main as syncVsAsync } from './sync-vs-async.js';
import { main as threadpool } from './threadpool.js';
import { main as threeEvents } from './three-events.js';
import { main as timeoutCalls } from './timeout-calls.js';
import { main as timeoutObject } from './timeout-object.js';
import { main as timeoutUsing } from './timeout-using.js';
import { main as udpClient } from './udp-client.js';
import { main as unixsocketClient } from './unixsocket-client.js';
import { main as webproxy } from './webproxy.js';
import { main as webpy } from './webpy.js';
import { main as websocketEcho } from './websocket-echo.js';
import { main as wsgiserver } from './wsgiserver.js';
import { main as wsgiserverSsl } from './wsgiserver-ssl.js';
import { main as zmqGreen } from './zmq-green.js';

interface Example {
  name: string;
  /** Real I/O guarded by timeouts: its timers keep their real length (a shortened timeout would fire). */
  realTime?: boolean;
  title: string;
  source: string;
  main: () => Promise<void>;
  /**
   * Added to the caption (the first sentence of the example's own doc comment): a translation of
   * what a seed prints in Chinese, a bug of the seed the port keeps.
   */
  caption?: string;
  /** Output lines to annotate, each with its note (a seed's own bug the port keeps). */
  notes?: Record<string, string>;
}

const T = 'seed 000 (the gevent tutorial)';

const examples: Example[] = [
  { name: 'hello', title: 'verdant in ten lines', source: 'README.md', main: hello },
  { name: 'spawn-joinall', title: 'spawn and joinAll', source: 'seed 001', main: spawnJoinall },
  { name: 'context-switch', title: 'Explicit context switches', source: T, main: contextSwitch },
  {
    name: 'round-robin',
    title: 'Three greenlets take turns',
    source: 'seed 000',
    main: roundRobin,
  },
  {
    name: 'sleep-interleave',
    title: 'Sleeping greenlets interleave',
    source: 'seed 000',
    main: sleepInterleave,
  },
  { name: 'sync-vs-async', title: 'Synchronous vs asynchronous', source: T, main: syncVsAsync },
  { name: 'determinism', title: 'Determinism', source: T, main: determinism },
  {
    name: 'greenlet-spawn-forms',
    title: 'Ways to spawn a greenlet',
    source: T,
    main: greenletSpawnForms,
  },
  { name: 'greenlet-subclass', title: 'Subclassing Greenlet', source: T, main: greenletSubclass },
  {
    name: 'greenlet-tasks',
    title: 'Tasks as Greenlet subclasses',
    source: 'seeds 000 and 002',
    main: greenletTasks,
  },
  {
    name: 'greenlet-states',
    title: 'Greenlet states',
    source: `${T}, seed 001`,
    main: greenletStates,
  },
  { name: 'kill', title: 'Killing a greenlet', source: 'seed 003 (prose)', main: kill },
  { name: 'links', title: 'Links', source: "gevent's Greenlet.link (no seed sample)", main: links },
  {
    name: 'spawn-later',
    title: 'spawnLater',
    source: 'seed 003 (without its fork)',
    main: spawnLater,
  },
  {
    name: 'timeout-object',
    title: 'A Timeout around a join',
    source: `${T}, seed 001`,
    main: timeoutObject,
  },
  {
    name: 'timeout-using',
    title: 'A Timeout scoped with using',
    source: `${T}, seed 001`,
    main: timeoutUsing,
  },
  { name: 'timeout-calls', title: 'Timeouts on single calls', source: T, main: timeoutCalls },
  { name: 'local', title: 'Greenlet-local data', source: `${T}, seed 001`, main: local },
  {
    name: 'raw-greenlet',
    title: "The greenlet library's switch",
    source: 'seed 004',
    main: rawGreenlet,
  },
  {
    name: 'event',
    title: 'Event: one setter, five waiters',
    source: `${T}, seed 001`,
    main: event,
  },
  { name: 'async-result', title: 'AsyncResult', source: T, main: asyncResult },
  {
    name: 'async-result-waiters',
    title: 'AsyncResult with five waiters',
    source: 'seed 001',
    main: asyncResultWaiters,
  },
  {
    name: 'three-events',
    title: 'Three greenlets in a cycle of Events',
    source: 'seeds 000 and 002',
    main: threeEvents,
    caption:
      'The seed prints Chinese: 进程一/二/三启动 = "process 1/2/3 started", 所有进程都已启动 = ' +
      '"all processes started", 进程一:111111111 = "process 1: 111111111".',
  },
  { name: 'queue-workers', title: 'A boss and workers', source: T, main: queueWorkers },
  {
    name: 'queue-products',
    title: 'A producer and consumers',
    source: 'seed 001',
    main: queueProducts,
    caption:
      "The seed's consumers print '%s Quit' (a format string without its argument): the port prints it as written.",
    notes: { '%s Quit': "← the seed's own bug, kept: print('%s Quit') has no argument" },
  },
  { name: 'queue-bounded', title: 'A bounded Queue', source: T, main: queueBounded },
  {
    name: 'producer-consumer',
    title: 'Producer and consumers on a bounded Queue',
    source: 'seed 000',
    main: producerConsumer,
  },
  { name: 'group', title: 'Group', source: T, main: group },
  { name: 'group-map', title: 'Group.map, imap, imapUnordered', source: T, main: groupMap },
  { name: 'pool-size', title: 'A Pool of two', source: T, main: poolSize },
  {
    name: 'pool-spawn',
    title: 'Spawning into a pool from a member',
    source: 'seeds 000 and 002',
    main: poolSpawn,
  },
  {
    name: 'bounded-semaphore',
    title: 'BoundedSemaphore',
    source: 'seed 001',
    main: boundedSemaphore,
  },
  { name: 'semaphore-pool', title: 'BoundedSemaphore in a Pool', source: T, main: semaphorePool },
  { name: 'semaphore', title: 'Semaphore as a lock', source: 'seed 000', main: semaphore },
  { name: 'actor', title: 'Actors', source: T, main: actor },
  { name: 'processes', title: 'A child process and a cron greenlet', source: T, main: processes },
  {
    name: 'threadpool',
    title: 'A thread pool',
    source: "gevent's examples/threadpool.py",
    main: () => threadpool(250),
  },
  { name: 'signal', title: 'Stopping on a signal', source: T, main: () => signal() },
  {
    name: 'psycopg2-pool',
    title: 'A PostgreSQL connection pool on a Queue',
    source: "gevent's examples/psycopg2_pool.py",
    main: () => psycopg2Pool({ seconds: 0.25 }),
  },
  { name: 'zmq-green', title: 'ZeroMQ request/reply', source: T, main: () => zmqGreen() },
  {
    name: 'backdoor',
    title: 'A backdoor REPL',
    source: 'seed 000',
    main: () => backdoor(),
    realTime: true,
  },
  {
    name: 'blocking',
    title: 'Blocking detection',
    source: "gevent's monitor thread (seed 000)",
    main: blocking,
  },
  {
    name: 'echoserver',
    title: 'An echo server',
    source: "gevent's examples/echoserver.py",
    main: echoserver,
  },
  {
    name: 'portforwarder',
    title: 'A port forwarder',
    source: "gevent's examples/portforwarder.py",
    main: portforwarder,
  },
  {
    name: 'udp-client',
    title: 'A UDP server and client',
    source: "gevent's examples/udp_server.py, udp_client.py",
    main: udpClient,
  },
  {
    name: 'unixsocket-client',
    title: 'A Unix socket server and client',
    source: "gevent's examples/unixsocket_server.py, unixsocket_client.py",
    main: unixsocketClient,
  },
  {
    name: 'dns-mass-resolve',
    title: 'Resolving 100 names, 10 at a time',
    source: "gevent's examples/dns_mass_resolve.py",
    main: dnsMassResolve,
    realTime: true,
  },
  {
    name: 'concurrent-download',
    title: 'Concurrent downloads',
    source: "gevent's examples/concurrent_download.py",
    main: concurrentDownload,
  },
  {
    name: 'geventsendfile',
    title: 'A cooperative sendfile',
    source: "gevent's examples/geventsendfile.py",
    main: geventsendfile,
  },
  {
    name: 'dns-forwarder',
    title: 'A caching DNS forwarder',
    source: 'seed 002',
    main: dnsForwarder,
  },
  {
    name: 'wsgiserver',
    title: 'Hello world over HTTP',
    source: 'gevent examples',
    main: wsgiserver,
  },
  {
    name: 'wsgiserver-ssl',
    title: 'Hello world over HTTPS',
    source: 'gevent examples',
    main: wsgiserverSsl,
  },
  {
    name: 'http-streaming',
    title: 'A streaming generator response',
    source: 'seed 000',
    main: httpStreaming,
  },
  { name: 'long-polling', title: 'Long polling', source: 'seed 000', main: longPolling },
  { name: 'webpy', title: 'A web.py-style app', source: 'gevent examples', main: webpy },
  {
    name: 'webproxy',
    title: 'A web proxy',
    source: 'gevent examples',
    main: webproxy,
    realTime: true,
  },
  { name: 'websocket-echo', title: 'WebSocket echo', source: 'seed 000', main: websocketEcho },
  {
    name: 'recipe-crawler',
    title: 'A bounded crawler',
    source: 'docs/cookbook.md',
    main: recipeCrawler,
  },
  {
    name: 'recipe-retries',
    title: 'A worker pool with retries',
    source: 'docs/cookbook.md',
    main: recipeRetries,
  },
  {
    name: 'recipe-rate-limit',
    title: 'A rate limit',
    source: 'docs/cookbook.md',
    main: recipeRateLimit,
  },
  {
    name: 'recipe-request-context',
    title: 'Request-scoped context',
    source: 'docs/cookbook.md',
    main: recipeRequestContext,
  },
  {
    name: 'recipe-virtual-clock',
    title: 'An hour on the virtual clock',
    source: 'docs/cookbook.md',
    main: recipeVirtualClock,
  },
  {
    name: 'recipe-shutdown',
    title: 'Graceful shutdown on SIGTERM',
    source: 'docs/cookbook.md',
    main: recipeShutdown,
  },
  {
    name: 'eventlet-event',
    title: "eventlet's Event: send and wait",
    source: 'seed 004',
    main: eventletEvent,
  },
  {
    name: 'eventlet-spawn-n',
    title: "eventlet's spawn_n",
    source: 'seed 004',
    main: eventletSpawnN,
  },
  {
    name: 'eventlet-crawler',
    title: 'The GreenPool crawler (a local site)',
    source: 'seed 004',
    main: eventletCrawler,
  },
  {
    name: 'eventlet-echoserver',
    title: "eventlet's echo server with serve (loopback)",
    source: "eventlet's examples/echoserver.py",
    main: eventletEchoserver,
  },
  {
    name: 'eventlet-pile',
    title: 'GreenPile (a local site)',
    source: 'seed 004',
    main: eventletPile,
  },
  // Last: patchAll() patches fetch and node:timers/promises for the rest of the process.
  {
    name: 'monkey-fetch-kill',
    title: 'Monkey patching: killing a greenlet aborts its fetch',
    source: 'issue 19 (gevent.monkey)',
    main: monkeyFetchKill,
    realTime: true,
  },
];

/** Of a long output, the first HEAD lines are shown, and the last TAIL. */
const HEAD = 20;
const TAIL = 8;
/** At most this many key lines of code; the code column's width. */
const KEY_LINES = 18;
const CODE_WIDTH = 64;

function readSpeed(): number {
  const raw = process.env.TOUR_SPEED;
  if (raw === undefined || raw === '') return 20;
  const speed = Number(raw);
  if (!(speed >= 1)) throw new RangeError(`TOUR_SPEED must be a number >= 1, got ${raw}`);
  return speed;
}

/** The factor the running example's timers are shortened by (1 for a `realTime` one). */
let currentSpeed = 1;

/** Make every timer of the hub expire `currentSpeed` times sooner than asked. */
function speedUpTimers(): void {
  const hub = getHub();
  const addTimer = hub.addTimer.bind(hub);
  hub.addTimer = (timer, ms) => addTimer(timer, ms / currentSpeed);
}

/** The example's source (examples/<name>.ts beside dist/), or '' when it is not there. */
function readSource(name: string): string {
  try {
    return readFileSync(new URL(`../../examples/${name}.ts`, import.meta.url), 'utf8');
  } catch {
    return '';
  }
}

/** The first sentence of the source's doc comment. */
export function captionOf(source: string): string {
  const m = /^\/\*\*([\s\S]*?)\*\//.exec(source);
  if (m === null) return '';
  const text: string[] = [];
  for (const line of (m[1] as string).split('\n')) {
    const body = line.replace(/^\s*\* ?/, '').trim();
    if (body === '' && text.length > 0) break;
    if (body !== '') text.push(body);
  }
  const joined = text.join(' ');
  const end = joined.search(/\.(\s|$)/);
  return end < 0 ? joined : joined.slice(0, end + 1);
}

/** The code without its doc comment, imports, comments-only lines and command-line runner. */
export function keyLines(source: string): string[] {
  const body = source.replace(/^\/\*\*[\s\S]*?\*\/\n/, '');
  const out: string[] = [];
  let inImport = false;
  for (const line of body.split('\n')) {
    const t = line.trim();
    if (inImport) {
      if (t.endsWith(';')) inImport = false;
      continue;
    }
    if (t.startsWith('import ')) {
      inImport = !t.endsWith(';');
      continue;
    }
    if (t === '' || t.startsWith('//') || t.startsWith('if (import.meta.url')) continue;
    out.push(line.replace(/^export /, ''));
  }
  if (out.length > KEY_LINES) return [...out.slice(0, KEY_LINES - 1), '  …'];
  return out;
}

function fit(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

async function runOne(example: Example): Promise<boolean> {
  const source = readSource(example.name);
  console.log(`\n== ${example.title}: ${example.name}.ts, from ${example.source}`);
  const caption = [captionOf(source), example.caption ?? ''].filter((c) => c !== '').join(' ');
  if (caption !== '') console.log(`   ${caption}`);
  const log = console.log;
  const output: string[] = [];
  console.log = (...args: unknown[]) => {
    for (const line of format(...args).split('\n')) {
      const note = example.notes?.[line];
      output.push(note === undefined ? line : `${line}   ${note}`);
    }
  };
  let ok = true;
  try {
    await example.main();
  } catch (e) {
    output.push(`${example.name} failed: ${format(e)}`);
    ok = false;
  } finally {
    console.log = log;
  }
  let shown = output;
  if (output.length > HEAD + TAIL + 1) {
    const hidden = output.length - HEAD - TAIL;
    shown = [...output.slice(0, HEAD), `… ${hidden} more lines …`, ...output.slice(-TAIL)];
  }
  const code = keyLines(source);
  const rows = Math.max(code.length, shown.length);
  console.log(`   ${fit('code', CODE_WIDTH)} │ output`);
  for (let i = 0; i < rows; i++) {
    console.log(`   ${fit(code[i] ?? '', CODE_WIDTH)} │ ${shown[i] ?? ''}`.trimEnd());
  }
  if (!ok) console.error(`   ${example.name} failed`);
  return ok;
}

async function tour(names: string[]): Promise<number> {
  const unknown = names.filter((n) => !examples.some((e) => e.name === n));
  if (unknown.length > 0) {
    console.error(`Unknown example(s): ${unknown.join(', ')}`);
    console.error(`Examples: ${examples.map((e) => e.name).join(', ')}`);
    return 2;
  }
  const selected = names.length === 0 ? examples : examples.filter((e) => names.includes(e.name));
  const speed = readSpeed();
  speedUpTimers();
  const started = performance.now();
  console.log(
    `verdant tour: ${selected.length} example${selected.length === 1 ? '' : 's'}` +
      (speed === 1
        ? ''
        : `, every delay ${speed}× shorter than written (TOUR_SPEED=1 for real time)`),
  );
  let failed = 0;
  for (const example of selected) {
    currentSpeed = example.realTime === true ? 1 : speed;
    if (!(await runOne(example))) failed++;
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `\nTour done in ${seconds} s: ${selected.length - failed} example(s) ran` +
      (failed === 0 ? '.' : `, ${failed} failed.`),
  );
  return failed === 0 ? 0 : 1;
}

process.exitCode = await tour(process.argv.slice(2));

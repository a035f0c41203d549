/**
 * verdant — gevent for TypeScript: greenlets, the hub, timeouts, events, locks, queues and
 * pools. Everything in `core`, `sync` and `pool` is exported from here.
 *
 * @module verdant
 */
export {
  getCurrent,
  idle,
  iwait,
  type JoinAllOptions,
  joinAll,
  kill,
  killAll,
  type Linkable,
  sleep,
  spawn,
  spawnLater,
  until,
  type Waitable,
  type WaitManyOptions,
  wait,
} from './core/api.js';
export { type Blocked, Cancellation, GreenletExit, LoopExit } from './core/errors.js';
export { Greenlet, type KillOptions, type LinkCallback } from './core/greenlet.js';
export { getHub, Hub, type HubStats, type Writable } from './core/hub.js';
export type { WaitOptions } from './core/lowlevel.js';
export { type RaceFn, type RaceResult, race } from './core/race.js';
export { RawGreenlet, spawnRaw } from './core/rawgreenlet.js';
export {
  type ErrorClass,
  Timeout,
  type TimeoutOptions,
  type WithTimeoutOptions,
  withTimeout,
} from './core/timeout.js';
export {
  Group,
  type GroupJoinOptions,
  type GroupStats,
  type IMapIterator,
  type IMapOptions,
  Pool,
  PoolFull,
} from './pool/index.js';
export { type SignalHandle, signalHandler } from './process/signal.js';
export { AsyncResult, type AsyncResultStats, Event, type EventStats } from './sync/event.js';
export { Local, local } from './sync/local.js';
export { Lock } from './sync/lock.js';
export {
  Channel,
  type ChannelStats,
  JoinableQueue,
  type JoinableQueueStats,
  LifoQueue,
  PriorityQueue,
  type PriorityQueueOptions,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  type QueueStats,
  type ShutdownOptions,
  SimpleQueue,
} from './sync/queue/index.js';
export { RLock, type RLockStats } from './sync/rlock.js';
export {
  type AcquireOptions,
  BoundedSemaphore,
  DummySemaphore,
  Semaphore,
  type SemaphoreStats,
} from './sync/semaphore.js';

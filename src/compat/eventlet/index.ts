/**
 * `verdant/eventlet`: eventlet's API as thin adapters over verdant — one hub, verdant's
 * greenlets, waits, `GreenletExit`, `Timeout` and queue errors. Names are camelCased
 * (`spawnN`, `spawnAfter`, `sendException`, `taskDone`) except the one-word `waitall`, `imap`
 * and `starmap`; durations are milliseconds; anything that can block returns a promise.
 *
 * `listen`, `connect` and `serve` are eventlet's convenience functions on verdant sockets
 * (`verdant/socket`). Not here: `GreenThread.cancel`, `wrap_ssl` (use `wrapSocket` of
 * `verdant/socket`), hubs (`use_hub`: verdant has one hub, on Node's loop) and `eventlet.green` (see
 * `verdant/monkey` for the foreign waits that can be made cooperative).
 *
 * @module verdant/eventlet
 */
export { sleep } from '../../core/api.js';
export { GreenletExit } from '../../core/errors.js';
export type { WaitOptions } from '../../core/lowlevel.js';
export {
  type ErrorClass,
  Timeout,
  type TimeoutOptions,
  type WithTimeoutOptions,
  withTimeout,
} from '../../core/timeout.js';
export { Channel, QueueEmpty, QueueFull } from '../../sync/queue/index.js';
export {
  type AddressFamily,
  connect,
  type EventletAddress,
  type EventletListenOptions,
  listen,
  type ServeHandler,
  StopServe,
  serve,
} from './convenience.js';
export { Event } from './event.js';
export { GreenPile } from './greenpile.js';
export { GreenPool } from './greenpool.js';
export { GreenThread, spawn, spawnAfter, spawnN } from './greenthread.js';
export { MapIterator } from './mapiterator.js';
export { LightQueue, Queue } from './queue.js';

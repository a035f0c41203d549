/**
 * `verdant/queue`: cooperative queues between greenlets — gevent's `gevent.queue` (≥ 25.4).
 *
 * Which one to use:
 * - {@link Queue} (= {@link JoinableQueue}): the default. FIFO, optionally bounded
 *   (`new Queue(100)` gives back-pressure: `put` waits while 100 items are queued), with task
 *   tracking (`taskDone()`/`join()`) for boss/workers pipelines.
 * - {@link SimpleQueue}: the same without task tracking.
 * - {@link PriorityQueue}: lowest item first (`<`, or a `compare` option); {@link LifoQueue}: a
 *   stack. Both joinable.
 * - {@link Channel}: no buffer at all; `put` waits until a getter has the item — a hand-off
 *   that tells the sender the receiver got it.
 *
 * Every class has `put`/`get`/`peek` (promises: they wait when they must), `putNowait`/
 * `getNowait`/`peekNowait` (synchronous: they throw {@link QueueFull}/{@link QueueEmpty}
 * instead), `qsize`/`empty`/`full`, `shutdown` ({@link QueueShutDown}), `stats()` and
 * `for await (const item of q)`, which runs until the queue is shut down and drained.
 *
 * Design note — nothing is lost. An item, a free slot or a channel transfer
 * that wakes a waiter stays the waiter's only if the waiter actually resumes: a kill, `Timeout`,
 * timeout or signal that lands after the wake-up but before the hub resumed it wins, and what
 * woke it passes to the next waiter (an item back to the front of the queue). A blocked `put`
 * inserts its item only when it resumes, so an interrupted one inserts nothing. A channel
 * transfer commits when the getter resumes; once committed the put completes. The details and
 * the invariants they rest on are in `simple.ts`, `queue.ts` and
 * `channel.ts`; the property
 * test (test/sync/queue/property.test.ts) checks conservation under random kills and timeouts,
 * and test/sync/queue/_conformance.ts is the suite every class passes.
 *
 * @module verdant/queue
 */
export { Channel } from './channel.js';
export {
  type ChannelStats,
  type JoinableQueueStats,
  type PriorityQueueOptions,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  type QueueStats,
  type ShutdownOptions,
} from './errors.js';
export { LifoQueue } from './lifo.js';
export { PriorityQueue } from './priority.js';
export { JoinableQueue, Queue } from './queue.js';
export { SimpleQueue } from './simple.js';

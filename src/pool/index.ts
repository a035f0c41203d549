/**
 * `verdant/pool`: `Group` tracks running greenlets; `Pool` is a `Group` with a bounded number of
 * members, whose `spawn` waits for a free slot (that wait is the back-pressure).
 *
 * Design note — slots, membership, and why nothing is lost.
 * - Membership is a *quiet* link (`kQuietLink`): the hub removes a member right after it dies
 *   (so `size` and `freeCount()` change one hub step after the death, as gevent's), and that link
 *   does not count as "someone is listening": a member that fails with nobody joining it is still
 *   reported (test: "an unjoined member failure is still reported").
 * - A `Pool` counts its free slots like a semaphore's permits, built directly on core's `Waiter`.
 *   A slot freed while spawners wait goes to the oldest of them *at once* (it stays reserved, so a
 *   synchronous `add()` cannot take it meanwhile); if that spawner is killed or timed out before
 *   it resumes, the kill calls `abortWait(w, held = true)` and the slot goes on to the next spawner
 *   or back to the pool, and nothing is spawned (tests: "a kill during spawn() on a full pool …",
 *   "nothing lost"). The greenlet a waiting `spawn` will start is created at the call but started
 *   and added only when the spawner resumes with its slot.
 * - `join()` waits until the group has been empty at least once: joiners wake when the last
 *   member leaves, so members added while they wait are waited for too. A blocking `kill()` ends
 *   the same way: it kills members added while others still die, but once the group has been
 *   empty it returns, and the greenlet of a spawner that then resumes with the freed slot lives
 *   (gevent's killer returns before that spawner resumes; test: "kill() kills the members only:
 *   a spawner waiting for a slot lives …").
 * - `map`/`apply` own the calls they start: when they are interrupted (kill, `Timeout`) or throw
 *   a call's failure, they kill the calls still running (gevent leaves them running).
 * - Calls that need not wait (`spawn` with a free slot, `join` of an empty group, `waitAvailable`
 *   with a free slot) return settled promises: they never let another greenlet run.
 * Tests: test/pool/pool.test.ts, test/pool/imap.test.ts (gevent's test__pool.py, test__greenletset.py).
 *
 * @module verdant/pool
 */
export type { GroupJoinOptions, GroupStats } from './_group-core.js';
export { PoolFull } from './_group-core.js';
export type { IMapIterator, IMapOptions } from './_imap.js';
export { Group } from './group.js';
export { Pool } from './pool.js';

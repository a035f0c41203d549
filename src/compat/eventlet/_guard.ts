/**
 * Rejections by cancellation stay handled through verdant/eventlet's own `async` methods.
 *
 * Design note — verdant's waits mark a rejection by cancellation (a kill's exception, a
 * `Timeout`, `LoopExit`, an aborted signal's reason) handled, so a wait nobody awaits never ends
 * the process. An `async` method, or a `.then()` after a wait, returns a new promise
 * that carries the rejection on without that mark: a forgotten `gt.wait()` or `pool.spawn()` in
 * a greenlet that is then killed became an unhandled rejection. Every such method returns its
 * promise through {@link guard}. Tests: test/compat/eventlet/unhandled.test.ts.
 *
 * @module
 */
import { guardCancellation } from '../../core/lowlevel.js';

/**
 * A promise that settles as `p` does, marked handled when it rejects by cancellation (other
 * failures are not hidden): the core's own guard, under the name this layer uses.
 * @internal
 */
export const guard: <T>(p: Promise<T>) => Promise<T> = guardCancellation;

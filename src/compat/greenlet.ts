/**
 * `verdant/greenlet`: the `greenlet` library's API — `RawGreenlet` (greenlet's `greenlet`
 * class, with `switch`, `throw`, `parent`, `dead`), `getCurrent` and `GreenletExit`. These are
 * verdant's own core objects, re-exported.
 *
 * @module verdant/greenlet
 */
export { getCurrent } from '../core/api.js';
export { GreenletExit } from '../core/errors.js';
export { RawGreenlet } from '../core/rawgreenlet.js';

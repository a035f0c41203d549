/**
 * The top-level functions, one file per family of waits: `current.ts` (getCurrent, spawn,
 * spawnLater), `sleep.ts` (sleep, idle), `until.ts`, `waitmany.ts` (wait, iwait, joinAll, killAll,
 * kill), `race.ts`. This module only re-exports them, for code that imports `core/api.js`.
 *
 * @module
 */
export { getCurrent, spawn, spawnLater } from './current.js';
export { type RaceFn, type RaceResult, race } from './race.js';
export { idle, sleep } from './sleep.js';
export { until } from './until.js';
export {
  iwait,
  type JoinAllOptions,
  joinAll,
  kill,
  killAll,
  type Linkable,
  type Waitable,
  type WaitManyOptions,
  wait,
} from './waitmany.js';

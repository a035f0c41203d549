/**
 * `verdant/testing`: deterministic virtual time for tests.
 *
 * @module verdant/testing
 */
export { runVirtual } from './virtual.js';

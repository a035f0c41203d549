/**
 * `verdant/util`: tools to look inside a running program — the greenlet tree
 * ({@link formatRunInfo}, {@link printRunInfo}) and blocking detection ({@link startMonitor}).
 *
 * @module verdant/util
 */
export { type Monitor, type MonitorOptions, startMonitor } from './monitor.js';
export { formatRunInfo, printRunInfo } from './runinfo.js';

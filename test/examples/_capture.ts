// Runs an example's main() on the virtual clock with console.log captured, for the tests in
// this folder. Not a test file itself (the runner picks *.test.js only).
import { format } from 'node:util';
import { getHub } from '../../src/index.js';
import { runVirtual } from '../../src/testing/virtual.js';

/** What an example printed, and how long it took on the virtual clock. */
export interface Captured {
  /** Every line written with console.log, in order. */
  lines: string[];
  /** Virtual milliseconds from start to the end of main(). */
  ms: number;
  /** Failure reports the hub wrote (to its exceptionStream) while main() ran. */
  reports: string[];
}

/**
 * Run `main` under `runVirtual`, capturing console.log and the hub's failure reports.
 * `into` receives the lines as they are printed, so a caller can still read them when `main`
 * rejects (e.g. with LoopExit).
 */
export async function capture(
  main: () => Promise<void>,
  into: Captured = { lines: [], ms: 0, reports: [] },
): Promise<Captured> {
  const log = console.log;
  console.log = (...args: unknown[]) => {
    into.lines.push(...format(...args).split('\n'));
  };
  try {
    into.ms = await runVirtual(async () => {
      const hub = getHub();
      hub.exceptionStream = { write: (text: string) => into.reports.push(text) };
      const t0 = hub.now();
      await main();
      return hub.now() - t0;
    });
  } finally {
    console.log = log;
  }
  return into;
}

/**
 * Run `main` on the real hub (for the examples that do real I/O on 127.0.0.1), capturing
 * console.log and the hub's failure reports.
 */
export async function captureReal(main: () => Promise<void>): Promise<Captured> {
  const into: Captured = { lines: [], ms: 0, reports: [] };
  const log = console.log;
  const hub = getHub();
  const stream = hub.exceptionStream;
  hub.exceptionStream = { write: (text: string) => into.reports.push(text) };
  console.log = (...args: unknown[]) => {
    into.lines.push(...format(...args).split('\n'));
  };
  const t0 = performance.now();
  try {
    await main();
  } finally {
    console.log = log;
    hub.exceptionStream = stream;
    into.ms = performance.now() - t0;
  }
  return into;
}

/**
 * Run `main` (on whatever hub is current: the real one for the examples that do real I/O on
 * 127.0.0.1), resolving every line it printed with console.log. The hub's failure reports go
 * where they always go.
 */
export async function printed(main: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => {
    lines.push(...format(...args).split('\n'));
  };
  try {
    await main();
  } finally {
    console.log = log;
  }
  return lines;
}

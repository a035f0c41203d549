// Runs a networking example's main() on the real hub with console.log captured (the network
// examples do real I/O on loopback, so they do not run on the virtual clock).
import { format } from 'node:util';

/** Run `main`, resolving every line it printed with console.log. */
export async function captureReal(main: () => Promise<unknown>): Promise<string[]> {
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

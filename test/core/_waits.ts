// Helpers shared by the tests of core's waits: a minimal Linkable and the cancel-point check.
import assert from 'node:assert/strict';
import { GreenletExit, getHub, type Linkable, sleep, spawn, Timeout } from '../../src/index.js';
import { runVirtual } from '../../src/testing/index.js';

/** A minimal Linkable (what wait/iwait accept besides greenlets and promises). */
export class Flag implements Linkable {
  #set = false;
  links: ((x: Flag) => unknown)[] = [];
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  ready(): boolean {
    return this.#set;
  }
  rawlink(cb: (x: Flag) => unknown): void {
    this.links.push(cb);
  }
  unlink(cb: (x: Flag) => unknown): void {
    this.links = this.links.filter((c) => c !== cb);
  }
  set(): void {
    this.#set = true;
    for (const cb of [...this.links]) cb(this);
  }
}

/**
 * The cancel-point check every wait gets: a kill lands there (finally runs, the greenlet ends
 * with GreenletExit) and a Timeout lands there (the very instance, finally runs).
 */
export async function checkCancelPoint(
  name: string,
  makeWait: () => Promise<unknown>,
): Promise<void> {
  await runVirtual(async () => {
    const log: string[] = [];
    const g = spawn(async () => {
      try {
        await makeWait();
        log.push('returned');
      } finally {
        log.push('finally');
      }
    });
    await sleep(1);
    assert.equal(g.dead, false, `${name}: the greenlet waits`);
    await g.kill();
    assert.deepEqual(log, ['finally'], `${name}: kill`);
    assert.ok((g.value as unknown) instanceof GreenletExit, `${name}: kill`);
  });
  await runVirtual(async () => {
    const log: string[] = [];
    const t = Timeout.startNew(5);
    try {
      await makeWait();
      log.push('returned');
    } catch (e) {
      log.push(e === t ? 'timeout' : `other: ${String(e)}`);
    } finally {
      log.push('finally');
    }
    assert.deepEqual(log, ['timeout', 'finally'], `${name}: Timeout`);
    assert.equal(getHub().now(), 5, `${name}: Timeout`);
  });
}

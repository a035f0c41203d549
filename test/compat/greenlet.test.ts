// verdant/greenlet against greenlet's own tests: the parts of test_throw.py, test_greenlet.py and
// test_generator.py that test/core/rawgreenlet.test.ts does not port (throw of a class, values
// that cannot be thrown, a greenlet without run, the main greenlet's parent, generators made of
// switches). Values travel as JS values: one argument as itself, several as an array.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GreenletExit, getCurrent, RawGreenlet } from '../../src/compat/greenlet.js';
import { assertRejectsNoThrow, noUnhandled } from '../_util.js';

class SomeError extends Error {
  constructor(message?: string) {
    super(message);
    this.name = 'SomeError';
  }
}

/** greenlet's test_throw.py helper: switch to the current greenlet's parent. */
function switchUp(...args: unknown[]): Promise<unknown> {
  return ((getCurrent() as RawGreenlet).parent as RawGreenlet).switch(...args);
}

describe('verdant/greenlet: throw', () => {
  test('throw(ErrorClass) raises an instance of it at the pending switch (test_throw test_class)', async () => {
    const f = async (): Promise<void> => {
      try {
        await switchUp('ok');
      } catch (e) {
        if (e instanceof SomeError) {
          await switchUp('ok');
          return;
        }
      }
      await switchUp('fail');
    };
    const g = new RawGreenlet(f);
    assert.equal(await g.switch(), 'ok');
    assert.equal(await g.throw(SomeError), 'ok');
  });

  test('throw(GreenletExit) given as the class ends the greenlet: its instance is the value (test_kill)', async () => {
    const g = new RawGreenlet(async () => {
      await switchUp('ok');
      await switchUp('fail');
    });
    assert.equal(await g.switch(), 'ok');
    const res = await g.throw(GreenletExit);
    assert.ok(res instanceof GreenletExit);
    assert.equal(g.dead, true);
    const again = await g.throw(GreenletExit);
    assert.ok(again instanceof GreenletExit, 'immediately eaten by the already-dead greenlet');
  });

  test('throw(ErrorClass) into the current greenlet raises an instance there', async () => {
    const main = getCurrent() as RawGreenlet;
    await assert.rejects(main.throw(SomeError), (e) => e instanceof SomeError);
  });

  test('a forgotten throw() of GreenletExit into the current greenlet is no unhandled rejection', async () => {
    const seen = await noUnhandled(async () => {
      void (getCurrent() as RawGreenlet).throw();
    });
    assert.deepEqual(seen, []);
  });

  test('throw() of what is not an Error instance or class rejects with TypeError and switches nowhere (test_not_throwable)', async () => {
    let caught: unknown = 'nothing';
    const g = new RawGreenlet(async () => {
      try {
        await switchUp('ok');
      } catch (e) {
        caught = e;
      }
      return 'ended';
    });
    assert.equal(await g.switch(), 'ok');
    for (const bad of ['abc', 42, null, { message: 'x' }]) {
      await assertRejectsNoThrow(
        () => g.throw(bad as never),
        /^TypeError: RawGreenlet\.throw: err must be an Error instance or an Error class, got /,
      );
    }
    assert.equal(caught, 'nothing', 'nothing reached the greenlet');
    assert.equal(await g.switch(), 'ended');
  });
});

describe('verdant/greenlet: run and parent', () => {
  test('switch to a greenlet without run rejects with a TypeError naming run; it stays unstarted (test_switch_no_run_raises_AttributeError)', async () => {
    const g = new RawGreenlet();
    await assert.rejects(g.switch(), /^TypeError: RawGreenlet: .* has no run function/);
    assert.equal(g.dead, false);
    assert.equal(g.started, false);
  });

  test('a greenlet falling off its end into a parent without run: the TypeError reaches the switcher (test_parent_return_failure)', async () => {
    const g1 = new RawGreenlet();
    const g2 = new RawGreenlet(() => undefined, g1);
    await assert.rejects(g2.switch(), /^TypeError: RawGreenlet: .* has no run function/);
    assert.equal(g2.dead, true);
  });

  test('the main greenlet has no parent, and none can be set (test_main_greenlet_parent_is_none, test_trivial_cycle_main)', () => {
    const main = getCurrent() as RawGreenlet;
    assert.equal(main.parent, null);
    assert.throws(
      () => {
        main.parent = main;
      },
      { name: 'TypeError', message: 'RawGreenlet: cannot set the parent of a main greenlet' },
    );
    assert.throws(
      () => {
        main.parent = new RawGreenlet(() => 1, null);
      },
      { name: 'TypeError', message: 'RawGreenlet: cannot set the parent of a main greenlet' },
    );
    assert.equal(main.parent, null);
  });

  test('a cyclic parent chain is refused, also a deeper one (test_trivial_cycle, test_deeper_cycle)', () => {
    const g1 = new RawGreenlet(() => 1);
    const g2 = new RawGreenlet(() => 1);
    const g3 = new RawGreenlet(() => 1);
    assert.throws(() => {
      g1.parent = g1;
    }, /cyclic parent chain/);
    g1.parent = g2;
    g2.parent = g3;
    assert.throws(() => {
      g3.parent = g1;
    }, /cyclic parent chain/);
    assert.equal(g3.parent, getCurrent());
  });

  test('a parent of the wrong type is refused (test_set_parent_wrong_types)', async () => {
    const g = new RawGreenlet(() => switchUp());
    for (const p of [1, {}, '42']) {
      assert.throws(() => {
        g.parent = p as never;
      }, /^TypeError: RawGreenlet: parent must be a greenlet or null, got /);
    }
    await g.switch();
    for (const p of [1, {}, '42']) {
      assert.throws(() => {
        g.parent = p as never;
      }, TypeError);
    }
    await g.switch();
    assert.equal(g.dead, true);
  });

  test('falling off the end starts an unstarted parent with the value (test_falling_off_end_switches_to_unstarted_parent_works)', async () => {
    const parentNeverStarted = new RawGreenlet((x: number) => [x, 24]);
    const child = new RawGreenlet(() => 42, parentNeverStarted);
    assert.deepEqual(await child.switch(), [42, 24]);
  });
});

describe('verdant/greenlet: generators made of switches (test_generator.py)', () => {
  /** greenlet's genlet: each next() switches into the generator, which switches a value back. */
  function generator<A extends unknown[]>(
    fn: (yieldValue: (v: unknown) => Promise<unknown>, ...args: A) => Promise<void>,
  ): (...args: A) => AsyncIterable<unknown> {
    return (...args: A) => ({
      [Symbol.asyncIterator]: () => {
        const g = new RawGreenlet(async () => {
          await fn((v) => (g.parent as RawGreenlet).switch(v), ...args);
        });
        return {
          next: async (): Promise<IteratorResult<unknown>> => {
            g.parent = getCurrent() as RawGreenlet;
            const value = await g.switch();
            return g.dead ? { done: true, value: undefined } : { done: false, value };
          },
        };
      },
    });
  }

  test('values come out in order, three generators in a row (test_generator)', async () => {
    const seen: number[] = [];
    const gen = generator(async (yieldValue, n: number) => {
      for (let i = 0; i < n; i++) {
        seen.push(i);
        await yieldValue(i);
      }
    });
    for (let k = 0; k < 3; k++) {
      for await (const j of gen(5)) seen.push(j as number);
    }
    assert.deepEqual(seen, Array(3).fill([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]).flat());
  });
});

describe('verdant/greenlet: one pending switch per greenlet', () => {
  test('a greenlet suspended in a switch cannot start a second one: it rejects and nothing moves', async () => {
    const a = new RawGreenlet(() => 'a');
    const b = new RawGreenlet(() => 'b');
    const first = a.switch();
    const second = b.switch();
    const third = b.throw();
    await assert.rejects(
      second,
      /^Error: Cannot switch to <RawGreenlet "RawGreenlet-\d+">: <RawGreenlet "main"> is already suspended in a switch \(await it first\)$/,
    );
    await assert.rejects(third, /^Error: Cannot throw into .* is already suspended in a switch/);
    assert.equal(b.started, false, 'b was not started');
    assert.equal(await first, 'a');
    assert.equal(await b.switch(), 'b', 'once the first settled, switching works again');
  });
});

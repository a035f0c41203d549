/**
 * `Local`: greenlet-local storage — each greenlet sees its own properties on the same object.
 *
 * Design note: `new Local()` returns a `Proxy`; every property access goes to the storage of
 * the greenlet running now (main outside any), kept in a `WeakMap` keyed by the greenlet's
 * locals key (core/context.ts), which the greenlet drops when it dies: its values go then, even
 * while the dead greenlet object is still referenced (gevent #387). The creating greenlet's storage is filled by the constructor call itself;
 * for any other greenlet, the first touch constructs a fresh instance of the (sub)class with the
 * same arguments, so field initialisers and the constructor body run once per greenlet, as
 * gevent's `local.__init__` does. A child greenlet does not inherit its spawner's values.
 * Tests: test/sync/local.test.ts (gevent's test__local.py).
 *
 * @module
 */
import { currentFiber, localsKey } from '../core/lowlevel.js';

/** Set while a per-greenlet instance is being constructed: the constructor returns it bare. */
let constructingBare = false;
/**
 * Where the bare instance being constructed goes as soon as `Local`'s constructor made it, so
 * that the subclass's field initialisers and constructor body, if they read the Local, find it
 * (as gevent's `__init__` finds its fresh dict) instead of constructing another, forever.
 */
let registerBare: ((bare: object) => void) | null = null;

/**
 * Storage whose properties are private to each greenlet.
 *
 * Never switches. A property a greenlet never set reads `undefined` (or the value the class's
 * field initialisers and constructor give it: they run once for each greenlet that first touches
 * the object). Subclass constructors take no parameters or forward them with `super(...args)`.
 * @throws TypeError from `new Local(x)`: arguments are for a subclass's constructor (gevent's
 *   `local(x)` raises TypeError too)
 *
 * Source: `gevent.local.local` (`test__local.py`).
 * @example
 * ```ts
 * import { Local, spawn } from 'verdant';
 * const ctx = new Local() as Local & { user?: string };
 * spawn(() => { ctx.user = 'a'; });
 * spawn(() => console.log(ctx.user)); // undefined: another greenlet
 * ```
 */
export class Local {
  constructor(...args: unknown[]) {
    if (constructingBare) {
      constructingBare = false;
      const register = registerBare;
      registerBare = null;
      register?.(this);
      // biome-ignore lint/correctness/noConstructorReturn: a bare per-greenlet instance
      return this;
    }
    const ctor = new.target;
    if (ctor === Local && args.length > 0) {
      // gevent: local('foo') raises TypeError('Initialization arguments are not supported');
      // verdant dropped them silently. A subclass's constructor may take arguments.
      throw new TypeError(
        `new Local() takes no arguments, got ${args.length}: initialization arguments are for a subclass's constructor`,
      );
    }
    // Keyed by the fiber's locals key, which a greenlet drops when it dies: its values go with
    // it even while the dead greenlet object is still referenced (gevent #387).
    const stores = new WeakMap<object, object>();
    stores.set(localsKey(currentFiber()), this);
    const storeFor = (): object => {
      const key = localsKey(currentFiber());
      let s = stores.get(key);
      if (s === undefined) {
        constructingBare = true;
        registerBare = (bare) => stores.set(key, bare);
        try {
          s = Reflect.construct(ctor, args) as object;
        } catch (e) {
          stores.delete(key); // a constructor that throws leaves no half-made storage
          throw e;
        } finally {
          constructingBare = false;
          registerBare = null;
        }
        stores.set(key, s);
      }
      return s;
    };
    const proxy = new Proxy(this, {
      get: (_t, key, receiver) => Reflect.get(storeFor(), key, receiver),
      set: (_t, key, value) => Reflect.set(storeFor(), key, value),
      has: (_t, key) => Reflect.has(storeFor(), key),
      deleteProperty: (_t, key) => Reflect.deleteProperty(storeFor(), key),
      ownKeys: () => Reflect.ownKeys(storeFor()),
      getOwnPropertyDescriptor: (_t, key) => {
        const d = Reflect.getOwnPropertyDescriptor(storeFor(), key);
        if (d !== undefined) d.configurable = true;
        return d;
      },
      defineProperty: (_t, key, desc) => Reflect.defineProperty(storeFor(), key, desc),
    });
    // biome-ignore lint/correctness/noConstructorReturn: the proxy is the object users hold
    return proxy;
  }
}

/**
 * Shorthand for `new Local()`, typed with the properties you will store. Never switches.
 * @example
 * ```ts
 * import { local, spawn } from 'verdant';
 * const ctx = local<{ requestId: string }>();
 * spawn(() => { ctx.requestId = 'r1'; console.log(ctx.requestId); }); // 'r1', this greenlet only
 * ```
 */
export function local<T extends object = Record<string, unknown>>(): Local & Partial<T> {
  return new Local() as Local & Partial<T>;
}

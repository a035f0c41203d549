// A Group whose spawn throws the first `failures` times (gevent's test__server.py
// test_error_in_spawn), shared by the StreamServer and DatagramServer tests.
import { type Greenlet, Group } from '../../src/index.js';

export class FlakyGroup extends Group {
  failures = 1;
  override spawn<R, A extends unknown[]>(
    fn: (...args: A) => R | PromiseLike<R>,
    ...args: A
  ): Promise<Greenlet<Awaited<R>>> {
    if (this.failures-- > 0) throw new Error('test_error_in_spawn');
    return super.spawn(fn, ...args);
  }
}

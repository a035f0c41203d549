/**
 * Actors: a `Greenlet` subclass with an inbox `Queue`; its `run()` loops over the messages it
 * receives. Two actors play ping-pong.
 *
 * Ported from seed 000 (the tutorial's "Actors": `Actor`, `Pinger`, `Ponger`). gevent 22.10
 * prints `start`, then `ping` and `pong` alternately, forever.
 *
 * Deviations from the seed:
 * - The seed never stops. Here main stops the actors: it waits until they received ten messages
 *   (an Event they set), then kills both. The output is `start` and ten alternating
 *   `ping`/`pong`: the pong already in the Pinger's inbox is taken before main resumes.
 * - `_run` is `protected run()`; `receive` is abstract (the seed's `raise NotImplemented()` is
 *   itself a bug: `NotImplemented` is not callable).
 *
 * Run: node dist/examples/actor.js
 */
import { pathToFileURL } from 'node:url';
import { Event, Greenlet, killAll, Queue, sleep } from '../src/index.js';

abstract class Actor extends Greenlet<void> {
  readonly inbox = new Queue<string>();
  running = false;

  /** Define in your subclass. */
  protected abstract receive(message: string): Promise<void>;

  protected override async run(): Promise<void> {
    this.running = true;
    while (this.running) {
      const message = await this.inbox.get();
      await this.receive(message);
    }
  }
}

export async function main(): Promise<void> {
  const tenMessages = new Event();
  let received = 0;
  const count = (): void => {
    if (++received === 10) tenMessages.set();
  };

  class Pinger extends Actor {
    protected override async receive(message: string): Promise<void> {
      console.log(message);
      count();
      await pong.inbox.put('ping');
      await sleep(0);
    }
  }

  class Ponger extends Actor {
    protected override async receive(message: string): Promise<void> {
      console.log(message);
      count();
      await ping.inbox.put('pong');
      await sleep(0);
    }
  }

  const ping = new Pinger();
  const pong = new Ponger();

  ping.start();
  pong.start();

  await ping.inbox.put('start');
  await tenMessages.wait(); // the seed: gevent.joinall([ping, pong]), forever
  await killAll([ping, pong]);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

/**
 * ZeroMQ request/reply between two greenlets: the tutorial's `zmq.green` sample with the
 * `zeromq` package. Each send and receive is a verdant wait (`until` over zeromq's promise), so
 * the two greenlets switch at every message, and a kill or `Timeout` lands there.
 *
 * Ported from seed 000 ("Gevent ZeroMQ"). Deviations: over `inproc://` (one process, no port)
 * instead of tcp://127.0.0.1:5000; `GreenSocket` below plays `zmq.green`'s part, and keeps a
 * receive that was interrupted for the next `receive()`, so no message is lost; messages are
 * printed as strings.
 *
 * Run: node dist/examples/zmq-green.js
 */
import { pathToFileURL } from 'node:url';
import * as zmq from 'zeromq';
import { joinAll, spawn, until, type WaitOptions } from '../src/index.js';

/** A zeromq socket whose send/receive are verdant waits. */
export class GreenSocket {
  readonly socket: zmq.Request | zmq.Reply;
  #receiving: Promise<Buffer[]> | null = null;

  constructor(socket: zmq.Request | zmq.Reply) {
    this.socket = socket;
  }

  /** Receive a message. A kill or `Timeout` here leaves it for the next call: nothing lost. */
  async receive(opts?: WaitOptions | number): Promise<string> {
    this.#receiving ??= this.socket.receive();
    const frames = await until(this.#receiving, opts);
    this.#receiving = null;
    return frames.map((f) => f.toString()).join('');
  }

  async send(message: string, opts?: WaitOptions | number): Promise<void> {
    await until(this.socket.send(message), opts);
  }

  close(): void {
    this.socket.close();
  }
}

export async function main(endpoint = 'inproc://verdant-zmq-green'): Promise<void> {
  const serverSocket = new GreenSocket(new zmq.Request());
  await until(serverSocket.socket.bind(endpoint));
  const clientSocket = new GreenSocket(new zmq.Reply());
  clientSocket.socket.connect(endpoint);

  const server = spawn(async () => {
    for (let request = 1; request < 10; request++) {
      await serverSocket.send('Hello');
      console.log(`Switched to Server for ${request}`);
      await serverSocket.receive(); // implicit context switch here
    }
  });
  const client = spawn(async () => {
    for (let request = 1; request < 10; request++) {
      await clientSocket.receive();
      console.log(`Switched to Client for ${request}`);
      await clientSocket.send('World'); // implicit context switch here
    }
  });
  try {
    await joinAll([server, client], { raiseError: true });
  } finally {
    serverSocket.close();
    clientSocket.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

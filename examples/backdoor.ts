/**
 * The backdoor: a REPL inside the running program, served over TCP. The seed's sample, with a
 * client greenlet that types two lines instead of a person with telnet.
 *
 * Ported from seed 000 ("示例:后门程序", gevent.backdoor). Deviations: JavaScript instead of
 * Python in the REPL; port 0 (any free port) instead of 5001 so the example never collides; the
 * client is part of the program. Run as a program it serves until Ctrl-C: `nc 127.0.0.1 <port>`.
 *
 * Run: node dist/examples/backdoor.js
 */
import { pathToFileURL } from 'node:url';
import { sleep } from '../src/index.js';
import { createConnection } from '../src/io/socket.js';
import { BackdoorServer } from '../src/tools/backdoor.js';

export async function main(serve = false): Promise<void> {
  const server = new BackdoorServer(['127.0.0.1', serve ? 5001 : 0], {
    banner: 'Hello from verdant backdoor!',
    locals: { foo: 'From defined scope!', sleep },
  });
  await server.start();
  if (serve) {
    console.log(`nc 127.0.0.1 ${server.serverPort}`);
    await server.serveForever();
    return;
  }
  try {
    const sock = await createConnection(['127.0.0.1', server.serverPort as number]);
    await sock.sendall('foo\nawait sleep(10), 6 * 7\n');
    sock.shutdown('write');
    let text = '';
    for (;;) {
      const chunk = await sock.recv(4096); // empty once the server ends the session after our EOF
      if (chunk.length === 0) break;
      text += new TextDecoder().decode(chunk);
    }
    sock.close();
    for (const line of text.trimEnd().split('\n')) console.log(line);
  } finally {
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(true);

/**
 * DNS over verdant UDP sockets for the DNS examples: one query with `dns-packet`, and a small
 * authoritative test server that answers `A` queries from a table. Not an example itself.
 */
import * as packet from 'dns-packet';
import { Socket } from '../src/io/socket.js';
import { DatagramServer } from '../src/servers/index.js';

let nextId = 1;

/**
 * Ask `server` for the A records of `name`; resolves the addresses (empty when none). A verdant
 * wait: kill and Timeout land there; `timeout` (ms) rejects with SocketTimeout.
 */
export async function queryA(
  name: string,
  server: [string, number],
  timeout = 30_000,
): Promise<string[]> {
  const sock = new Socket({ type: 'udp4' });
  try {
    const id = nextId++ & 0xffff;
    await sock.sendto(
      packet.encode({
        type: 'query',
        id,
        flags: packet.RECURSION_DESIRED,
        questions: [{ type: 'A', name }],
      }),
      server,
    );
    for (;;) {
      const [data] = await sock.recvfrom(4096, { timeout });
      const res = packet.decode(Buffer.from(data));
      if (res.id !== id) continue;
      return (res.answers ?? [])
        .filter((a) => a.type === 'A')
        .map((a) => String((a as { data: unknown }).data));
    }
  } finally {
    sock.close();
  }
}

/** A DatagramServer answering A queries from `table` (NXDOMAIN otherwise); counts queries. */
export function tableServer(
  table: (name: string) => string | null,
): DatagramServer & { queries: number } {
  const server = new DatagramServer(['127.0.0.1', 0], async (data, address) => {
    const q = packet.decode(Buffer.from(data));
    s.queries++;
    const question = q.questions?.[0];
    const ip = question === undefined ? null : table(question.name);
    const answer = packet.encode({
      type: 'response',
      id: q.id,
      flags: packet.AUTHORITATIVE_ANSWER | (ip === null ? 3 : 0),
      questions: q.questions,
      answers:
        ip === null || question === undefined
          ? []
          : [{ type: 'A', name: question.name, ttl: 60, data: ip }],
    });
    await s.sendto(answer, address);
  }) as DatagramServer & { queries: number };
  const s = server;
  s.queries = 0;
  return s;
}

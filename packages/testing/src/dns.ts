import dns2 from 'dns2';
import { freePort } from './net';

/**
 * A real authoritative DNS server (dns2, UDP on loopback) answering TXT questions from `records`
 * (name → strings) and NXDOMAIN for everything else: what domain-ownership proofs are checked
 * against in tests.
 */
export async function startDnsServer() {
  const records = new Map<string, string[]>();
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = dns2.Packet.createResponseFromRequest(request);
      const [question] = request.questions;
      const answers = question ? records.get(question.name.toLowerCase()) : undefined;
      if (!question || !answers) response.header.rcode = 3; // NXDOMAIN
      // dns2's typings want a Resource instance; its TXT encoder reads only these fields.
      else for (const data of answers) response.answers.push({ name: question.name, type: dns2.Packet.TYPE.TXT, class: dns2.Packet.CLASS.IN, ttl: 1, data } as unknown as dns2.Packet.Resource);
      send(response);
    },
  });
  const port = await freePort();
  await server.listen({ udp: { port, address: '127.0.0.1' } });
  return { address: `127.0.0.1:${port}`, records, close: () => server.close() };
}

export type DnsServer = Awaited<ReturnType<typeof startDnsServer>>;

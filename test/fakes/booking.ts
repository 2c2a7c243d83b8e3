// A booking system for tests, on a free local port: takes NDJSON batches of invited people at POST /,
// keeps each id once (a repeat is dropped, as a real receiver would), and can be made to fail.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeBooking {
  url: string;
  apiKey: string;
  /** Each invited person by the hand-off's id, first delivery kept. */
  invited: Map<string, Record<string, unknown>>;
  /** Lines received, repeats included. */
  lines: number;
  /** Answer every request with this status while set. */
  down?: number;
  close(): Promise<void>;
}

export async function startFakeBooking(): Promise<FakeBooking> {
  const server: Server = createServer((request, response) => {
    void (async () => {
      const answer = (status: number) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ status }));
      };
      if (fake.down) return answer(fake.down);
      if (request.headers.authorization !== `Bearer ${fake.apiKey}`) return answer(401);
      if (request.method !== 'POST' || request.headers['content-type'] !== 'application/x-ndjson')
        return answer(415);
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      for (const line of Buffer.concat(chunks).toString().split('\n').filter(Boolean)) {
        const entry = JSON.parse(line) as { id: string };
        fake.lines++;
        if (!fake.invited.has(entry.id)) fake.invited.set(entry.id, entry);
      }
      answer(202);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const fake: FakeBooking = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    apiKey: 'booking-test-key',
    invited: new Map(),
    lines: 0,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return fake;
}

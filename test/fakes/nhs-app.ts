// An NHS App messaging API for tests, on a free local port: people it knows receive messages, others
// are 404; a message's status can be set by the test.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeNhsApp {
  url: string;
  /** NHS numbers registered and opted into notifications. */
  registered: Set<string>;
  messages: { id: string; nhsNumber: string; templateId: string; reference: string; status: string }[];
  /** Answer every request with this status while set. */
  down?: number;
  close(): Promise<void>;
}

export async function startFakeNhsApp(): Promise<FakeNhsApp> {
  const server: Server = createServer((request, response) => {
    const answer = (status: number, payload: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(payload));
    };
    void (async () => {
      if (fake.down) return answer(fake.down, { error: 'down' });
      if (request.method === 'POST' && request.url === '/messages') {
        const chunks: Buffer[] = [];
        for await (const chunk of request) chunks.push(chunk as Buffer);
        const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, string>;
        if (!fake.registered.has(body.nhsNumber ?? '')) return answer(404, { error: 'not-registered' });
        const message = {
          id: randomUUID(),
          nhsNumber: body.nhsNumber!,
          templateId: body.templateId!,
          reference: body.reference!,
          status: 'delivered',
        };
        fake.messages.push(message);
        return answer(201, { id: message.id });
      }
      const found = fake.messages.find((m) => request.url === `/messages/${m.id}`);
      return found ? answer(200, { id: found.id, status: found.status }) : answer(404, { error: 'unknown' });
    })();
  });
  const fake: FakeNhsApp = {
    url: '',
    registered: new Set(),
    messages: [],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

// A mailing house for tests, on a free local port: takes batch files by PUT /{file} (NDJSON letters,
// with their count and SHA-256 digest in headers), keeps each letter once by its reference, and can be
// made to fail.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeMailingHouse {
  url: string;
  apiKey: string;
  /** Batch files taken, by name. */
  files: Map<string, Record<string, unknown>[]>;
  /** Each letter by its reference, first copy kept. */
  letters: Map<string, Record<string, unknown>>;
  /** Answer every request with this status while set. */
  down?: number;
  close(): Promise<void>;
}

export async function startFakeMailingHouse(): Promise<FakeMailingHouse> {
  const server: Server = createServer((request, response) => {
    void (async () => {
      const answer = (status: number) => {
        response.writeHead(status);
        response.end();
      };
      if (fake.down) return answer(fake.down);
      if (request.headers.authorization !== `Bearer ${fake.apiKey}`) return answer(401);
      const name = /^\/(nims-letters-[\w.-]+\.jsonl)$/.exec(request.url ?? '')?.[1];
      if (request.method !== 'PUT' || !name) return answer(404);
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const data = Buffer.concat(chunks);
      const digest = `sha-256=:${createHash('sha256').update(data).digest('base64')}:`;
      if (request.headers['content-digest'] !== digest) return answer(400);
      const letters = data
        .toString()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      if (letters.length !== Number(request.headers['x-letter-count'])) return answer(400);
      fake.files.set(name, letters);
      for (const letter of letters)
        if (!fake.letters.has(String(letter.reference))) fake.letters.set(String(letter.reference), letter);
      answer(201);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const fake: FakeMailingHouse = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    apiKey: 'mailing-test-key',
    files: new Map(),
    letters: new Map(),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return fake;
}

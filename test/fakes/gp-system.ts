// A GP practice's system for tests, on a free local port: a FHIR endpoint taking vaccination messages at
// POST /fhir/$process-message, keeping each message id once (a repeat is dropped, as the message id is
// there for), and able to be down.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Bundle } from 'fhir/r4';

export interface FakeGpSystem {
  /** Its FHIR base URL: the Endpoint address. */
  url: string;
  /** Messages taken, first copies, in the order they came. */
  messages: Bundle[];
  /** Deliveries, repeats included. */
  deliveries: number;
  /** Requests answered with `down`. */
  refused: number;
  /** Daily batches taken. */
  batches: Bundle[];
  /** Answer every request with this status while set. */
  down?: number;
  close(): Promise<void>;
}

export async function startFakeGpSystem(): Promise<FakeGpSystem> {
  const server: Server = createServer((request, response) => {
    void (async () => {
      const answer = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/fhir+json' });
        response.end(JSON.stringify(body));
      };
      if (fake.down) {
        fake.refused++;
        return answer(fake.down, {
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'error', code: 'transient' }],
        });
      }
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const take = (bundle: Bundle) => {
        fake.deliveries++;
        if (!fake.messages.some((m) => m.id === bundle.id)) fake.messages.push(bundle);
      };
      // a day's batch: each entry a message for $process-message
      if (request.method === 'POST' && (request.url === '/fhir' || request.url === '/fhir/')) {
        const batch = JSON.parse(Buffer.concat(chunks).toString()) as Bundle;
        fake.batches.push(batch);
        for (const entry of batch.entry ?? []) take(entry.resource as Bundle);
        return answer(200, {
          resourceType: 'Bundle',
          type: 'batch-response',
          entry: (batch.entry ?? []).map(() => ({ response: { status: '200 OK' } })),
        });
      }
      if (request.method !== 'POST' || request.url !== '/fhir/$process-message')
        return answer(404, {
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'error', code: 'not-found' }],
        });
      const bundle = JSON.parse(Buffer.concat(chunks).toString()) as Bundle;
      take(bundle);
      answer(200, {
        resourceType: 'Bundle',
        type: 'message',
        entry: [
          { resource: { resourceType: 'MessageHeader', response: { identifier: bundle.id, code: 'ok' } } },
        ],
      });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const fake: FakeGpSystem = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`,
    messages: [],
    deliveries: 0,
    refused: 0,
    batches: [],
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return fake;
}

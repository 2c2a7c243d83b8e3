// A GP practice's system for tests, on a free local port: a FHIR endpoint taking vaccination messages at
// POST /fhir/$process-message, keeping each message id once (a repeat is dropped, as the message id is
// there for), and able to be down.
import { createServer } from 'node:http';
export async function startFakeGpSystem() {
    const server = createServer((request, response) => {
        void (async () => {
            const answer = (status, body) => {
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
            const chunks = [];
            for await (const chunk of request)
                chunks.push(chunk);
            const take = (bundle) => {
                fake.deliveries++;
                if (!fake.messages.some((m) => m.id === bundle.id))
                    fake.messages.push(bundle);
            };
            // a day's batch: each entry a message for $process-message
            if (request.method === 'POST' && (request.url === '/fhir' || request.url === '/fhir/')) {
                const batch = JSON.parse(Buffer.concat(chunks).toString());
                fake.batches.push(batch);
                for (const entry of batch.entry ?? [])
                    take(entry.resource);
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
            const bundle = JSON.parse(Buffer.concat(chunks).toString());
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
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fake = {
        url: `http://127.0.0.1:${server.address().port}/fhir`,
        messages: [],
        deliveries: 0,
        refused: 0,
        batches: [],
        close: () => new Promise((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
        }),
    };
    return fake;
}
//# sourceMappingURL=gp-system.js.map
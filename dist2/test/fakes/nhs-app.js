// An NHS App messaging API for tests, on a free local port: people it knows receive messages, others
// are 404; a message's status can be set by the test.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
export async function startFakeNhsApp() {
    const server = createServer((request, response) => {
        const answer = (status, payload) => {
            response.writeHead(status, { 'content-type': 'application/json' });
            response.end(JSON.stringify(payload));
        };
        void (async () => {
            if (fake.down)
                return answer(fake.down, { error: 'down' });
            if (request.method === 'POST' && request.url === '/messages') {
                const chunks = [];
                for await (const chunk of request)
                    chunks.push(chunk);
                const body = JSON.parse(Buffer.concat(chunks).toString());
                if (!fake.registered.has(body.nhsNumber ?? ''))
                    return answer(404, { error: 'not-registered' });
                const message = {
                    id: randomUUID(),
                    nhsNumber: body.nhsNumber,
                    templateId: body.templateId,
                    reference: body.reference,
                    status: 'delivered',
                };
                fake.messages.push(message);
                return answer(201, { id: message.id });
            }
            const found = fake.messages.find((m) => request.url === `/messages/${m.id}`);
            return found ? answer(200, { id: found.id, status: found.status }) : answer(404, { error: 'unknown' });
        })();
    });
    const fake = {
        url: '',
        registered: new Set(),
        messages: [],
        close: () => new Promise((resolve) => server.close(() => resolve())),
    };
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${server.address().port}`;
    return fake;
}
//# sourceMappingURL=nhs-app.js.map
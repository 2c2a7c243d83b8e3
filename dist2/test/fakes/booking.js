// A booking system for tests, on a free local port: takes NDJSON batches of invited people at POST /,
// keeps each id once (a repeat is dropped, as a real receiver would), and can be made to fail.
import { createServer } from 'node:http';
export async function startFakeBooking() {
    const server = createServer((request, response) => {
        void (async () => {
            const answer = (status) => {
                response.writeHead(status, { 'content-type': 'application/json' });
                response.end(JSON.stringify({ status }));
            };
            if (fake.down)
                return answer(fake.down);
            if (request.headers.authorization !== `Bearer ${fake.apiKey}`)
                return answer(401);
            if (request.method !== 'POST' || request.headers['content-type'] !== 'application/x-ndjson')
                return answer(415);
            const chunks = [];
            for await (const chunk of request)
                chunks.push(chunk);
            for (const line of Buffer.concat(chunks).toString().split('\n').filter(Boolean)) {
                const entry = JSON.parse(line);
                fake.lines++;
                if (!fake.invited.has(entry.id))
                    fake.invited.set(entry.id, entry);
            }
            answer(202);
        })();
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fake = {
        url: `http://127.0.0.1:${server.address().port}/`,
        apiKey: 'booking-test-key',
        invited: new Map(),
        lines: 0,
        close: () => new Promise((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
        }),
    };
    return fake;
}
//# sourceMappingURL=booking.js.map
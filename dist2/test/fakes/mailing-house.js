// A mailing house for tests, on a free local port: takes batch files by PUT /{file} (NDJSON letters,
// with their count and SHA-256 digest in headers), keeps each letter once by its reference, and can be
// made to fail.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
export async function startFakeMailingHouse() {
    const server = createServer((request, response) => {
        void (async () => {
            const answer = (status) => {
                response.writeHead(status);
                response.end();
            };
            if (fake.down)
                return answer(fake.down);
            if (request.headers.authorization !== `Bearer ${fake.apiKey}`)
                return answer(401);
            const name = /^\/(nims-letters-[\w.-]+\.jsonl)$/.exec(request.url ?? '')?.[1];
            if (request.method !== 'PUT' || !name)
                return answer(404);
            const chunks = [];
            for await (const chunk of request)
                chunks.push(chunk);
            const data = Buffer.concat(chunks);
            const digest = `sha-256=:${createHash('sha256').update(data).digest('base64')}:`;
            if (request.headers['content-digest'] !== digest)
                return answer(400);
            const letters = data
                .toString()
                .split('\n')
                .filter(Boolean)
                .map((line) => JSON.parse(line));
            if (letters.length !== Number(request.headers['x-letter-count']))
                return answer(400);
            fake.files.set(name, letters);
            for (const letter of letters)
                if (!fake.letters.has(String(letter.reference)))
                    fake.letters.set(String(letter.reference), letter);
            answer(201);
        })();
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fake = {
        url: `http://127.0.0.1:${server.address().port}`,
        apiKey: 'mailing-test-key',
        files: new Map(),
        letters: new Map(),
        close: () => new Promise((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
        }),
    };
    return fake;
}
//# sourceMappingURL=mailing-house.js.map
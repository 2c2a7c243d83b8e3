// The GP practices' systems for bench/gp-fanout, as one process of its own (so their work is not the
// sender's): every practice is `POST /gp/{ods}/fhir` (a daily batch) and `/gp/{ods}/fhir/$process-message`
// (one message), each parsing what it gets as a real system would, keeping each message id once and, for
// single messages, how late each came (now minus the message's timestamp). `GET /stats` answers the
// counts. The port is printed on stdout once listening.
import { createServer } from 'node:http';
const seen = new Set();
const batchesOf = new Map();
const lateness = [];
let messages = 0;
let batches = 0;
const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
        const answer = (status, body) => {
            response.writeHead(status, { 'content-type': 'application/fhir+json' });
            response.end(JSON.stringify(body));
        };
        if (request.method === 'GET' && request.url === '/stats') {
            const sorted = [...lateness].sort((a, b) => a - b);
            const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
            return answer(200, {
                messages,
                distinct: seen.size,
                batches,
                practices: batchesOf.size,
                practicesWithOneBatch: [...batchesOf.values()].filter((n) => n === 1).length,
                lateMs: { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0 },
            });
        }
        const match = /^\/gp\/([A-Za-z0-9]+)\/fhir\/?(\$process-message)?$/.exec(request.url ?? '');
        if (request.method !== 'POST' || !match)
            return answer(404, { resourceType: 'OperationOutcome' });
        const bundle = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const take = (message) => {
            messages++;
            seen.add(message.id);
        };
        if (match[2]) {
            take(bundle);
            lateness.push(Date.now() - Date.parse(bundle.timestamp));
            return answer(200, { resourceType: 'Bundle', type: 'message' });
        }
        batches++;
        batchesOf.set(match[1], (batchesOf.get(match[1]) ?? 0) + 1);
        for (const entry of bundle.entry ?? [])
            take(entry.resource);
        answer(200, {
            resourceType: 'Bundle',
            type: 'batch-response',
            entry: (bundle.entry ?? []).map(() => ({ response: { status: '200 OK' } })),
        });
    });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => console.log(String(server.address().port)));
//# sourceMappingURL=gp-receiver.js.map
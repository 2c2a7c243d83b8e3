import { MongoClient } from 'mongodb';
import { patient } from '../fixtures/records.js';
import { NHS_NUMBER_SYSTEM } from '../src/shared/nhs-number.js';
import { cannon, closedLoop, progress, record, startServerProcess, table, withDatabase, } from './support.js';
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const preload = Number(process.env.BENCH_PATIENTS ?? 20_000);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const load = { connections, seconds };
const BATCH = 500;
async function main() {
    await withDatabase('nims-bench-', async (database, atEnd) => {
        const server = await startServerProcess(database.uri);
        const mongo = new MongoClient(database.uri, { maxPoolSize: connections });
        const raw = mongo.db('bench_raw').collection('Patient');
        atEnd(() => server.stop());
        atEnd(() => mongo.close());
        // the same population for both: through the server as transactions, and raw as insertMany keyed by NHS number
        const ids = [];
        const numbers = [];
        for (let start = 0; start < preload; start += BATCH) {
            const people = Array.from({ length: Math.min(BATCH, preload - start) }, (_, i) => patient(start + i, 7));
            const bundle = {
                resourceType: 'Bundle',
                type: 'transaction',
                entry: people.map((p) => ({ resource: p, request: { method: 'POST', url: 'Patient' } })),
            };
            const response = await fetch(server.url, {
                method: 'POST',
                headers: { 'content-type': 'application/fhir+json' },
                body: JSON.stringify(bundle),
            });
            if (!response.ok)
                throw new Error(`preload failed: ${response.status}`);
            const answer = (await response.json());
            ids.push(...answer.entry.map((e) => e.resource.id));
            numbers.push(...people.map((p) => p.identifier[0].value));
            await raw.insertMany(people.map((p) => ({ ...p, _id: p.identifier[0].value })));
            progress('preloading patients', ids.length, preload);
        }
        const pick = (items) => items[Math.floor(Math.random() * items.length)];
        let serial = 1_000_000;
        const fresh = () => patient(serial++, 7);
        const results = [];
        console.log(`measuring, ${seconds} s each, ${connections} concurrent clients`);
        results.push(await closedLoop('raw driver: insertOne', connections, seconds, () => {
            const p = fresh();
            return raw.insertOne({ ...p, _id: p.identifier[0].value });
        }));
        results.push(await cannon('server: POST /Patient', server.url, load, () => ({
            method: 'POST',
            path: '/fhir/Patient',
            body: JSON.stringify(fresh()),
        })));
        results.push(await closedLoop('raw driver: findOne by _id', connections, seconds, () => raw.findOne({ _id: pick(numbers) })));
        results.push(await cannon('server: GET /Patient/{id}', server.url, load, () => ({
            method: 'GET',
            path: `/fhir/Patient/${pick(ids)}`,
        })));
        results.push(await closedLoop('raw driver: findOne by NHS number as _id', connections, seconds, () => raw.findOne({ _id: pick(numbers) })));
        results.push(await cannon('server: GET /Patient?identifier={NHS number}', server.url, load, () => ({
            method: 'GET',
            path: `/fhir/Patient?identifier=${encodeURIComponent(`${NHS_NUMBER_SYSTEM}|${pick(numbers)}`)}`,
        })));
        results.push(await closedLoop('raw driver: find by identifier.value (no key)', Math.min(connections, 4), Math.min(seconds, 5), () => raw.findOne({ 'identifier.value': pick(numbers) })));
        console.log(table(results).join('\n'));
        const ratio = (a, b) => `${((results[a].requestsPerSecond / results[b].requestsPerSecond) * 100).toFixed(0)}%`;
        const summary = [
            `Preloaded ${preload} patients; ${seconds} s per workload; ${connections} concurrent clients; embedded FerretDB 1.24.2 over SQLite.`,
            '',
            ...table(results),
            '',
            `Server as a share of the raw driver: create ${ratio(1, 0)}, read ${ratio(3, 2)}, search by NHS number ${ratio(5, 4)}.`,
            `The last row is what a search by NHS number costs without a key (FerretDB scans the collection).`,
        ];
        record('bench/crud', summary);
        console.log(summary.slice(-2).join('\n'));
    });
}
await main();
//# sourceMappingURL=crud.js.map
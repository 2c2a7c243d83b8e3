// bench/status: how long the point of care waits for a person's immunisation status and forecast
// (`Patient/$immunization-status` by NHS number), one request at a time, over BENCH_PEOPLE generated people
// and their vaccinations on the embedded FerretDB; beside the baseline in the same run, the two plain
// searches a client would make instead (the person by NHS number, then their Immunizations).
// Run: npm run bench:status
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { syntheticGeography, syntheticImmunizations, syntheticPerson } from '../fixtures/population.js';
import { NHS_NUMBER_SYSTEM } from '../src/shared/nhs-number.js';
import { BulkWriter, commandsPer, databaseCommands, progress, record, startServerProcess, untilIndexed, withDatabase, } from './support.js';
const people = Number(process.env.BENCH_PEOPLE ?? 20_000);
const LOOKUPS = 1000;
const today = new Date('2026-11-25T00:00:00Z');
/** p50 and p99 of `ask` for each of the people, one at a time (after a first round to warm up). */
async function latencies(ask, sample) {
    for (const person of sample.slice(0, 50))
        await ask(person);
    const times = [];
    for (const person of sample) {
        const started = performance.now();
        await ask(person);
        times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    return { p50: times[Math.floor(times.length / 2)], p99: times[Math.floor(times.length * 0.99)] };
}
async function main() {
    const geography = syntheticGeography();
    const options = { seed: 9, today, geography };
    await withDatabase('nims-bench-status-', async (database, atEnd) => {
        const mongo = new MongoClient(database.uri);
        atEnd(() => mongo.close());
        const writer = new BulkWriter(mongo.db('nims'));
        const everyone = [];
        for (let start = 0; start < people; start += 2000) {
            const batch = Array.from({ length: Math.min(2000, people - start) }, (_, k) => ({
                ...syntheticPerson(start + k, options),
                id: randomUUID(),
            }));
            await writer.write('Patient', batch);
            await writer.write('Immunization', batch.flatMap((p, k) => syntheticImmunizations(p, start + k, options).map((r) => ({
                ...r,
                id: randomUUID(),
                patient: { reference: `Patient/${p.id}` },
            }))));
            everyone.push(...batch);
            progress('writing people and vaccinations', start + batch.length, people);
        }
        const server = await startServerProcess(database.uri);
        atEnd(() => server.stop());
        await untilIndexed(server.url);
        const sample = Array.from({ length: LOOKUPS }, (_, i) => everyone[(i * 7919) % everyone.length]);
        const nhsNumber = (p) => p.identifier[0].value;
        const get = async (path) => {
            const response = await fetch(`${server.url}${path}`);
            if (!response.ok)
                throw new Error(`${path}: ${response.status}`);
            return (await response.json());
        };
        let commands = await databaseCommands(server.url);
        /** The database commands a lookup took since the last call (warm-up lookups included). */
        const commandsSince = async () => {
            const now = await databaseCommands(server.url);
            const per = commandsPer(commands, now, LOOKUPS + 50);
            commands = now;
            return per;
        };
        const status = await latencies(async (p) => {
            await get(`/Patient/$immunization-status?nhs-number=${nhsNumber(p)}&date=2026-11-25`);
        }, sample);
        const statusCommands = await commandsSince();
        const searches = await latencies(async (p) => {
            const found = await get(`/Patient?identifier=${encodeURIComponent(`${NHS_NUMBER_SYSTEM}|${nhsNumber(p)}`)}`);
            await get(`/Immunization?patient=Patient/${found.entry[0].resource.id}`);
        }, sample);
        const searchCommands = await commandsSince();
        const summary = [
            `${people.toLocaleString('en-GB')} generated people and their vaccinations on the embedded FerretDB 1.24.2; ${LOOKUPS} people looked up one request at a time (after 50 to warm up), server without auth and audit.`,
            '',
            '| lookup by NHS number | p50 ms | p99 ms |',
            '|---|---:|---:|',
            `| **\`Patient/$immunization-status\`: doses, reactions, refusals and forecast per programme** | **${status.p50.toFixed(1)}** | **${status.p99.toFixed(1)}** |`,
            `| baseline: \`Patient?identifier=\` then \`Immunization?patient=\` (two requests, no forecast) | ${searches.p50.toFixed(1)} | ${searches.p99.toFixed(1)} |`,
            '',
            `Database commands a lookup (the server's whole work meanwhile): status ${statusCommands}; baseline ${searchCommands}. The baseline's people were looked up by the status requests just before (the server remembers who holds an NHS number).`,
        ];
        console.log(summary.join('\n'));
        record('bench/status', summary);
    });
}
await main();
//# sourceMappingURL=status.js.map
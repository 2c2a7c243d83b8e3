// bench/load: the register load (Patient/$load, NDJSON in requests of 20,000 lines) of generated people
// into an empty store, the same file again (every person unchanged), and the raw mongodb driver's
// insertMany of the same people into the same FerretDB as the baseline, in one run. Then the server is
// started again on the loaded register and timed until its cohort index is built (until Patient/$cohort
// answers), against the raw driver reading the same collection.
// Run: npm run bench:load   (BENCH_PEOPLE to change the size)
import { MongoClient } from 'mongodb';
import { patient } from '../fixtures/records.js';
import { cpuSeconds, progress, record, startServerProcess, withDatabase } from './support.js';
const people = Number(process.env.BENCH_PEOPLE ?? 100_000);
const PER_REQUEST = 20_000;
const RAW_BATCH = 1000;
/** The database the server uses by default. */
const DATABASE = 'nims';
let pids = {};
async function timed(label, run) {
    const cpu = () => [cpuSeconds(pids.server), cpuSeconds(pids.database)];
    const [server, database] = cpu();
    const started = performance.now();
    await run();
    const [serverAfter, databaseAfter] = cpu();
    return {
        label,
        seconds: (performance.now() - started) / 1000,
        serverCpu: serverAfter - server,
        databaseCpu: databaseAfter - database,
    };
}
async function main() {
    await withDatabase('nims-bench-load-', async (database, atEnd) => {
        let server = await startServerProcess(database.uri);
        const mongo = new MongoClient(database.uri);
        pids = {
            ...(server.process.pid ? { server: server.process.pid } : {}),
            ...(database.pid ? { database: database.pid } : {}),
        };
        atEnd(() => server.stop());
        atEnd(() => mongo.close());
        const lines = Array.from({ length: people }, (_, i) => JSON.stringify(patient(i, 5)));
        const load = (label, expect) => timed(label, async () => {
            for (let start = 0; start < people; start += PER_REQUEST) {
                const response = await fetch(`${server.url}/Patient/$load`, {
                    method: 'POST',
                    headers: { 'content-type': 'application/fhir+ndjson' },
                    body: lines.slice(start, start + PER_REQUEST).join('\n'),
                });
                const answer = (await response.json());
                const count = answer.parameter?.find((p) => p.name === expect)?.valueInteger;
                if (!response.ok || count !== Math.min(PER_REQUEST, people - start))
                    throw new Error(`${label}: ${response.status} ${JSON.stringify(answer).slice(0, 300)}`);
                progress(label, Math.min(start + PER_REQUEST, people), people);
            }
        });
        const raw = mongo.db('bench_raw').collection('Patient');
        const results = [
            await timed('raw driver: insertMany', async () => {
                for (let start = 0; start < people; start += RAW_BATCH) {
                    const docs = lines.slice(start, start + RAW_BATCH).map((line) => {
                        const p = JSON.parse(line);
                        return { ...p, _id: p.identifier[0].value };
                    });
                    await raw.insertMany(docs, { ordered: false });
                    progress('raw driver: insertMany', Math.min(start + RAW_BATCH, people), people);
                }
            }),
            await load('Patient/$load into an empty register', 'created'),
            await load('Patient/$load of the same file again', 'unchanged'),
        ];
        // a new server process on the loaded register: how long until its cohort index answers, built from
        // every document (the snapshot the first server saved was of an empty register); then another, which
        // starts from the snapshot the second one saved
        const untilCounted = async () => {
            await server.stop();
            server = await startServerProcess(database.uri);
            const started = performance.now();
            for (;;) {
                const response = await fetch(`${server.url}/Patient/$cohort`, {
                    method: 'POST',
                    headers: { 'content-type': 'application/fhir+json' },
                    body: JSON.stringify({
                        resourceType: 'Parameters',
                        parameter: [{ name: 'breakdown', valueCode: 'none' }],
                    }),
                });
                const answer = (await response.json());
                if (response.ok) {
                    const total = answer.parameter?.find((p) => p.name === 'total')?.valueInteger;
                    if (total === undefined || total < people * 0.9)
                        throw new Error(`the index counts ${total} people`);
                    return { seconds: (performance.now() - started) / 1000, url: server.url };
                }
                if (response.status !== 503)
                    throw new Error(`$cohort: ${response.status}`);
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
        };
        const buildSeconds = (await untilCounted()).seconds;
        // the snapshot is saved just after the build
        const snapshots = mongo.db(DATABASE).collection('cohort_snapshots');
        while (((await snapshots.findOne({ _id: 'head' }))?.seen ?? 0) < people)
            await new Promise((r) => setTimeout(r, 200));
        const restoreSeconds = (await untilCounted()).seconds;
        const reading = performance.now();
        let read = 0;
        for await (const _doc of mongo
            .db(DATABASE)
            .collection('Patient')
            .find({}, { projection: { res: 1, del: 1 } }))
            read++;
        const readSeconds = (performance.now() - reading) / 1000;
        const rate = (r) => Math.round(people / r.seconds);
        const summary = [
            `${people} generated people as NDJSON, ${PER_REQUEST} lines a request; embedded FerretDB 1.24.2; server without auth and audit.`,
            '',
            '| load | seconds | people/s | share of raw | server CPU s | FerretDB CPU s |',
            '|---|---:|---:|---:|---:|---:|',
            ...results.map((r) => `| ${r.label} | ${r.seconds.toFixed(1)} | ${rate(r)} | ${Math.round((rate(r) / rate(results[0])) * 100)}% | ${r.serverCpu.toFixed(1)} | ${r.databaseCpu.toFixed(1)} |`),
            '',
            `Cohort index built at start from the ${people} loaded people: ${buildSeconds.toFixed(1)} s from the server listening to the first answer of Patient/$cohort (${Math.round(people / buildSeconds)} people/s); the raw driver reads the same ${read} documents in ${readSeconds.toFixed(1)} s. Started again from the snapshot that build saved: ${restoreSeconds.toFixed(1)} s. Every $load above kept the index of the running server current as it wrote.`,
        ];
        console.log(summary.slice(2).join('\n'));
        record('bench/load', summary);
    });
}
await main();
//# sourceMappingURL=load.js.map
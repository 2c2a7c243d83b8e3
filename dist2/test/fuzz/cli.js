// npm run fuzz: FUZZ_RUNS (default one million) generated requests against a server on its own embedded
// FerretDB, with progress; fails on the first 500, leak or invalid stored resource (fast-check shrinks it
// and prints the seed to replay). Reports the counts by status and the server's memory before and after
// in bench/RESULTS.md.
import { progress, record, startServerProcess, withDatabase } from '../../bench/support.js';
import { fuzzHttp, invalidStored } from './http.js';
const runs = Number(process.env.FUZZ_RUNS ?? 1_000_000);
/** Property runs at once, each with its own seed: one client alone leaves the server waiting between requests. */
const workers = Math.max(1, Number(process.env.FUZZ_WORKERS ?? 4));
// the server's own account of a 500, beside fast-check's counterexample and seed
process.env.BENCH_SERVER_LOG_LEVEL ??= 'error';
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
async function residentBytes(url) {
    const text = await (await fetch(url.replace(/\/fhir$/, '/metrics'))).text();
    return Number(/^nims_process_resident_memory_bytes (\d+)/m.exec(text)?.[1] ?? 0);
}
await withDatabase('nims-fuzz-', async (database, atEnd) => {
    const server = await startServerProcess(database.uri);
    atEnd(() => server.stop());
    const before = await residentBytes(server.url);
    const started = performance.now();
    let done = 0;
    const reports = await Promise.all(Array.from({ length: workers }, (_, w) => fuzzHttp(server.url, undefined, Math.floor(runs / workers) + (w < runs % workers ? 1 : 0), {
        seed: seed + w,
        onProgress: () => {
            if (++done % 1000 === 0 || done === runs)
                progress('fuzzing', done, runs, 'requests');
        },
    })));
    const report = {
        requests: reports.reduce((sum, r) => sum + r.requests, 0),
        created: reports.flatMap((r) => r.created),
        byStatus: Object.fromEntries([...new Set(reports.flatMap((r) => Object.keys(r.byStatus)))]
            .sort()
            .map((status) => [status, reports.reduce((sum, r) => sum + (r.byStatus[status] ?? 0), 0)])),
    };
    const seconds = (performance.now() - started) / 1000;
    const invalid = await invalidStored(report.created, undefined);
    const after = await residentBytes(server.url);
    if (invalid.length > 0)
        throw new Error(`invalid resources stored:\n${invalid.join('\n')}`);
    const mib = (bytes) => (bytes / 2 ** 20).toFixed(0);
    const summary = [
        `${report.requests.toLocaleString('en-GB')} generated requests (${workers} clients at once, seeds ${seed} to ${seed + workers - 1}) in ${seconds.toFixed(0)} s against a server on the embedded FerretDB 1.24.2, without auth: no 500, no stack trace or path in any answer, every one of the ${report.created.length.toLocaleString('en-GB')} resources created valid when read back. Server memory ${mib(before)} MiB before, ${mib(after)} MiB after.`,
        '',
        '| status | answers |',
        '|---|---:|',
        ...Object.entries(report.byStatus).map(([status, count]) => `| ${status} | ${count.toLocaleString('en-GB')} |`),
    ];
    console.log(summary.join('\n'));
    record('fuzz', summary);
});
//# sourceMappingURL=cli.js.map
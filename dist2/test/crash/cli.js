// npm run crashtest: CRASH_WRITES (10,000) creates and updates from CRASH_CLIENTS (8) clients while the
// server is killed with SIGKILL CRASH_KILLS (100) times and started again, on its own embedded FerretDB,
// with progress; then the checks of crash.ts. The figures go to bench/RESULTS.md; any violation fails.
import { progress, record, withDatabase } from '../../bench/support.js';
import { crashTest } from './crash.js';
const writes = Number(process.env.CRASH_WRITES ?? 10_000);
const kills = Number(process.env.CRASH_KILLS ?? 100);
const clients = Number(process.env.CRASH_CLIENTS ?? 8);
const seed = process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) : Date.now() % 2 ** 31;
if (process.argv.includes('--help')) {
    console.log('npm run crashtest   [CRASH_WRITES=10000 CRASH_KILLS=100 CRASH_CLIENTS=8 CRASH_SEED=n]');
    process.exit(0);
}
await withDatabase('nims-crash-', async (database) => {
    const report = await crashTest({
        mongodbUri: database.uri,
        dbName: 'nims_crash',
        writes,
        kills,
        clients,
        seed,
        onProgress: (done, killed) => progress('crash test', done, writes, `writes acknowledged, ${killed} kills`),
    });
    const n = (value) => value.toLocaleString('en-GB');
    const { answered, replayed, reconciled } = report.acknowledged;
    const summary = [
        `${n(report.writes)} writes (${n(report.records)} vaccination records created, then updated with If-Match) from ${clients} clients in ${report.seconds.toFixed(0)} s, seed ${seed}, against a server on the embedded FerretDB 1.24.2 killed with SIGKILL ${report.kills} times at random moments and started again (ready again in ${(report.restartMs.median / 1000).toFixed(1)} s median, ${(report.restartMs.max / 1000).toFixed(1)} s at worst).`,
        '',
        '| figure | count |',
        '|---|---:|',
        `| writes acknowledged at the first answer | ${n(answered)} |`,
        `| writes acknowledged by a replayed answer (same idempotency key) | ${n(replayed)} |`,
        `| writes found stored after the answer was lost (read back) | ${n(reconciled)} |`,
        `| requests sent again after a cut connection or while starting | ${n(report.resent)} |`,
        `| writes put off while an earlier attempt was unresolved | ${n(report.putOff)} |`,
        `| versions stored (each record once, history as written) | ${n(report.versions)} |`,
        `| GP messages expected / taken by message id | ${n(report.messages)} / ${n(report.taken)} |`,
        `| GP deliveries, repeats included | ${n(report.deliveries)} |`,
        `| violations | ${report.violations.length} |`,
        `| answers slower than 10 s | ${report.slow.length} |`,
        ...(report.violations.length > 0 ? ['', ...report.violations.map((v) => `- ${v}`)] : []),
        ...(report.slow.length > 0 ? ['', 'Slow answers:', ...report.slow.map((v) => `- ${v}`)] : []),
    ];
    console.log(summary.join('\n'));
    record('crash test', summary);
    if (report.violations.length > 0)
        process.exitCode = 1;
});
//# sourceMappingURL=cli.js.map
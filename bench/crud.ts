// bench/crud: the server's create, read and search-by-NHS-number against the embedded FerretDB, beside the
// raw mongodb driver doing the same inserts and finds against the same FerretDB in the same run.
// Run: npm run bench:crud   (BENCH_SECONDS, BENCH_PATIENTS, BENCH_CONNECTIONS to change the load;
// BENCH_WORKERS=2 or auto to measure the server again as that many processes, see cluster.ts)
import type { Bundle, Patient } from 'fhir/r4';
import { availableParallelism } from 'node:os';
import { MongoClient, type Collection } from 'mongodb';
import { patient } from '../fixtures/records.js';
import { NHS_NUMBER_SYSTEM } from '../src/shared/nhs-number.js';
import {
  cannon,
  closedLoop,
  commandsPer,
  cpuSeconds,
  databaseCommands,
  progress,
  record,
  startServerProcess,
  table,
  type Figures,
  withDatabase,
} from './support.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const preload = Number(process.env.BENCH_PATIENTS ?? 20_000);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const load = { connections, seconds };
/** With BENCH_WORKERS (a number or `auto`), the server is measured again as that many processes. */
const workers =
  process.env.BENCH_WORKERS === 'auto' ? availableParallelism() : Number(process.env.BENCH_WORKERS ?? 1);
const BATCH = 500;

/** How the server runs: one process, then WORKERS processes sharing its port (see cluster.ts). */
const SETUPS: { label: string; env: Record<string, string> }[] = [
  { label: 'server', env: {} },
  ...(workers > 1 ? [{ label: `server, WORKERS=${workers}`, env: { WORKERS: String(workers) } }] : []),
];

async function main(): Promise<void> {
  await withDatabase('nims-bench-', async (database, atEnd) => {
    const mongo = new MongoClient(database.uri, { maxPoolSize: connections });
    const raw = mongo.db('bench_raw').collection<Patient & { _id: string }>('Patient');
    atEnd(() => mongo.close());
    const ids: string[] = [];
    const numbers: string[] = [];
    const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)]!;
    let serial = 1_000_000;
    const fresh = () => patient(serial++, 7);
    const results: Figures[] = [];
    const costs: string[] = [];
    const shares: string[] = [];

    for (const [phase, setup] of SETUPS.entries()) {
      // one server at a time: another one idle would still follow every change the measured one makes
      const server = await startServerProcess(database.uri, { AUTH: 'off', AUDIT: 'off', ...setup.env });
      if (phase === 0) await preloadThrough(server.url, raw, ids, numbers);
      // what each workload spent a request: CPU by process, and the server's database commands
      const costed = async (measure: () => Promise<Figures>): Promise<Figures> => {
        const cpu = () => ({
          server: cpuSeconds(server.process.pid),
          database: cpuSeconds(database.pid),
          bench: process.cpuUsage(),
        });
        const [cpuBefore, commandsBefore] = [cpu(), await databaseCommands(server.url)];
        const figures = await measure();
        const [cpuAfter, commandsAfter] = [cpu(), await databaseCommands(server.url)];
        const requests = figures.requestsPerSecond * seconds;
        const ms = (spent: number) => ((spent * 1000) / requests).toFixed(2);
        const benchSpent = process.cpuUsage(cpuBefore.bench);
        costs.push(
          `| ${figures.name} | ${ms(cpuAfter.server - cpuBefore.server)} | ${ms(cpuAfter.database - cpuBefore.database)} | ${ms((benchSpent.user + benchSpent.system) / 1e6)} | ${commandsPer(commandsBefore, commandsAfter, requests)} |`,
        );
        results.push(figures);
        return figures;
      };
      console.log(`measuring ${setup.label}, ${seconds} s each, ${connections} concurrent clients`);
      // each of the server's workloads beside the raw driver doing the same, just before it
      const pair = async (rawRun: () => Promise<Figures>, serverRun: () => Promise<Figures>) => {
        const base = await costed(rawRun);
        const served = await costed(serverRun);
        return `${Math.round((served.requestsPerSecond / base.requestsPerSecond) * 100)}%`;
      };
      const create = await pair(
        () =>
          closedLoop('raw driver: insertOne', connections, seconds, () => {
            const p = fresh();
            return raw.insertOne({ ...p, _id: p.identifier![0]!.value! });
          }),
        () =>
          cannon(`${setup.label}: POST /Patient`, server.url, load, () => ({
            method: 'POST',
            path: '/fhir/Patient',
            body: JSON.stringify(fresh()),
          })),
      );
      const read = await pair(
        () =>
          closedLoop('raw driver: findOne by _id', connections, seconds, () =>
            raw.findOne({ _id: pick(numbers) }),
          ),
        () =>
          cannon(`${setup.label}: GET /Patient/{id}`, server.url, load, () => ({
            method: 'GET',
            path: `/fhir/Patient/${pick(ids)}`,
          })),
      );
      const search = await pair(
        () =>
          closedLoop('raw driver: findOne by NHS number as _id', connections, seconds, () =>
            raw.findOne({ _id: pick(numbers) }),
          ),
        () =>
          cannon(`${setup.label}: GET /Patient?identifier={NHS number}`, server.url, load, () => ({
            method: 'GET',
            path: `/fhir/Patient?identifier=${encodeURIComponent(`${NHS_NUMBER_SYSTEM}|${pick(numbers)}`)}`,
          })),
      );
      shares.push(`${setup.label}: create ${create}, read ${read}, search by NHS number ${search}`);
      await server.stop();
    }
    const unkeyed = await closedLoop(
      'raw driver: find by identifier.value (no key)',
      Math.min(connections, 4),
      Math.min(seconds, 5),
      () => raw.findOne({ 'identifier.value': pick(numbers) }),
    );
    const summary = [
      `Preloaded ${preload} patients; ${seconds} s per workload; ${connections} concurrent clients; embedded FerretDB 1.24.2 over SQLite.`,
      workers > 1
        ? `The server as one process, then as ${workers} (WORKERS=${workers}), each workload just after the raw driver's same one.`
        : `Each workload of the server just after the raw driver's same one.`,
      '',
      ...table([...results, unkeyed]),
      '',
      `The last row is what a search by NHS number costs without a key (FerretDB scans the collection).`,
      'Server as a share of the raw driver just before it:',
      '',
      ...shares.map((line) => `- ${line}`),
      '',
      'What a request cost (CPU ms a request by process; the load generator is this benchmark; the raw driver rows spend no server time):',
      '',
      '| workload | server | FerretDB | load generator | server database commands |',
      '|---|---:|---:|---:|---|',
      ...costs,
    ];
    record('bench/crud', summary);
    console.log(summary.join('\n'));
  });
}

/** The same population for both: through the server as transactions, and raw as insertMany keyed by NHS number. */
async function preloadThrough(
  serverUrl: string,
  raw: Collection<Patient & { _id: string }>,
  ids: string[],
  numbers: string[],
): Promise<void> {
  for (let start = 0; start < preload; start += BATCH) {
    const people = Array.from({ length: Math.min(BATCH, preload - start) }, (_, i) => patient(start + i, 7));
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: people.map((p) => ({ resource: p, request: { method: 'POST', url: 'Patient' } })),
    };
    const response = await fetch(serverUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify(bundle),
    });
    if (!response.ok) throw new Error(`preload failed: ${response.status}`);
    const answer = (await response.json()) as Bundle;
    ids.push(...answer.entry!.map((e) => e.resource!.id!));
    numbers.push(...people.map((p) => p.identifier![0]!.value!));
    await raw.insertMany(people.map((p) => ({ ...p, _id: p.identifier![0]!.value! })));
    progress('preloading patients', ids.length, preload);
  }
}

await main();

// bench/load: the register load (Patient/$load, NDJSON in requests of 20,000 lines) of generated people
// into an empty store, the same file again (every person unchanged), and the raw mongodb driver's
// insertMany of the same people into the same FerretDB as the baseline, in one run.
// Run: npm run bench:load   (BENCH_PEOPLE to change the size)
import { MongoClient } from 'mongodb';
import { patient } from '../fixtures/records.js';
import { cpuSeconds, progress, record, startServerProcess, withDatabase } from './support.js';

const people = Number(process.env.BENCH_PEOPLE ?? 100_000);
const PER_REQUEST = 20_000;
const RAW_BATCH = 1000;

interface Timing {
  label: string;
  seconds: number;
  /** CPU seconds used meanwhile by the server process and by FerretDB. */
  serverCpu: number;
  databaseCpu: number;
}

let pids: { server?: number; database?: number } = {};

async function timed(label: string, run: () => Promise<void>): Promise<Timing> {
  const cpu = () => [cpuSeconds(pids.server), cpuSeconds(pids.database)] as const;
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

async function main(): Promise<void> {
  await withDatabase('nims-bench-load-', async (database, atEnd) => {
    const server = await startServerProcess(database.uri);
    const mongo = new MongoClient(database.uri);
    pids = {
      ...(server.process.pid ? { server: server.process.pid } : {}),
      ...(database.pid ? { database: database.pid } : {}),
    };
    atEnd(() => server.process.kill('SIGTERM'));
    atEnd(() => mongo.close());
    const lines = Array.from({ length: people }, (_, i) => JSON.stringify(patient(i, 5)));
    const load = (label: string, expect: string) =>
      timed(label, async () => {
        for (let start = 0; start < people; start += PER_REQUEST) {
          const response = await fetch(`${server.url}/Patient/$load`, {
            method: 'POST',
            headers: { 'content-type': 'application/fhir+ndjson' },
            body: lines.slice(start, start + PER_REQUEST).join('\n'),
          });
          const answer = (await response.json()) as { parameter?: { name: string; valueInteger?: number }[] };
          const count = answer.parameter?.find((p) => p.name === expect)?.valueInteger;
          if (!response.ok || count !== Math.min(PER_REQUEST, people - start))
            throw new Error(`${label}: ${response.status} ${JSON.stringify(answer).slice(0, 300)}`);
          progress(label, Math.min(start + PER_REQUEST, people), people);
        }
      });
    const raw = mongo.db('bench_raw').collection<{ _id: string }>('Patient');
    const results = [
      await timed('raw driver: insertMany', async () => {
        for (let start = 0; start < people; start += RAW_BATCH) {
          const docs = lines.slice(start, start + RAW_BATCH).map((line) => {
            const p = JSON.parse(line) as { identifier: { value: string }[] };
            return { ...p, _id: p.identifier[0]!.value };
          });
          await raw.insertMany(docs, { ordered: false });
          progress('raw driver: insertMany', Math.min(start + RAW_BATCH, people), people);
        }
      }),
      await load('Patient/$load into an empty register', 'created'),
      await load('Patient/$load of the same file again', 'unchanged'),
    ];
    const rate = (r: { seconds: number }) => Math.round(people / r.seconds);
    const summary = [
      `${people} generated people as NDJSON, ${PER_REQUEST} lines a request; embedded FerretDB 1.24.2; server without auth and audit.`,
      '',
      '| load | seconds | people/s | share of raw | server CPU s | FerretDB CPU s |',
      '|---|---:|---:|---:|---:|---:|',
      ...results.map(
        (r) =>
          `| ${r.label} | ${r.seconds.toFixed(1)} | ${rate(r)} | ${Math.round((rate(r) / rate(results[0]!)) * 100)}% | ${r.serverCpu.toFixed(1)} | ${r.databaseCpu.toFixed(1)} |`,
      ),
    ];
    console.log(summary.slice(2).join('\n'));
    record('bench/load', summary);
  });
}

await main();

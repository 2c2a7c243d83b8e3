// bench/export: a Bulk Data export of BENCH_PEOPLE generated people (default one million) and their
// vaccinations through the server on the embedded FerretDB: the kick-off to the completed manifest, then
// every file downloaded; beside the baseline, the raw driver reading the same two collections, in the
// same run. Records the rates in bench/RESULTS.md. The cohort index the server needs is built here as the
// people are written and saved as a snapshot, as a server would have saved it: a server started on a
// million people otherwise reads them all first (bench/load measures that).
// Run: npm run bench:export
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { AreaTree } from '../src/cohort/areas.js';
import { CohortIndex } from '../src/cohort/index.js';
import { CohortSnapshots } from '../src/cohort/snapshots.js';
import { syntheticGeography, syntheticImmunizations, syntheticPerson } from '../fixtures/population.js';
import {
  BulkWriter,
  cpuSeconds,
  progress,
  record,
  startServerProcess,
  untilIndexed,
  withDatabase,
} from './support.js';

const people = Number(process.env.BENCH_PEOPLE ?? 1_000_000);
const today = new Date('2026-11-25T00:00:00Z');
const BATCH = 2000;

interface Manifest {
  output: { type: string; url: string; count: number }[];
}

async function main(): Promise<void> {
  const geography = syntheticGeography();
  const options = { seed: 5, today, geography };
  await withDatabase('nims-bench-export-', async (database, atEnd) => {
    const mongo = new MongoClient(database.uri);
    atEnd(() => mongo.close());
    const db = mongo.db('nims');
    const writer = new BulkWriter(db);
    const index = new CohortIndex();
    let vaccinations = 0;
    for (let start = 0; start < people; start += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, people - start) }, (_, k) => {
        const patient = { ...syntheticPerson(start + k, options), id: randomUUID() };
        const records = syntheticImmunizations(patient, start + k, options).map((r) => ({
          ...r,
          id: randomUUID(),
          patient: { reference: `Patient/${patient.id}` },
        }));
        return { patient, records };
      });
      await writer.write(
        'Patient',
        batch.map((b) => b.patient),
      );
      const records = batch.flatMap((b) => b.records);
      vaccinations += records.length;
      await writer.write('Immunization', records);
      for (const { patient, records } of batch) {
        index.upsertPatient(patient.id, patient);
        for (const record of records) index.addVaccinationOf(patient.id, record);
      }
      progress('writing people and vaccinations', start + batch.length, people);
    }
    const total = people + vaccinations;
    // the change log is empty: the snapshot holds every change there is
    await new CohortSnapshots(db).save({ index, areas: new AreaTree(), seen: 0, holes: [] });

    const server = await startServerProcess(database.uri);
    atEnd(() => server.stop());
    const indexSeconds = await untilIndexed(server.url);
    const cpuBefore = cpuSeconds(server.process.pid);
    let started = performance.now();
    const kickOff = await fetch(`${server.url}/$export?_type=Patient,Immunization`, {
      headers: { prefer: 'respond-async', accept: 'application/fhir+json' },
    });
    if (kickOff.status !== 202)
      throw new Error(`kick-off answered ${kickOff.status}: ${await kickOff.text()}`);
    const status = kickOff.headers.get('content-location')!;
    let manifest: Manifest | undefined;
    while (!manifest) {
      const polled = await fetch(status);
      if (polled.status === 200) manifest = (await polled.json()) as Manifest;
      else if (polled.status === 202) {
        process.stdout.write(`\rexporting: ${polled.headers.get('x-progress')}   `);
        await new Promise((r) => setTimeout(r, 2000));
      } else throw new Error(`status answered ${polled.status}: ${await polled.text()}`);
    }
    const exportSeconds = (performance.now() - started) / 1000;
    const exportCpu = cpuSeconds(server.process.pid) - cpuBefore;
    process.stdout.write('\n');
    started = performance.now();
    let lines = 0;
    let bytes = 0;
    for (const output of manifest.output) {
      const file = await fetch(output.url);
      for await (const piece of file.body!) {
        const text = Buffer.from(piece as Uint8Array);
        bytes += text.length;
        for (const byte of text) if (byte === 10) lines++;
      }
    }
    const downloadSeconds = (performance.now() - started) / 1000;

    // baseline: the raw driver reading both collections whole, one after the other as the export does;
    // after it, so that both read a database settled from the writes
    started = performance.now();
    let read = 0;
    for (const type of ['Patient', 'Immunization'])
      for await (const doc of db
        .collection(type)
        .find({}, { projection: { res: 1, del: 1 }, batchSize: 1000 })) {
        if (doc) read++;
        if (read % 10_000 === 0) progress('baseline: reading both collections', read, total);
      }
    const rawSeconds = (performance.now() - started) / 1000;
    const exported = manifest.output.reduce((n, o) => n + o.count, 0);
    if (exported !== total || lines !== total || read !== total)
      throw new Error(`exported ${exported}, downloaded ${lines}, read ${read}, expected ${total}`);
    const rate = (n: number, s: number) => Math.round(n / s).toLocaleString('en-GB');
    const summary = [
      `${people.toLocaleString('en-GB')} generated people and their ${vaccinations.toLocaleString('en-GB')} vaccinations on the embedded FerretDB 1.24.2, exported with the full profile (\`_type=Patient,Immunization\`), server without auth and audit; every resource exported and downloaded once. The server started from a cohort index snapshot the benchmark saved as it wrote the people (restored in ${indexSeconds.toFixed(1)} s). The baseline ran after the export and the download.`,
      '',
      '| step | resources | seconds | resources/s |',
      '|---|---:|---:|---:|',
      `| baseline: raw driver reading both collections | ${read.toLocaleString('en-GB')} | ${rawSeconds.toFixed(1)} | ${rate(read, rawSeconds)} |`,
      `| **export: kick-off to the manifest (server CPU ${exportCpu.toFixed(0)} s)** | ${exported.toLocaleString('en-GB')} | **${exportSeconds.toFixed(1)}** | **${rate(exported, exportSeconds)}** |`,
      `| download of every file (${(bytes / 2 ** 20).toFixed(0)} MiB of NDJSON) | ${lines.toLocaleString('en-GB')} | ${downloadSeconds.toFixed(1)} | ${rate(lines, downloadSeconds)} |`,
    ];
    console.log(summary.join('\n'));
    record('bench/export', summary);
  });
}

await main();

// bench/scale: does a lookup by NHS number (and a read by id) stay fast as the register grows? The same
// 200 patients are looked up on an empty store and again after BENCH_FILL more patients (default one
// million) have been added beside them, in the same run. Filler is written in bulk straight into the
// collections, shaped by the repository's own versionDocuments and postingKeysOf.
// Run: npm run bench:scale
import { randomUUID } from 'node:crypto';
import type { Patient } from 'fhir/r4';
import { MongoClient } from 'mongodb';
import { patient } from '../fixtures/records.js';
import { NHS_NUMBER_SYSTEM } from '../src/shared/nhs-number.js';
import { versionDocuments } from '../src/store/mongo-repository.js';
import { VersionCollection } from '../src/store/kept-documents.js';
import type { CurrentDocument, HistoryDocument } from '../src/store/repository.js';
import { postingKeysOf } from '../src/store/postings.js';
import { progress, record, startServerProcess, withDatabase } from './support.js';

const fill = Number(process.env.BENCH_FILL ?? 1_000_000);
const LOOKUPS = 1000;
const BATCH = 2000;

interface Latency {
  name: string;
  p50: number;
  p99: number;
}

/** One client, one request at a time: latency without queueing. */
async function sequential(name: string, urls: string[]): Promise<Latency> {
  const times: number[] = [];
  for (const url of urls) {
    const started = performance.now();
    const response = await fetch(url);
    const body = (await response.json()) as { total?: number; resourceType: string };
    if (!response.ok || (body.resourceType === 'Bundle' && body.total !== 1))
      throw new Error(`${name}: unexpected answer`);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { name, p50: times[Math.floor(times.length / 2)]!, p99: times[Math.floor(times.length * 0.99)]! };
}

async function main(): Promise<void> {
  await withDatabase('nims-scale-', async (database, atEnd) => {
    let server = await startServerProcess(database.uri);
    const mongo = new MongoClient(database.uri);
    const db = mongo.db('nims');
    atEnd(() => server.stop());
    atEnd(() => mongo.close());
    const known: Patient[] = [];
    for (let i = 0; i < 200; i++) {
      const response = await fetch(`${server.url}/Patient`, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json' },
        body: JSON.stringify(patient(i, 11)),
      });
      known.push((await response.json()) as Patient);
    }
    const pick = (i: number) => known[(i * 7919) % known.length]!;
    const searches = (base: string) =>
      Array.from(
        { length: LOOKUPS },
        (_, i) =>
          `${base}/Patient?identifier=${encodeURIComponent(`${NHS_NUMBER_SYSTEM}|${pick(i).identifier![0]!.value}`)}`,
      );
    const reads = (base: string) =>
      Array.from({ length: LOOKUPS }, (_, i) => `${base}/Patient/${pick(i).id}`);
    const measure = async (label: string) => {
      // a fresh server process: the first lookup of each NHS number reads its postings
      await server.stop();
      server = await startServerProcess(database.uri);
      return [
        await sequential(
          `${label}: search by NHS number, first ${known.length} cold`,
          searches(server.url).slice(0, known.length),
        ),
        await sequential(`${label}: search by NHS number`, searches(server.url)),
        await sequential(`${label}: read by id`, reads(server.url)),
      ];
    };
    const before = await measure('200 patients');

    const ts = new Date().toISOString();
    for (let start = 0; start < fill; start += BATCH) {
      const docs = Array.from({ length: Math.min(BATCH, fill - start) }, (_, i) =>
        versionDocuments(randomUUID(), 1, ts, 'POST', patient(1_000_000 + start + i, 11)),
      );
      const postings = docs.flatMap(({ current }) =>
        postingKeysOf('Patient', current.idx).all.map((key) => ({
          _id: `${key}#0`,
          id: current._id,
          at: new Date(),
        })),
      );
      await Promise.all([
        new VersionCollection<HistoryDocument>(db.collection('Patient_history')).insertMany(
          docs.map((d) => d.history),
        ),
        new VersionCollection<CurrentDocument>(db.collection('Patient')).insertMany(
          docs.map((d) => d.current),
        ),
        db.collection('postings').insertMany(postings as never[], { ordered: false }),
      ]);
      progress('adding patients', start + docs.length, fill);
    }
    const after = await measure(`${fill + 200} patients`);

    const rows = [...before, ...after];
    const lines = [
      `One client, sequential requests, ${LOOKUPS} lookups each (the first 200 on a freshly started server); embedded FerretDB 1.24.2.`,
      '',
      '| lookup | p50 ms | p99 ms |',
      '|---|---:|---:|',
      ...rows.map((r) => `| ${r.name} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} |`),
    ];
    console.log(lines.join('\n'));
    record('bench/scale', lines);
  });
}

await main();

// bench/batch-upload: a supplier's file of BENCH_ROWS vaccination events (default one million, national
// flat file, | separated) for BENCH_PEOPLE people on the register, sent to $batch-upload on a server on
// the embedded FerretDB: the upload streamed from a generator (never held whole), then applied with
// progress, then the acknowledgement downloaded and checked row by row. Baseline in the same run: the
// same kind of events sent one request each (POST /Immunization, eight clients at once). Then the same
// file again, which must answer the first upload and change nothing. Records the rates in bench/RESULTS.md.
// Run: npm run bench:batch-upload
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { MongoClient } from 'mongodb';
import { flatFile, flatFileRow, PRODUCTS } from '../fixtures/flat-file.js';
import { syntheticGeography, syntheticPerson } from '../fixtures/population.js';
import { readRow } from '../src/batch/flat-file.js';
import {
  BulkWriter,
  commandsPer,
  cpuSeconds,
  databaseCommands,
  progress,
  record,
  residentMiB,
  startServerProcess,
  untilIndexed,
  withDatabase,
} from './support.js';

const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
const people = Number(process.env.BENCH_PEOPLE ?? 100_000);
const baselineRows = Number(process.env.BENCH_BASELINE_ROWS ?? 5_000);
const CLIENTS = 8;
const BATCH = 2000;
const today = new Date('2026-11-25T00:00:00Z');
const products = [PRODUCTS.covid, PRODUCTS.flu, PRODUCTS.mmr];

interface Person {
  nhsNumber: string;
  dob: string;
}

/** Row `n` of the file: person n mod people, a product in turn, a day in the autumn. */
function row(n: number, register: Person[], prefix: string): Record<string, string> {
  const person = register[n % register.length]!;
  const day = 1 + (n % 28);
  return flatFileRow({
    NHS_NUMBER: person.nhsNumber,
    PERSON_DOB: person.dob,
    UNIQUE_ID: `${prefix}-${n}`,
    VACCINE_PRODUCT_CODE: products[n % products.length]!,
    DATE_AND_TIME: `202610${String(day).padStart(2, '0')}T10300000`,
    RECORDED_DATE: `202610${String(day).padStart(2, '0')}`,
  });
}

/** The file's text, a thousand rows a piece, generated as it is read. */
function* fileText(register: Person[], count: number, prefix: string): Generator<string> {
  for (let start = 0; start < count; start += 1000) {
    const piece = Array.from({ length: Math.min(1000, count - start) }, (_, k) =>
      row(start + k, register, prefix),
    );
    const text = flatFile(piece);
    // the header once, at the top
    yield start === 0 ? text : text.slice(text.indexOf('\n') + 1);
  }
}

async function main(): Promise<void> {
  const geography = syntheticGeography();
  await withDatabase('nims-bench-upload-', async (database, atEnd) => {
    const mongo = new MongoClient(database.uri);
    atEnd(() => mongo.close());
    const writer = new BulkWriter(mongo.db('nims'));
    const register: Person[] = [];
    for (let start = 0; start < people; start += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, people - start) }, (_, k) => ({
        ...syntheticPerson(start + k, { seed: 11, today, geography }),
        id: randomUUID(),
      }));
      await writer.write('Patient', batch);
      for (const p of batch)
        register.push({ nhsNumber: p.identifier![0]!.value!, dob: p.birthDate!.replaceAll('-', '') });
      progress('writing the register', start + batch.length, people);
    }

    const server = await startServerProcess(database.uri);
    atEnd(() => server.stop());
    await untilIndexed(server.url);

    // baseline: one request an event, the patient found by NHS number first as a client would
    const ids = new Map<string, string>();
    let started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < baselineRows) {
          const n = next++;
          const fields = row(n, register, 'api');
          const read = readRow(fields);
          if (!read.ok) throw new Error(read.reason);
          let patient = ids.get(read.nhsNumber);
          if (!patient) {
            const found = (await (
              await fetch(
                `${server.url}/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|${read.nhsNumber}`,
              )
            ).json()) as { entry?: { resource: { id: string } }[] };
            patient = found.entry![0]!.resource.id;
            ids.set(read.nhsNumber, patient);
          }
          const created = await fetch(`${server.url}/Immunization`, {
            method: 'POST',
            headers: { 'content-type': 'application/fhir+json' },
            body: JSON.stringify({ ...read.immunization, patient: { reference: `Patient/${patient}` } }),
          });
          if (created.status !== 201)
            throw new Error(`POST answered ${created.status}: ${await created.text()}`);
        }
      }),
    );
    const baselineSeconds = (performance.now() - started) / 1000;

    // the file: streamed up, applied in the background
    const cpuBefore = cpuSeconds(server.process.pid);
    const memoryBefore = residentMiB(server.process.pid);
    const commandsBefore = await databaseCommands(server.url);
    started = performance.now();
    let bytes = 0;
    const body = Readable.from(
      (function* () {
        for (const text of fileText(register, rows, 'file')) {
          bytes += Buffer.byteLength(text);
          yield text;
        }
      })(),
    );
    const upload = () =>
      fetch(`${server.url}/$batch-upload?file=bench.csv`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv' },
        body: body as unknown as ReadableStream,
        duplex: 'half',
      } as RequestInit);
    const kickOff = await upload();
    if (kickOff.status !== 202) throw new Error(`upload answered ${kickOff.status}: ${await kickOff.text()}`);
    const receiveSeconds = (performance.now() - started) / 1000;
    const status = kickOff.headers.get('content-location')!;
    let report: { parameter: { name: string; valueInteger?: number; valueUrl?: string }[] } | undefined;
    while (!report) {
      const polled = await fetch(status);
      if (polled.status === 200) report = (await polled.json()) as typeof report;
      else if (polled.status === 202) {
        const done = Number(polled.headers.get('x-progress')!.split(' ')[0]!.replaceAll(',', ''));
        progress('applying rows', done, rows);
        await new Promise((r) => setTimeout(r, 2000));
      } else throw new Error(`status answered ${polled.status}: ${await polled.text()}`);
    }
    progress('applying rows', rows, rows);
    const applySeconds = (performance.now() - started) / 1000;
    const applyCpu = cpuSeconds(server.process.pid) - cpuBefore;
    const memoryAfter = residentMiB(server.process.pid);
    const commands = commandsPer(commandsBefore, await databaseCommands(server.url), rows);
    const count = (name: string) => report.parameter.find((p) => p.name === name)!;

    started = performance.now();
    let acked = 0;
    let created = 0;
    let tail = '';
    const ack = await fetch(count('acknowledgement').valueUrl!);
    for await (const piece of ack.body!) {
      const lines = (tail + Buffer.from(piece as Uint8Array).toString()).split('\n');
      tail = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('ROW|')) continue;
        acked++;
        if (line.split('|')[4] === 'created') created++;
      }
    }
    const downloadSeconds = (performance.now() - started) / 1000;
    if (acked !== rows || created !== rows || count('created').valueInteger !== rows)
      throw new Error(
        `acknowledged ${acked}, created ${created}, report ${count('created').valueInteger}, expected ${rows}`,
      );

    // the same file again: the first upload answers, nothing is applied
    started = performance.now();
    const again = await fetch(`${server.url}/$batch-upload?file=bench.csv`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: Readable.from(fileText(register, rows, 'file')) as unknown as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    const againSeconds = (performance.now() - started) / 1000;
    if (again.status !== 202 || again.headers.get('content-location') !== status)
      throw new Error(
        `the same file again answered ${again.status} at ${again.headers.get('content-location')}`,
      );

    const rate = (n: number, s: number) => Math.round(n / s).toLocaleString('en-GB');
    const summary = [
      `A file of ${rows.toLocaleString('en-GB')} vaccination events (national flat file, ${(bytes / 2 ** 20).toFixed(0)} MiB, COVID-19, flu and MMR in turn) for ${people.toLocaleString('en-GB')} generated people on the register, on the embedded FerretDB 1.24.2, server without auth and audit. Every row created a record and was acknowledged.`,
      '',
      '| step | rows | seconds | rows/s |',
      '|---|---:|---:|---:|',
      `| baseline: one POST /Immunization an event, ${CLIENTS} clients | ${baselineRows.toLocaleString('en-GB')} | ${baselineSeconds.toFixed(1)} | ${rate(baselineRows, baselineSeconds)} |`,
      `| file received and stored (the 202) | ${rows.toLocaleString('en-GB')} | ${receiveSeconds.toFixed(1)} | ${rate(rows, receiveSeconds)} |`,
      `| **sent to every row applied (server CPU ${applyCpu.toFixed(0)} s)** | ${rows.toLocaleString('en-GB')} | **${applySeconds.toFixed(1)}** | **${rate(rows, applySeconds)}** |`,
      `| acknowledgement downloaded | ${acked.toLocaleString('en-GB')} | ${downloadSeconds.toFixed(1)} | ${rate(acked, downloadSeconds)} |`,
      `| the same file again (answers the first upload) | ${rows.toLocaleString('en-GB')} | ${againSeconds.toFixed(1)} | ${rate(rows, againSeconds)} |`,
      '',
      `Database commands a row, from receiving the file to every row applied (the server's whole work, GP messages included): ${commands}.`,
      '',
      `Server memory: ${memoryBefore.now} MiB resident when the file was sent, ${memoryAfter.now} MiB once every row was applied, at most ${memoryAfter.peak} MiB.`,
    ];
    console.log(summary.join('\n'));
    record('bench/batch-upload', summary);
  });
}

await main();

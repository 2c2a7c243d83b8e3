// bench/gp-fanout: vaccination events fanned out to GP practices' systems (bench/gp-receiver, a process
// of its own with one endpoint per practice).
// 1. Daily batches: BENCH_EVENTS (default a million) vaccination messages of one day for the ~6,300
//    generated practices, stored as the dispatcher stores them (packed, in flushes of 20,000), then one
//    daily run, timed end to end: every practice's batch read, sent, taken and recorded. Baselines in the
//    same run: the raw driver only reading the same packed chunks (the database's floor), and a sample
//    stored one document a message (as an outbox entry) scanned and marked delivered, scaled up.
// 2. As it happens: a server process takes BENCH_RATE (default 100) vaccinations a second over HTTP for
//    BENCH_SECONDS, each for a person at one of 300 practices taking messages at once; how late messages
//    reach the practices, and how long the backlog takes to clear once the load stops. Baseline: the same
//    load for people with no practice (no message to send).
// Run: npm run bench:gp-fanout
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Immunization, Location, Patient, Practitioner } from 'fhir/r4';
import { MongoClient, type Db } from 'mongodb';
import { syntheticGeography, syntheticPerson } from '../fixtures/population.js';
import { gpEndpoint, immunization as pointOfCare } from '../fixtures/records.js';
import { FhirService } from '../src/fhir/service.js';
import { Validator } from '../src/fhir/validation.js';
import { GpDailyOutbox, ukDay } from '../src/messaging/daily-outbox.js';
import type { GpMessage } from '../src/messaging/messages.js';
import { Endpoints } from '../src/messaging/endpoints.js';
import { messageId, vaccinationMessage, type VaccinationEvent } from '../src/messaging/messages.js';
import { PROJECT_ROOT } from '../src/server.js';
import { ODS_CODE_SYSTEM } from '../src/shared/ods.js';
import { MongoRepository } from '../src/store/mongo-repository.js';
import { cpuSeconds, progress, record, startServerProcess, withDatabase } from './support.js';

const events = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const rate = Number(process.env.BENCH_RATE ?? 100);
const seconds = Number(process.env.BENCH_SECONDS ?? 60);
const FLUSH = 20_000;
const SAMPLE = 20_000;
const BASE = 'https://nims.example.org/fhir';

interface ReceiverStats {
  messages: number;
  distinct: number;
  batches: number;
  practices: number;
  practicesWithOneBatch: number;
  lateMs: { p50: number; p99: number; max: number };
}

/** Starts bench/gp-receiver as its own process; answers its base URL. */
async function startReceiver(atEnd: (undo: () => unknown) => void): Promise<{ url: string; pid?: number }> {
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'dist', 'bench', 'gp-receiver.js')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  atEnd(() => child.kill());
  const port = await new Promise<string>((resolve) => {
    createInterface({ input: child.stdout }).once('line', resolve);
  });
  return { url: `http://127.0.0.1:${port}`, ...(child.pid !== undefined ? { pid: child.pid } : {}) };
}

/** CPU seconds of this process so far (user and system). */
const ownCpu = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

const stats = async (receiver: string) => (await (await fetch(`${receiver}/stats`)).json()) as ReceiverStats;

/** Where and by whom the generated vaccinations were given: carried in every message, as in life. */
const site: Location = {
  resourceType: 'Location',
  id: 'site-1',
  name: 'Vaccination centre, Town Hall',
  identifier: [{ system: ODS_CODE_SYSTEM, value: 'RX1AB' }],
  address: { line: ['1 High Street'], city: 'Leeds', postalCode: 'LS1 1AA' },
};
const vaccinator: Practitioner = {
  resourceType: 'Practitioner',
  id: 'vaccinator-1',
  name: [{ family: 'Okafor', given: ['Ada'] }],
  identifier: [{ system: 'https://fhir.hl7.org.uk/Id/professional-code', value: 'C1234567' }],
};

/** The message for generated person `i`'s vaccination today, for their practice's daily batch. */
function dailyMessage(i: number, person: Patient, address: (ods: string) => string, at: string): GpMessage {
  const practice = person.generalPractitioner![0]!.identifier!.value!;
  const event: VaccinationEvent = {
    immunization: `imm-${i}`,
    version: 1,
    action: 'new',
    practice,
    patient: person.id!,
    seq: i + 1,
    at,
  };
  const record: Immunization = {
    ...pointOfCare(person.id!, {
      location: { reference: `Location/${site.id}` },
      performer: [{ actor: { reference: `Practitioner/${vaccinator.id}` } }],
      occurrenceDateTime: at,
      recorded: at,
    }),
    id: event.immunization,
    meta: { versionId: '1', lastUpdated: at },
  };
  const message = vaccinationMessage(
    event,
    record,
    [person, site, vaccinator],
    { base: BASE },
    {
      address: address(practice),
    },
  );
  return { event, message: { ...message, id: messageId(event) } };
}

async function dailyBatches(
  db: Db,
  receiver: string,
  pids: { receiver?: number; database?: number },
): Promise<string[]> {
  const geography = syntheticGeography();
  const today = new Date();
  const day = ukDay(today.toISOString());
  const address = (ods: string) => `${receiver}/gp/${ods}/fhir`;
  const service = new FhirService(new MongoRepository(db), new Validator());
  const practices = geography.practices.map((p) => p.code);
  for (let i = 0; i < practices.length; i += 500)
    await service.createMany(
      'Endpoint',
      practices.slice(i, i + 500).map((ods) => gpEndpoint(ods, address(ods), true)),
    );
  const outbox = new GpDailyOutbox(db, new Endpoints(db), 3);

  let started = performance.now();
  let bytes = 0;
  for (let from = 0; from < events; from += FLUSH) {
    const flush: GpMessage[] = [];
    for (let i = from; i < Math.min(events, from + FLUSH); i++) {
      const person = { ...syntheticPerson(i, { seed: 7, today, geography }), id: `p-${i}` };
      flush.push(dailyMessage(i, person, address, today.toISOString()));
    }
    if (from === 0) bytes = JSON.stringify(flush[0]!.message).length;
    await outbox.add(flush);
    progress('messages stored', from + flush.length, events);
  }
  const storeSeconds = (performance.now() - started) / 1000;
  const packed = (await db.command({ collStats: 'gp_daily_chunks' }).catch(() => ({}))) as { size?: number };

  // baseline: the database's floor, every chunk read by the raw driver and nothing sent
  started = performance.now();
  const days = db.collection<{ _id: string; chunks: string[] }>('gp_daily_days');
  const chunkIds = (await days.findOne({ _id: day }))!.chunks;
  for (let i = 0; i < chunkIds.length; i += 8)
    await Promise.all(
      chunkIds
        .slice(i, i + 8)
        .map((_id) => db.collection<{ _id: string }>('gp_daily_chunks').findOne({ _id })),
    );
  const readSeconds = (performance.now() - started) / 1000;

  console.log('daily run...');
  const cpu = () => [ownCpu(), cpuSeconds(pids.receiver), cpuSeconds(pids.database)];
  const cpuBefore = cpu();
  started = performance.now();
  const { delivered, failed } = await outbox.run(day);
  const runSeconds = (performance.now() - started) / 1000;
  const [senderCpu, receiverCpu, databaseCpu] = cpu().map((c, i) => c - cpuBefore[i]!);
  const received = await stats(receiver);
  if (received.distinct !== events || delivered !== events || failed !== 0)
    throw new Error(
      `expected ${events} messages delivered once each: ${JSON.stringify({ delivered, failed, received })}`,
    );
  if (received.practicesWithOneBatch !== received.practices)
    throw new Error(`a practice got more than one batch for the day: ${JSON.stringify(received)}`);

  // baseline: the same messages stored one document each (an outbox entry), scanned and marked delivered
  const sample = db.collection<{ _id: string; state: string }>('one_document_a_message');
  const sampleSize = Math.min(SAMPLE, events);
  const people = Array.from({ length: sampleSize }, (_, i) => ({
    ...syntheticPerson(i, { seed: 7, today, geography }),
    id: `p-${i}`,
  }));
  for (let i = 0; i < sampleSize; i += 1000)
    await sample.insertMany(
      people.slice(i, i + 1000).map((person, k) => {
        const m = dailyMessage(i + k, person, address, today.toISOString());
        return { _id: m.message.id!, state: 'pending', payload: m };
      }),
    );
  started = performance.now();
  let scanned = 0;
  for await (const entry of sample.find({ state: 'pending' })) if (entry) scanned++;
  const scanSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const marked = await sample.updateMany({ state: 'pending' }, { $set: { state: 'delivered' } });
  const markSeconds = (performance.now() - started) / 1000;
  const scale = events / scanned;

  return [
    `${events.toLocaleString('en-GB')} vaccination messages of one day (${bytes.toLocaleString('en-GB')} bytes of JSON each, with Patient, Location and Practitioner) for the people of the ${practices.length.toLocaleString('en-GB')} generated practices, each practice's endpoint taking one batch a day; the receivers a process of their own, parsing every batch. Embedded FerretDB 1.24.2.`,
    '',
    '| step | seconds | messages/s |',
    '|---|---:|---:|',
    `| store, as the dispatcher does (flushes of ${FLUSH.toLocaleString('en-GB')}, packed per day and shard) | ${storeSeconds.toFixed(1)} | ${(events / storeSeconds).toFixed(0)} |`,
    `| **daily run, end to end: ${received.batches.toLocaleString('en-GB')} batches to ${received.practices.toLocaleString('en-GB')} practices, each taken and recorded** | **${runSeconds.toFixed(1)}** | **${(events / runSeconds).toFixed(0)}** |`,
    `| baseline: raw driver reading the ${chunkIds.length.toLocaleString('en-GB')} packed chunks (${((packed.size ?? 0) / 2 ** 20).toFixed(0)} MiB), nothing sent | ${readSeconds.toFixed(1)} | ${(events / readSeconds).toFixed(0)} |`,
    `| baseline: one document a message, scan of ${scanned.toLocaleString('en-GB')} scaled ×${scale.toFixed(0)} | ${(scanSeconds * scale).toFixed(1)} | ${(scanned / scanSeconds).toFixed(0)} |`,
    `| baseline: one document a message, ${marked.modifiedCount.toLocaleString('en-GB')} marked delivered (one updateMany) scaled ×${scale.toFixed(0)} | ${(markSeconds * scale).toFixed(1)} | ${(marked.modifiedCount / markSeconds).toFixed(0)} |`,
    '',
    `Every message arrived once (${received.distinct.toLocaleString('en-GB')} distinct ids), each practice one batch; target for the daily run: under 60 s. CPU seconds during the run: nims ${senderCpu!.toFixed(1)}, receivers ${receiverCpu!.toFixed(1)}, FerretDB ${databaseCpu!.toFixed(1)} (2 cores).`,
  ];
}

/** POSTs `body` to the server at `perSecond` for `forSeconds` (open loop); answers latencies and misses. */
async function steadyLoad(
  url: string,
  perSecond: number,
  forSeconds: number,
  body: (i: number) => string,
): Promise<{ sent: number; failed: number; p50: number; p99: number; achieved: number }> {
  const latencies: number[] = [];
  let failed = 0;
  const inFlight: Promise<void>[] = [];
  const began = performance.now();
  const total = perSecond * forSeconds;
  for (let i = 0; i < total; i++) {
    const due = began + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const started = performance.now();
    inFlight.push(
      fetch(`${url}/Immunization`, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json' },
        body: body(i),
      }).then(
        async (response) => {
          await response.arrayBuffer();
          if (response.status !== 201) failed++;
          latencies.push(performance.now() - started);
        },
        () => {
          failed++;
        },
      ),
    );
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - began) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { sent: total, failed, p50: at(0.5), p99: at(0.99), achieved: (total - failed) / elapsed };
}

async function asItHappens(
  uri: string,
  receiver: string,
  atEnd: (undo: () => unknown) => void,
): Promise<string[]> {
  const server = await startServerProcess(uri, { AUTH: 'off', AUDIT: 'off', MONGODB_DB: 'nims_fanout_live' });
  atEnd(() => server.stop());
  const url = server.url;
  const practices = syntheticGeography()
    .practices.slice(0, 300)
    .map((p) => p.code);
  const post = async (path: string, resource: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify(resource),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { id?: string; entry?: { response?: { location?: string } }[] };
  };
  for (const ods of practices) await post('/Endpoint', gpEndpoint(ods, `${receiver}/gp/${ods}/fhir`));
  const today = new Date();
  const geography = syntheticGeography();
  const register = async (count: number, withPractice: boolean): Promise<string[]> => {
    const ids: string[] = [];
    for (let from = 0; from < count; from += 100) {
      const entry = Array.from({ length: Math.min(100, count - from) }, (_, k) => {
        const person = syntheticPerson(from + k + (withPractice ? 0 : 500_000), {
          seed: 11,
          today,
          geography,
        });
        const { generalPractitioner: _practice, ...rest } = person;
        const resource: Patient = withPractice
          ? {
              ...person,
              generalPractitioner: [
                { identifier: { system: ODS_CODE_SYSTEM, value: practices[(from + k) % practices.length]! } },
              ],
            }
          : rest;
        return { resource, request: { method: 'POST' as const, url: 'Patient' } };
      });
      const answer = await post('/', { resourceType: 'Bundle', type: 'batch', entry });
      ids.push(...answer.entry!.map((e) => e.response!.location!.split('/')[1]!));
    }
    return ids;
  };
  const registered = await register(3000, true);
  const unregistered = await register(1000, false);
  const vaccination = (ids: string[]) => (i: number) =>
    JSON.stringify(pointOfCare(ids[i % ids.length]!, { occurrenceDateTime: new Date().toISOString() }));

  console.log(`baseline: ${rate}/s for 20 s, people with no practice...`);
  const baseline = await steadyLoad(url, rate, 20, vaccination(unregistered));
  console.log(
    `${rate}/s for ${seconds} s, people at ${practices.length} practices taking messages at once...`,
  );
  const before = (await stats(receiver)).messages;
  const loaded = await steadyLoad(url, rate, seconds, vaccination(registered));
  const loadEnded = performance.now();
  const expected = before + loaded.sent - loaded.failed;
  let received = await stats(receiver);
  while (received.messages < expected && performance.now() - loadEnded < 600_000) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    received = await stats(receiver);
  }
  const drainSeconds = (performance.now() - loadEnded) / 1000;
  if (received.messages < expected)
    throw new Error(`only ${received.messages - before} of ${loaded.sent} messages arrived`);
  return [
    `A server process (AUTH and AUDIT off) on the same FerretDB, ${practices.length} practices taking each message as it happens; open-loop POST /Immunization.`,
    '',
    '| load | sent | failed | achieved/s | create p50 ms | create p99 ms |',
    '|---|---:|---:|---:|---:|---:|',
    `| baseline: ${rate}/s × 20 s, people with no practice (nothing to send) | ${baseline.sent} | ${baseline.failed} | ${baseline.achieved.toFixed(0)} | ${baseline.p50.toFixed(0)} | ${baseline.p99.toFixed(0)} |`,
    `| ${rate}/s × ${seconds} s, every one a message to a practice | ${loaded.sent} | ${loaded.failed} | ${loaded.achieved.toFixed(0)} | ${loaded.p50.toFixed(0)} | ${loaded.p99.toFixed(0)} |`,
    '',
    `Messages at the practices, from the change to its arrival: p50 ${(received.lateMs.p50 / 1000).toFixed(1)} s, p99 ${(received.lateMs.p99 / 1000).toFixed(1)} s, max ${(received.lateMs.max / 1000).toFixed(1)} s; the last arrived ${drainSeconds.toFixed(1)} s after the load stopped.`,
  ];
}

await withDatabase('nims-bench-gp-fanout-', async (database, atEnd) => {
  const receiver = await startReceiver(atEnd);
  const client = new MongoClient(database.uri);
  await client.connect();
  atEnd(() => client.close());
  const daily = await dailyBatches(client.db('nims_fanout'), receiver.url, {
    ...(receiver.pid !== undefined ? { receiver: receiver.pid } : {}),
    ...(database.pid !== undefined ? { database: database.pid } : {}),
  });
  console.log(daily.join('\n'));
  const live = await asItHappens(database.uri, receiver.url, atEnd);
  console.log(live.join('\n'));
  record('bench/gp-fanout', ['### Daily batches', '', ...daily, '', '### As it happens', '', ...live]);
});

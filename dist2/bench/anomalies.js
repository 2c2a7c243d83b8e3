// bench/anomalies: the whole-population anomaly scan over BENCH_PEOPLE generated people (default one
// million) with anomalies seeded into one person in BENCH_SEED_EVERY (every rule in turn): every seeded
// anomaly must be found and nothing else. The scan (one pass over every record, then the suspects' records
// again) runs in memory against a brute-force baseline in the same run (every person's records through
// the rules one person at a time). Then the same scan end to end on the embedded FerretDB through the
// server ($anomalies, its Task until completed) over the first BENCH_DB_PEOPLE of them, which is what
// bounds a scan on that store.
// Run: npm run bench:anomalies
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { syntheticGeography, syntheticImmunizations, syntheticPerson } from '../fixtures/population.js';
import { CohortIndex } from '../src/cohort/index.js';
import { programmesOf } from '../src/cohort/programmes.js';
import { findingsOf, suspectsIn } from '../src/resolution/anomaly-scan.js';
import { BulkWriter, progress, record, startServerProcess, withDatabase } from './support.js';
const people = Number(process.env.BENCH_PEOPLE ?? 1_000_000);
const seedEvery = Number(process.env.BENCH_SEED_EVERY ?? 500);
const dbPeople = Number(process.env.BENCH_DB_PEOPLE ?? 20_000);
const today = new Date('2026-11-25T00:00:00Z');
const DAY_MS = 86_400_000;
const TODAY = today.getTime() / DAY_MS;
const SEEDED = [
    'dose-without-earlier',
    'interval-too-short',
    'too-many-doses',
    'duplicate-record',
    'before-birth',
    'after-death',
    'product-disease-mismatch',
    'before-minimum-age',
];
const SNOMED = 'http://snomed.info/sct';
const PRODUCTS = {
    'covid-19': { vaccine: '39115611000001103', target: '840539006' },
    flu: { vaccine: '46233009', target: '6142004' },
    mmr: { vaccine: '61153008', target: '14189004' },
};
function vaccination(patient, programme, day, extra = {}) {
    const date = new Date(day * DAY_MS).toISOString().slice(0, 10);
    const { vaccine, target } = PRODUCTS[programme];
    return {
        resourceType: 'Immunization',
        status: 'completed',
        vaccineCode: { coding: [{ system: SNOMED, code: vaccine }] },
        patient: { reference: `Patient/${patient}` },
        occurrenceDateTime: `${date}T11:00:00+00:00`,
        primarySource: true,
        protocolApplied: [{ targetDisease: [{ coding: [{ system: SNOMED, code: target }] }] }],
        ...extra,
    };
}
/**
 * Person `i`: the generated person and records, and for one in `seedEvery` (living, aged six or more) one
 * anomaly of the rule whose turn it is, made by replacing that programme's records.
 */
function personAt(i, geography, seeds) {
    const options = { seed: 77, today, geography };
    const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    let patient = syntheticPerson(i, options);
    let records = syntheticImmunizations(patient, i, options).map((r) => ({
        ...r,
        id: randomUUID(),
        patient: { reference: `Patient/${id}` },
    }));
    const born = Date.parse(patient.birthDate) / DAY_MS;
    if (i % seedEvery !== seedEvery - 1 || TODAY - born < 2200 || patient.deceasedDateTime)
        return { id, patient, records };
    const code = SEEDED[seeds.next++ % SEEDED.length];
    const without = (programme) => records.filter((r) => !programmesOf(r).some((p) => p.code === programme));
    const add = (...more) => more.map((r) => ({ ...r, id: randomUUID() }));
    switch (code) {
        case 'dose-without-earlier':
            records = [
                ...without('covid-19'),
                ...add(vaccination(id, 'covid-19', TODAY - 30, {
                    protocolApplied: [
                        {
                            doseNumberPositiveInt: 2,
                            targetDisease: [{ coding: [{ system: SNOMED, code: '840539006' }] }],
                        },
                    ],
                })),
            ];
            break;
        case 'interval-too-short':
            records = [
                ...without('covid-19'),
                ...add(vaccination(id, 'covid-19', TODAY - 60), vaccination(id, 'covid-19', TODAY - 50)),
            ];
            break;
        case 'too-many-doses':
            records = [
                ...without('mmr'),
                ...add(...[400, 1300, 1800].map((d) => vaccination(id, 'mmr', born + d))),
            ];
            break;
        case 'duplicate-record':
            records = [
                ...without('flu'),
                ...add(vaccination(id, 'flu', TODAY - 40), vaccination(id, 'flu', TODAY - 40)),
            ];
            break;
        case 'before-birth':
            records = [...without('flu'), ...add(vaccination(id, 'flu', born - 10))];
            break;
        case 'after-death': {
            const died = TODAY - 100;
            patient = { ...patient, deceasedDateTime: new Date(died * DAY_MS).toISOString().slice(0, 10) };
            records = add(vaccination(id, 'flu', died + 5));
            break;
        }
        case 'product-disease-mismatch':
            records = [
                ...without('flu'),
                ...add(vaccination(id, 'flu', TODAY - 45, {
                    vaccineCode: { coding: [{ system: SNOMED, code: PRODUCTS['covid-19'].vaccine }] },
                })),
            ];
            break;
        case 'before-minimum-age':
            records = [...without('mmr'), ...add(vaccination(id, 'mmr', born + 200))];
            break;
    }
    return { id, patient, records, seeded: code };
}
/** The findings as `{person} {rule}` lines, sorted, for comparing. */
const lines = (found) => [...found].flatMap(([id, codes]) => codes.map((c) => `${id} ${c}`)).sort();
function check(name, found, population) {
    const expected = lines(new Map(population.filter((p) => p.seeded).map((p) => [p.id, [p.seeded]])));
    const got = lines(found);
    const missed = expected.filter((l) => !got.includes(l));
    const extra = got.filter((l) => !expected.includes(l));
    if (missed.length > 0 || extra.length > 0)
        throw new Error(`${name}: missed ${missed.slice(0, 5).join('; ')}; not seeded ${extra.slice(0, 5).join('; ')}`);
}
async function main() {
    const geography = syntheticGeography();
    const population = [];
    const seeds = { next: 0 };
    const index = new CohortIndex();
    let started = performance.now();
    for (let i = 0; i < people; i++) {
        const person = personAt(i, geography, seeds);
        population.push(person);
        if ((i + 1) % 100_000 === 0 || i + 1 === people)
            progress('generating people', i + 1, people);
    }
    const generating = (performance.now() - started) / 1000;
    // the cohort index as the server builds it from the database: people, then their vaccinations
    started = performance.now();
    for (const person of population)
        index.upsertPatient(person.id, person.patient);
    for (const person of population)
        for (const immunization of person.records)
            index.addVaccinationOf(person.id, immunization);
    const indexSeconds = (performance.now() - started) / 1000;
    const records = population.reduce((n, p) => n + p.records.length, 0);
    const seeded = population.filter((p) => p.seeded).length;
    // the scan as the server makes it: the rules on the index's doses, then the suspects' own records
    started = performance.now();
    const pass = suspectsIn(index.vaccinatedPeople());
    const passSeconds = (performance.now() - started) / 1000;
    const byId = new Map(population.map((p) => [p.id, p]));
    started = performance.now();
    const scanned = new Map();
    for (const id of pass.suspects) {
        const person = byId.get(id);
        scanned.set(id, findingsOf(person.patient, person.records).map((f) => f.code));
    }
    const suspectSeconds = (performance.now() - started) / 1000;
    check('scan', scanned, population);
    // baseline: every person's records through the rules, one person at a time
    started = performance.now();
    const brute = new Map();
    for (const person of population) {
        const codes = findingsOf(person.patient, person.records).map((f) => f.code);
        if (codes.length > 0)
            brute.set(person.id, codes);
    }
    const bruteSeconds = (performance.now() - started) / 1000;
    check('baseline', brute, population);
    const scanSeconds = passSeconds + suspectSeconds;
    const dbRows = await withDatabase('nims-bench-anomalies-', async (database, atEnd) => {
        const mongo = new MongoClient(database.uri);
        atEnd(() => mongo.close());
        const db = mongo.db('nims');
        const subset = population.slice(0, dbPeople);
        const subsetRecords = subset.reduce((n, p) => n + p.records.length, 0);
        const writer = new BulkWriter(db);
        for (let start = 0; start < subset.length; start += 2000) {
            const batch = subset.slice(start, start + 2000);
            await writer.write('Patient', batch.map((p) => ({ ...p.patient, id: p.id })));
            await writer.write('Immunization', batch.flatMap((p) => p.records));
            progress('writing the database subset', start + batch.length, subset.length);
        }
        const server = await startServerProcess(database.uri);
        atEnd(() => server.stop());
        const post = () => fetch(`${server.url}/$anomalies`, {
            method: 'POST',
            headers: { 'content-type': 'application/fhir+json' },
            body: JSON.stringify({ resourceType: 'Parameters' }),
        });
        // the server builds its cohort index (birth and death days) from the database first
        const indexStarted = performance.now();
        let answer = await post();
        while (answer.status === 503) {
            await new Promise((r) => setTimeout(r, 1000));
            answer = await post();
        }
        const indexSeconds = (performance.now() - indexStarted) / 1000;
        if (answer.status !== 202)
            throw new Error(`$anomalies answered ${answer.status}: ${await answer.text()}`);
        const scanStarted = performance.now();
        const task = (await answer.json());
        let done = task;
        while (done.status === 'in-progress') {
            await new Promise((r) => setTimeout(r, 500));
            done = (await (await fetch(`${server.url}/Task/${task.id}`)).json());
        }
        const dbSeconds = (performance.now() - scanStarted) / 1000;
        const totals = new Map(done.output.map((o) => [o.type.text, o.valueInteger]));
        const total = (name) => totals.get(name) ?? 0;
        const expected = subset.filter((p) => p.seeded).length;
        // baseline: the same question asked person by person, as a client could without the scan
        const SAMPLE = 200;
        const sampleStarted = performance.now();
        for (const person of subset.slice(0, SAMPLE)) {
            const one = await fetch(`${server.url}/$anomalies`, {
                method: 'POST',
                headers: { 'content-type': 'application/fhir+json' },
                body: JSON.stringify({
                    resourceType: 'Parameters',
                    parameter: [{ name: 'patient', valueString: person.id }],
                }),
            });
            if (one.status !== 200)
                throw new Error(`$anomalies for one person answered ${one.status}`);
        }
        const perPerson = (performance.now() - sampleStarted) / 1000 / SAMPLE;
        if (done.status !== 'completed' || total('findings') !== expected || total('opened') !== expected)
            throw new Error(`database scan: ${done.status}, ${JSON.stringify([...totals])}, expected ${expected}`);
        return [
            `| end to end on FerretDB through the server: $anomalies to its Task completed, ${subset.length} people | ${subsetRecords} | ${total('suspects')} | ${total('findings')} (all ${expected} seeded, ${total('opened')} Tasks opened) | ${dbSeconds.toFixed(1)} | ${Math.round(subsetRecords / dbSeconds).toLocaleString('en-GB')} |`,
            `| baseline on FerretDB: $anomalies for one person at a time, ${SAMPLE} people timed, scaled to ${subset.length} | ${subsetRecords} | ${subset.length} | | ${(perPerson * subset.length).toFixed(1)} | ${Math.round(subsetRecords / (perPerson * subset.length)).toLocaleString('en-GB')} |`,
            '',
            `The server built its cohort index from the same ${subset.length} people and their records in ${indexSeconds.toFixed(1)} s before the scan could start (a restart from a snapshot takes well under a second).`,
        ];
    });
    const summary = [
        `${people} generated people with ${records} vaccination records (generated in ${generating.toFixed(1)} s; the cohort index built from them in ${indexSeconds.toFixed(1)} s, ${(index.bytes / people).toFixed(1)} bytes a person with their doses, slowed by collecting garbage among the generated resources held for the baseline; bench/cohort times the build alone); ${seeded} anomalies seeded, in every ${seedEvery}th person who is alive and aged six or more, each rule in turn. Every seeded anomaly was found and nothing else, by the scan and by the baseline. Memory: ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MB of heap at the end, most of it the generated resources.`,
        '',
        '| scan | records | suspects read again | findings | seconds | records/s |',
        '|---|---:|---:|---:|---:|---:|',
        `| the server's scan in memory: the rules on the cohort index's doses (${passSeconds.toFixed(1)} s), then the suspects' records through the rules (${suspectSeconds.toFixed(2)} s) | ${records} | ${pass.suspects.length} | ${lines(scanned).length} | ${scanSeconds.toFixed(1)} | ${Math.round(records / scanSeconds).toLocaleString('en-GB')} |`,
        `| baseline: every person's records through the rules, one person at a time | ${records} | ${people} | ${lines(brute).length} | ${bruteSeconds.toFixed(1)} | ${Math.round(records / bruteSeconds).toLocaleString('en-GB')} |`,
        ...dbRows,
    ];
    console.log(summary.join('\n'));
    record('bench/anomalies', summary);
}
await main();
//# sourceMappingURL=anomalies.js.map
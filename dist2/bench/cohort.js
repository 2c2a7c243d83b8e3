import { MongoClient } from 'mongodb';
import { areaOrganizations, syntheticAttributes, syntheticGeography, syntheticImmunizations, syntheticPerson, } from '../fixtures/population.js';
import { AreaTree } from '../src/cohort/areas.js';
import { CohortIndex } from '../src/cohort/index.js';
import { programmesOf } from '../src/cohort/programmes.js';
import { countParameters } from '../src/operations/cohort.js';
import { attributeExtension, attributesOf } from '../src/register/attributes.js';
import { progress, record, withDatabase } from './support.js';
const people = Number(process.env.BENCH_PEOPLE ?? 1_000_000);
const baselinePeople = Number(process.env.BENCH_BASELINE_PEOPLE ?? 50_000);
const today = new Date('2026-11-25T00:00:00Z');
const CRITERIA = [
    ['everyone', {}],
    ['65 and over', { ageFrom: 65 }],
    [
        'girls 12-15 of Asian ethnicity',
        { ageFrom: 12, ageTo: 15, sex: ['female'], ethnicCategory: ['H', 'J', 'K', 'L'] },
    ],
    [
        'adults 18-64, deceased and leavers too',
        { ageFrom: 18, ageTo: 64, includeDeceased: true, includeLeft: true },
    ],
    ['flu: 65 and over, not yet vaccinated', { programme: 'flu', ageFrom: 65 }],
    [
        'flu: clinical risk 18-64, not yet vaccinated',
        { programme: 'flu', ageFrom: 18, ageTo: 64, priorityGroups: ['clinical-risk'] },
    ],
    ['NHS staff and social care workers', { priorityGroups: ['nhs-staff', 'social-care-worker'] }],
];
/** Person `i` of the bench population, with the attributes their lists give them, and their vaccinations. */
function personAt(i, geography) {
    const options = { seed: 42, today, geography };
    const bare = syntheticPerson(i, options);
    const attributes = syntheticAttributes(bare, i, options).map(attributeExtension);
    return {
        person: { ...bare, extension: [...bare.extension, ...attributes] },
        immunizations: syntheticImmunizations(bare, i, options),
    };
}
/** Index criteria of the bench's year-based ones. */
function indexCriteria(c) {
    const { ageFrom, ageTo, ...rest } = c;
    return {
        ...rest,
        ageOn: today,
        ...(ageFrom !== undefined ? { ageFromMonths: ageFrom * 12 } : {}),
        ...(ageTo !== undefined ? { ageToMonths: ageTo * 12 + 11 } : {}),
    };
}
function dateYearsBefore(years) {
    const d = new Date(today);
    d.setUTCFullYear(d.getUTCFullYear() - years);
    return d.toISOString().slice(0, 10);
}
/** The same criteria as an aggregation over flat documents, grouped by practice. */
function pipeline(c) {
    const match = {};
    const born = {};
    if (c.ageFrom !== undefined)
        born.$lte = dateYearsBefore(c.ageFrom);
    if (c.ageTo !== undefined)
        born.$gt = dateYearsBefore(c.ageTo + 1);
    if (Object.keys(born).length > 0)
        match.birthDate = born;
    if (c.sex)
        match.gender = { $in: c.sex };
    if (c.ethnicCategory)
        match.ethnic = { $in: c.ethnicCategory };
    if (!c.includeDeceased)
        match.deceased = false;
    if (!c.includeLeft)
        match.left = false;
    if (c.programme === 'flu' && !c.includeVaccinated)
        match.fluThisSeason = false;
    if (c.priorityGroups)
        match.groups = { $in: c.priorityGroups };
    return [{ $match: match }, { $group: { _id: '$practice', n: { $sum: 1 } } }];
}
async function time(run, repeat) {
    let result = await run();
    const started = performance.now();
    for (let i = 0; i < repeat; i++)
        result = await run();
    return { result, ms: (performance.now() - started) / repeat };
}
async function main() {
    const geography = syntheticGeography();
    const areas = new AreaTree();
    areaOrganizations(geography).forEach((o, i) => areas.upsert(`org-${i}`, o));
    const index = new CohortIndex();
    const small = new CohortIndex();
    const generated = [];
    let vaccinations = 0;
    let generating = 0;
    let building = 0;
    for (let i = 0; i < people; i++) {
        let started = performance.now();
        const { person, immunizations } = personAt(i, geography);
        generating += performance.now() - started;
        started = performance.now();
        const id = `person-${i}`;
        index.upsertPatient(id, person);
        for (const immunization of immunizations)
            index.addVaccinationOf(id, immunization);
        vaccinations += immunizations.length;
        if (i < baselinePeople) {
            small.upsertPatient(id, person);
            for (const immunization of immunizations)
                small.addVaccinationOf(id, immunization);
        }
        building += performance.now() - started;
        if (i < 100_000)
            generated.push(person);
        if ((i + 1) % 100_000 === 0 || i + 1 === people)
            progress('building the index', i + 1, people);
    }
    // keeping current: the same people written again, as a register delta or a write load would
    let started = performance.now();
    generated.forEach((person, i) => index.upsertPatient(`person-${i}`, { ...person, active: i % 2 === 0 }));
    const updatesPerSecond = generated.length / ((performance.now() - started) / 1000);
    started = performance.now();
    generated.forEach((person, i) => index.upsertPatient(`person-${i}`, person));
    const updateMicros = ((performance.now() - started) * 1000) / generated.length;
    await withDatabase('nims-bench-cohort-', async (database, atEnd) => {
        const mongo = new MongoClient(database.uri);
        atEnd(() => mongo.close());
        const flat = mongo.db('bench_cohort').collection('people');
        for (let start = 0; start < baselinePeople; start += 5000) {
            const docs = Array.from({ length: Math.min(5000, baselinePeople - start) }, (_, k) => {
                const { person: p, immunizations } = personAt(start + k, geography);
                const day = today.toISOString().slice(0, 10);
                return {
                    _id: p.identifier[0].value,
                    birthDate: p.birthDate,
                    gender: p.gender,
                    ethnic: p.extension[0].valueCodeableConcept.coding[0].code,
                    practice: p.generalPractitioner[0].identifier.value,
                    deceased: p.deceasedDateTime !== undefined,
                    left: p.active === false,
                    fluThisSeason: immunizations.some((v) => programmesOf(v).some((q) => q.code === 'flu') && v.occurrenceDateTime >= '2026-09-01'),
                    groups: attributesOf(p)
                        .filter((a) => (a.start ?? day) <= day && day <= (a.end ?? day))
                        .map((a) => a.group),
                };
            });
            await flat.insertMany(docs);
            progress('baseline documents', start + docs.length, baselinePeople);
        }
        const rows = [];
        for (const [name, criteria] of CRITERIA) {
            // the whole answer as $cohort gives it: count, breakdown to every practice, Parameters as JSON
            const full = await time(() => {
                const answer = countParameters(index, areas, indexCriteria(criteria), 'gp-practice');
                return { total: answer[0].valueInteger, bytes: JSON.stringify(answer).length };
            }, 20);
            const indexSmall = await time(() => small.count(indexCriteria(criteria)), 20);
            const aggregation = await time(() => flat.aggregate(pipeline(criteria)).toArray(), 1);
            const fromAggregation = new Map(aggregation.result.map((g) => [g._id, g.n]));
            if (JSON.stringify([...fromAggregation].sort()) !==
                JSON.stringify([...indexSmall.result.byPractice].sort()))
                throw new Error(`${name}: the index and the aggregation disagree`);
            rows.push(`| ${name} | ${full.result.total} | ${full.ms.toFixed(1)} (${Math.round(full.result.bytes / 1024)} KB) | ${indexSmall.ms.toFixed(2)} | ${aggregation.ms.toFixed(0)} | ${Math.round(aggregation.ms / indexSmall.ms)}× |`);
        }
        const summary = [
            `Index over ${people} generated people and their ${vaccinations} vaccinations: built in ${(building / 1000).toFixed(1)} s (generating them took ${(generating / 1000).toFixed(1)} s more), ${(index.bytes / people).toFixed(1)} bytes a person; kept current at ${Math.round(updatesPerSecond).toLocaleString('en-GB')} person updates a second (${updateMicros.toFixed(2)} µs each). Baseline: the same counts as an aggregation over ${baselinePeople} of them on the embedded FerretDB 1.24.2, checked equal to the index's counts over those people.`,
            '',
            `| criteria | people counted (of ${people}) | ms for the whole answer over ${people} people: count, breakdown by region, ICB, local authority and practice, as JSON (size) | index ms, ${baselinePeople} people | aggregation ms, ${baselinePeople} people | index vs aggregation |`,
            '|---|---:|---:|---:|---:|---:|',
            ...rows,
        ];
        console.log(summary.join('\n'));
        record('bench/cohort', summary);
    });
}
await main();
//# sourceMappingURL=cohort.js.map
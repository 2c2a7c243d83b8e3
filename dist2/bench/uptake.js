import { areaOrganizations, syntheticAttributes, syntheticGeography, syntheticImmunizations, syntheticPerson, } from '../fixtures/population.js';
import { AreaTree } from '../src/cohort/areas.js';
import { CohortIndex } from '../src/cohort/index.js';
import { PROGRAMME_CODES } from '../src/cohort/programmes.js';
import { attributeExtension } from '../src/register/attributes.js';
import { BREAKDOWNS, uptake } from '../src/statistics/uptake.js';
import { uptakeByBruteForce } from '../test/uptake-brute-force.js';
import { progress, record } from './support.js';
const people = Number(process.env.BENCH_PEOPLE ?? 1_000_000);
const today = new Date('2026-11-25T00:00:00Z');
function main() {
    const geography = syntheticGeography();
    const areas = new AreaTree();
    areaOrganizations(geography).forEach((o, i) => areas.upsert(`org-${i}`, o));
    const index = new CohortIndex();
    const population = {
        people: [],
        vaccinations: [],
        optedOut: new Set(),
    };
    const options = { seed: 42, today, geography };
    for (let i = 0; i < people; i++) {
        const bare = syntheticPerson(i, options);
        const person = {
            ...bare,
            extension: [...bare.extension, ...syntheticAttributes(bare, i, options).map(attributeExtension)],
        };
        const vaccinations = syntheticImmunizations(bare, i, options);
        population.people.push(person);
        population.vaccinations.push(vaccinations);
        index.upsertPatient(`person-${i}`, person);
        for (const v of vaccinations)
            index.addVaccinationOf(`person-${i}`, v);
        if ((i + 1) % 100_000 === 0 || i + 1 === people)
            progress('generating people and the index', i + 1, people);
    }
    const rows = [];
    for (const code of PROGRAMME_CODES) {
        // warm once, then the timed answer: every breakdown and the days
        uptake(index, areas, code, today, BREAKDOWNS);
        let started = performance.now();
        const answer = uptake(index, areas, code, today, BREAKDOWNS);
        const indexMs = performance.now() - started;
        started = performance.now();
        const brute = uptakeByBruteForce(population, geography, code, today);
        const bruteMs = performance.now() - started;
        const fromIndex = new Map(answer.groups.map((g) => [`${g.breakdown}|${g.code}`, [g.eligible, g.vaccinated]]));
        for (const [key, figures] of brute.groups)
            if (JSON.stringify(fromIndex.get(key)) !== JSON.stringify(figures))
                throw new Error(`${code} ${key}: index ${JSON.stringify(fromIndex.get(key))}, brute force ${JSON.stringify(figures)}`);
        if (answer.eligible !== brute.eligible || answer.vaccinated !== brute.vaccinated)
            throw new Error(`${code}: totals differ`);
        rows.push(`| ${code} | ${answer.eligible.toLocaleString('en-GB')} | ${answer.vaccinated.toLocaleString('en-GB')} | ${answer.groups.length.toLocaleString('en-GB')} | ${answer.days.length} | **${indexMs.toFixed(0)}** | ${(bruteMs / 1000).toFixed(1)} s | ${Math.round(bruteMs / indexMs)}× |`);
    }
    const summary = [
        `${people.toLocaleString('en-GB')} generated people with their vaccinations and priority-group lists, in the cohort index (${(index.bytes / people).toFixed(1)} bytes a person). Each answer: totals, every breakdown (age band, sex, ethnic category, priority group, region, care board, local authority, GP practice) and the series per day; the brute force counts the same from the generated resources, and every figure agrees.`,
        '',
        '| programme | eligible | vaccinated | groups | days | index ms | brute force | index vs brute force |',
        '|---|---:|---:|---:|---:|---:|---:|---:|',
        ...rows,
    ];
    console.log(summary.join('\n'));
    record('bench/uptake', summary);
}
main();
//# sourceMappingURL=uptake.js.map
import { expect } from 'chai';
import { areaOrganizations, ATTRIBUTE_SOURCES, attributeCsvLine, syntheticAttributes, syntheticGeography, syntheticImmunizations, syntheticPerson, } from '../../fixtures/population.js';
import { ATTRIBUTE_COLUMNS } from '../../src/register/attribute-load.js';
import { attributeExtension } from '../../src/register/attributes.js';
/** The day the generated populations of the tests are as of. */
export const TODAY = new Date('2026-11-25T00:00:00Z');
/**
 * `count` generated people for `seed`, with their vaccinations and priority-group lists: as generated
 * (`people`, `attributes`) and as they stand once loaded (`population`, for brute-force counts).
 */
export function generatedPopulation(seed, count) {
    const geography = syntheticGeography();
    const options = { seed, today: TODAY, geography };
    const people = Array.from({ length: count }, (_, i) => syntheticPerson(i, options));
    const attributes = people.map((p, i) => syntheticAttributes(p, i, options));
    const population = {
        people: people.map((p, i) => ({
            ...p,
            extension: [...p.extension, ...attributes[i].map(attributeExtension)],
        })),
        vaccinations: people.map((p, i) => syntheticImmunizations(p, i, options)),
        optedOut: new Set(),
    };
    return { geography, people, attributes, population };
}
/** Loads a generated population through the API: areas, people, vaccinations, then each attribute list. */
export async function loadPopulation(call, generated) {
    const { geography, people, attributes, population } = generated;
    const accepted = async (path, body, type) => {
        const answer = await call('POST', path, body, type);
        expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
        const rejected = answer.body.parameter.find((p) => p.name === 'rejected')?.valueInteger;
        expect(rejected ?? 0, JSON.stringify(answer.body)).to.equal(0);
    };
    const ndjson = (resources) => resources.map((r) => JSON.stringify(r)).join('\n') + '\n';
    await accepted('/Organization/$load', ndjson(areaOrganizations(geography)), 'application/fhir+ndjson');
    await accepted('/Patient/$load', ndjson(people), 'application/fhir+ndjson');
    await accepted('/Immunization/$load', ndjson(population.vaccinations.flat()), 'application/fhir+ndjson');
    for (const source of ATTRIBUTE_SOURCES) {
        const lines = attributes.flatMap((list, i) => list
            .filter((a) => a.source === source)
            .map((a) => attributeCsvLine(people[i].identifier[0].value, a)));
        await accepted(`/Patient/$load-attributes?source=${source}`, [ATTRIBUTE_COLUMNS.join(','), ...lines].join('\n') + '\n', 'text/csv');
    }
}
//# sourceMappingURL=population.js.map
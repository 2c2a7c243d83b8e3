import { expect } from 'chai';
import { patient } from '../../fixtures/records.js';
import { attributesOf } from '../../src/register/attributes.js';
import { EXTENSIONS } from '../../src/resources/extensions.js';
import { NHS_NUMBER_SYSTEM } from '../../src/shared/nhs-number.js';
import { extraServer } from './harness.js';
// a database of its own, without authentication (permissions are those of Patient search and update)
let server;
const people = [900, 901, 902, 903].map((n) => patient(n));
const nhs = (i) => people[i].identifier[0].value;
async function call(method, path, body, contentType) {
    const response = await fetch(`${server.url}${path}`, {
        method,
        ...(body !== undefined
            ? { body, headers: { 'content-type': contentType ?? 'application/fhir+json' } }
            : {}),
    });
    return { status: response.status, body: (await response.json()) };
}
const csv = (...lines) => ['nhs_number,attribute,detail,start,end,organisation,source', ...lines].join('\n') + '\n';
async function loadList(source, body, contentType = 'text/csv') {
    const answer = await call('POST', `/Patient/$load-attributes?source=${source}`, body, contentType);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    const parameters = answer.body;
    const counts = Object.fromEntries(parameters.parameter.filter((p) => p.valueInteger !== undefined).map((p) => [p.name, p.valueInteger]));
    const outcome = parameters.parameter.find((p) => p.name === 'outcome')?.resource;
    return { counts, problems: outcome?.issue.map((i) => i.diagnostics) ?? [] };
}
async function stored(i) {
    const found = await call('GET', `/Patient?identifier=${NHS_NUMBER_SYSTEM}|${nhs(i)}`);
    return found.body.entry[0].resource;
}
describe('priority-group lists: Patient/$load-attributes', () => {
    before(async () => {
        server = await extraServer({ AUTH: 'off', MONGODB_DB: 'nims_attributes_test' });
        for (const person of people)
            expect((await call('POST', '/Patient', JSON.stringify(person))).status).to.equal(201);
    });
    after(() => server?.stop());
    it('when a list is loaded, then the people on it get its attributes and each bad line is named', async () => {
        const { counts, problems } = await loadList('esr', csv(`${nhs(0)},nhs-staff,,,,rxh,esr`, `${nhs(1)},nhs-staff,,2020-01-01,,RJ1,`, '1234567890,nhs-staff,,,,,', '9434765919,nhs-staff,,,,,', `${nhs(2)},astronaut,,,,,`, `${nhs(2)},clinical-risk,,,,,`, `${nhs(2)},nhs-staff,,2026-02-01,2026-01-01,,`, `${nhs(2)},nhs-staff,,,,,carers`));
        expect(counts).to.deep.equal({ people: 2, changed: 2, unchanged: 0, removed: 0, rejected: 6 });
        expect(problems[0]).to.match(/^Line 4: nhs_number is not a valid NHS number/);
        expect(problems[1]).to.match(/^Line 5: no Patient has the NHS number 9434765919/);
        expect(problems[2]).to.match(/^Line 6: the attribute must be one of/);
        expect(problems[3]).to.match(/^Line 7: clinical-risk needs a risk group/);
        expect(problems[4]).to.match(/^Line 8: the period ends before it starts/);
        expect(problems[5]).to.match(/^Line 9: the line is from source 'carers', not 'esr'/);
        expect(attributesOf(await stored(0))).to.deep.equal([
            { group: 'nhs-staff', source: 'esr', organisation: 'RXH' },
        ]);
        expect(attributesOf(await stored(1))).to.deep.equal([
            { group: 'nhs-staff', source: 'esr', start: '2020-01-01', organisation: 'RJ1' },
        ]);
    });
    it('when a new list comes from a source, then it replaces that source alone: people left off lose it, others keep theirs', async () => {
        const ndjson = [1, 2]
            .map((i) => JSON.stringify({ nhs_number: nhs(i), attribute: 'unpaid-carer' }))
            .join('\n');
        expect((await loadList('carers', ndjson, 'application/x-ndjson')).counts).to.include({
            people: 2,
            changed: 2,
        });
        const before = await stored(1);
        const { counts } = await loadList('esr', csv(`${nhs(1)},nhs-staff,,2020-01-01,,RJ1,esr`, `${nhs(3)},social-care-worker,,,,,`));
        expect(counts).to.deep.equal({ people: 2, changed: 1, unchanged: 1, removed: 1, rejected: 0 });
        expect(attributesOf(await stored(0))).to.deep.equal([]);
        // unchanged people keep their version
        expect((await stored(1)).meta.versionId).to.equal(before.meta.versionId);
        expect(attributesOf(await stored(1)).map((a) => a.source)).to.have.members(['esr', 'carers']);
        expect(attributesOf(await stored(3))).to.deep.equal([{ group: 'social-care-worker', source: 'esr' }]);
        const again = await loadList('esr', csv(`${nhs(1)},nhs-staff,,2020-01-01,,RJ1,esr`, `${nhs(3)},social-care-worker,,,,,`));
        expect(again.counts).to.deep.equal({ people: 2, changed: 0, unchanged: 2, removed: 0, rejected: 0 });
    });
    it('when the request is wrong, then nothing is loaded and the answer says why', async () => {
        const bad = async (path, body, contentType, status, expected) => {
            const answer = await call('POST', path, body, contentType);
            expect(answer.status).to.equal(status);
            expect(answer.body.issue[0].diagnostics).to.match(expected);
        };
        await bad('/Patient/$load-attributes', csv(), 'text/csv', 400, /one source/);
        await bad('/Patient/$load-attributes?source=a%20b', csv(), 'text/csv', 400, /one source/);
        await bad('/Patient/$load-attributes?source=esr', '{}', 'application/fhir+json', 415, /text\/csv/);
        const ugly = await loadList('esr', '{"nhs_number":{"$gt":""},"attribute":"nhs-staff"}\nnot json\n[1]', 'application/x-ndjson');
        expect(ugly.problems).to.deep.equal([
            'Line 1: nhs_number must be text',
            'Line 2: the line is not JSON',
            'Line 3: the line is not a JSON object',
        ]);
        // a list that is all errors takes nothing from anyone
        expect(ugly.counts).to.include({ people: 0, removed: 0 });
        expect(attributesOf(await stored(3))).to.have.length(1);
        // a person whose line is refused keeps what the source gave before
        const refused = await loadList('esr', csv(`${nhs(1)},nhs-staff,,2020-01-01,,RJ1,esr`, `${nhs(3)},astronaut,,,,,`));
        expect(refused.counts).to.include({ people: 1, removed: 0, rejected: 1 });
        expect(attributesOf(await stored(3))).to.deep.equal([{ group: 'social-care-worker', source: 'esr' }]);
    });
    it('when a Patient carries a malformed priority group, then it is refused by the profile', async () => {
        const answer = await call('POST', '/Patient', JSON.stringify({
            ...patient(950),
            extension: [
                { url: EXTENSIONS.priorityGroup, extension: [{ url: 'group', valueCoding: { code: 'pregnant' } }] },
            ],
        }));
        expect(answer.status).to.equal(422);
        expect(answer.body.issue[0].diagnostics).to.match(/Priority group: the attribute needs a source/);
    });
});
//# sourceMappingURL=attributes.test.js.map
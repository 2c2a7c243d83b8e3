import { expect } from 'chai';
import { immunization, nhsNumber } from '../../fixtures/records.js';
import { PSEUDONYM_SYSTEM } from '../../src/export/profiles.js';
import { errorCode, eventually, extraServer, tokenFor } from './harness.js';
let server;
const tokens = { full: '', research: '', none: '', other: '' };
async function call(method, url, token, options = {}) {
    const response = await fetch(url.startsWith('http') ? url : `${server.url}${url}`, {
        method,
        headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/fhir+json',
            ...(options.async === false ? {} : { prefer: 'respond-async' }),
            ...(options.body ? { 'content-type': 'application/fhir+json' } : {}),
        },
        ...(options.body ? { body: JSON.stringify(options.body) } : {}),
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
}
/** Kicks an export off, polls it to the end (checking the 202s on the way) and reads every file. */
async function exportAll(path, token) {
    const kickOff = await call('GET', path, token);
    expect(kickOff.status, kickOff.text).to.equal(202);
    const status = kickOff.headers.get('content-location');
    expect(status).to.match(/\/\$export-status\/[0-9a-f-]+$/);
    const manifest = await eventually(async () => {
        const polled = await call('GET', status, token);
        if (polled.status === 202) {
            expect(polled.headers.get('retry-after')).to.equal('5');
            expect(polled.headers.get('x-progress')).to.match(/resources written/);
        }
        expect(polled.status).to.equal(200);
        return JSON.parse(polled.text);
    }, 20_000);
    const files = new Map();
    for (const output of manifest.output) {
        const file = await call('GET', output.url, token);
        expect(file.status).to.equal(200);
        expect(file.headers.get('content-type')).to.match(/^application\/fhir\+ndjson/);
        const resources = file.text
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line));
        expect(resources).to.have.length(output.count);
        files.set(output.type, resources);
    }
    return { manifest, files };
}
describe('Bulk Data export ($export)', function () {
    this.timeout(90_000);
    const people = [];
    before(async () => {
        server = await extraServer({ MONGODB_DB: 'nims_export_test' });
        tokens.full = await tokenFor('system/*.cruds', undefined, server);
        tokens.research = await tokenFor('system/Patient.rs system/Immunization.rs nims-export/research', undefined, server);
        tokens.none = await tokenFor('system/Patient.rs system/Immunization.rs', undefined, server);
        tokens.other = await tokenFor('system/Patient.rs system/Immunization.rs nims-export/full', undefined, server);
        for (let n = 1; n <= 6; n++) {
            const person = {
                resourceType: 'Patient',
                identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber(n, 97) }],
                name: [{ family: 'Exported', given: [`Eve${n}`] }],
                telecom: [{ system: 'phone', value: '07700900001', use: 'mobile' }],
                gender: 'female',
                birthDate: n <= 3 ? '1940-03-0' + n : '1990-03-0' + n,
                address: [{ use: 'home', line: ['1 High Street'], postalCode: 'LS6 2AB' }],
            };
            const created = await call('POST', '/Patient', tokens.full, { body: person, async: false });
            people.push(JSON.parse(created.text));
            const vaccinated = await call('POST', '/Immunization', tokens.full, {
                body: immunization(people.at(-1).id, {
                    identifier: [{ system: 'https://example.org/pharmacy', value: `P${n}` }],
                }),
                async: false,
            });
            expect(vaccinated.status).to.equal(201);
        }
        await call('POST', '/Organization', tokens.full, {
            body: { resourceType: 'Organization', name: 'Not a person' },
            async: false,
        });
    });
    after(() => server?.stop());
    it('when a full export runs, then every type the profile holds comes as NDJSON with the manifest the spec gives', async () => {
        const { manifest, files } = await exportAll('/$export', tokens.full);
        expect(manifest.requiresAccessToken).to.equal(true);
        expect(manifest.request).to.match(/\/fhir\/\$export$/);
        expect(files.get('Patient')).to.have.length(6);
        expect(files.get('Immunization')).to.have.length(6);
        expect(files.get('Organization')).to.have.length(1);
        expect(files.get('Patient')[0].name).to.have.length(1);
    });
    it('when a research agency exports, then people are pseudonymised consistently and only its types and elements go out', async () => {
        const { files } = await exportAll('/$export', tokens.research);
        expect([...files.keys()].sort()).to.deep.equal(['Immunization', 'Patient']);
        const patients = files.get('Patient');
        for (const p of patients) {
            expect(p).to.not.have.any.keys('name', 'telecom', 'text');
            expect(p.identifier).to.deep.equal([{ system: PSEUDONYM_SYSTEM, value: p.identifier[0].value }]);
            expect(p.identifier[0].value).to.match(/^[0-9a-f]{40}$/);
            expect(p.birthDate).to.match(/^\d{4}$/);
            expect(p.address).to.deep.equal([{ use: 'home', postalCode: 'LS6' }]);
            expect(people.map((q) => q.id)).to.not.include(p.id);
        }
        const ids = new Set(patients.map((p) => p.id));
        for (const i of files.get('Immunization')) {
            expect(ids.has(i.patient.reference.split('/')[1])).to.equal(true);
            expect(i).to.not.have.any.keys('identifier', 'lotNumber', 'performer', 'location');
        }
        // the same person, the same pseudonym, export after export
        const again = await exportAll('/$export?_type=Patient', tokens.research);
        expect(new Set((again.files.get('Patient') ?? []).map((p) => p.id))).to.deep.equal(ids);
    });
    it('when the export is narrowed by _type, _since, _typeFilter, Patient or Group, then only those resources go out', async () => {
        const typed = await exportAll('/$export?_type=Immunization', tokens.full);
        expect([...typed.files.keys()]).to.deep.equal(['Immunization']);
        const later = await exportAll(`/$export?_since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, tokens.full);
        expect(later.manifest.output).to.deep.equal([]);
        const older = await exportAll(`/$export?_type=Patient&_typeFilter=${encodeURIComponent('Patient?birthdate=lt1950-01-01')}`, tokens.full);
        expect(older.files.get('Patient')).to.have.length(3);
        const compartment = await exportAll('/Patient/$export', tokens.full);
        expect([...compartment.files.keys()].sort()).to.deep.equal(['Immunization', 'Patient']);
        const selected = await call('POST', '/Patient/$cohort', tokens.full, {
            async: false,
            body: {
                resourceType: 'Parameters',
                parameter: [
                    { name: 'mode', valueCode: 'select' },
                    { name: 'age-from', valueInteger: 80 },
                    { name: 'name', valueString: 'Over 80s' },
                ],
            },
        });
        expect(selected.status, selected.text).to.be.oneOf([200, 201]);
        const group = JSON.parse(selected.text);
        const groupId = group.resourceType === 'Group'
            ? group.id
            : group.parameter.find((p) => p.name === 'group').valueReference.reference.split('/')[1];
        const members = await exportAll(`/Group/${groupId}/$export`, tokens.full);
        expect(members.files.get('Patient')).to.have.length(3);
        expect(members.files.get('Immunization')).to.have.length(3);
    });
    it('when a kick-off, a poll or a download is wrong or not the client’s, then it is refused and nothing is disclosed', async () => {
        const noPrefer = await call('GET', '/$export', tokens.full, { async: false });
        expect(noPrefer.status).to.equal(400);
        expect((await call('GET', '/$export', tokens.none)).status).to.equal(403);
        expect((await call('GET', '/$export?_type=Consent', tokens.research)).status).to.equal(400);
        expect((await call('GET', '/$export?_outputFormat=text/csv', tokens.full)).status).to.equal(400);
        expect((await call('GET', '/$export?_since=yesterday', tokens.full)).status).to.equal(400);
        expect(errorCode(JSON.parse((await call('GET', `/$export?_typeFilter=${encodeURIComponent('Patient?shoe=9')}`, tokens.full))
            .text))).to.equal('invalid-request');
        const kickOff = await call('GET', '/$export?_type=Patient', tokens.full);
        const status = kickOff.headers.get('content-location');
        const manifest = await eventually(async () => {
            const polled = await call('GET', status, tokens.full);
            expect(polled.status).to.equal(200);
            return JSON.parse(polled.text);
        }, 20_000);
        // another client: neither the status nor the file exists for it
        expect((await call('GET', status, tokens.other)).status).to.equal(404);
        expect((await call('GET', manifest.output[0].url, tokens.other)).status).to.equal(404);
        expect((await call('DELETE', status, tokens.other)).status).to.equal(404);
        expect((await call('DELETE', status, tokens.full)).status).to.equal(202);
        expect((await call('GET', status, tokens.full)).status).to.equal(404);
        expect((await call('GET', manifest.output[0].url, tokens.full)).status).to.equal(404);
    });
});
//# sourceMappingURL=export.test.js.map
import { expect } from 'chai';
import { immunization, nhsNumber, patient } from '../../fixtures/records.js';
import { MongoRepository } from '../../src/store/mongo-repository.js';
import { SearchValues } from '../../src/store/reindex.js';
import { SNOMED_SYSTEM } from '../../src/shared/snomed.js';
import { caller, errorCode, eventually, extraServer, registerClient, requestToken, tokenFor, } from './harness.js';
let server;
const tokens = { full: '', flu: '', covidAndFluReader: '', mmrAgency: '' };
const as = (token) => caller(() => server, token);
const full = as(() => tokens.full);
const flu = as(() => tokens.flu);
const reader = as(() => tokens.covidAndFluReader);
const FLU_VACCINE = { system: SNOMED_SYSTEM, code: '36509011000001106', display: 'Flucelvax Tetra' };
const MMR_DISEASES = ['14189004', '36989005', '36653000'];
const fluRecord = (patientId, extra = {}) => immunization(patientId, {
    vaccineCode: { coding: [FLU_VACCINE] },
    protocolApplied: [
        { doseNumberPositiveInt: 1, targetDisease: [{ coding: [{ system: SNOMED_SYSTEM, code: '6142004' }] }] },
    ],
    ...extra,
});
const mmrRecord = (patientId) => immunization(patientId, {
    vaccineCode: { coding: [{ system: SNOMED_SYSTEM, code: '61153008', display: 'MMR vaccine' }] },
    protocolApplied: [
        {
            doseNumberPositiveInt: 1,
            targetDisease: MMR_DISEASES.map((code) => ({ coding: [{ system: SNOMED_SYSTEM, code }] })),
        },
    ],
});
const ids = (bundle, type = 'Immunization') => (bundle.entry ?? [])
    .map((e) => e.resource)
    .filter((r) => r.resourceType === type)
    .map((r) => r.id)
    .sort();
describe('Permissions per vaccine type (programme-narrowed scopes)', function () {
    this.timeout(60_000);
    let person;
    const records = { covid: '', flu: '', fluByVaccine: '', mmr: '' };
    before(async () => {
        server = await extraServer({ MONGODB_DB: 'nims_programme_test' });
        tokens.full = await tokenFor('system/*.cruds', undefined, server);
        tokens.flu = await tokenFor('system/Patient.rs system/Immunization.cruds?programme=flu', undefined, server);
        tokens.covidAndFluReader = await tokenFor('system/Patient.rs system/Immunization.rs?programme=covid-19 system/Immunization.rs?programme=flu system/Observation.rs', undefined, server);
        tokens.mmrAgency = await tokenFor('system/Patient.rs system/Immunization.rs?programme=mmr nims-export/full', undefined, server);
        person = (await full('POST', '/Patient', {
            ...patient(1),
            identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber(1, 61) }],
        })).body;
        const made = async (record) => (await full('POST', '/Immunization', record)).body.id;
        records.covid = await made(immunization(person.id));
        records.flu = await made(fluRecord(person.id));
        // no target disease: the programme comes from what the vaccine protects against
        records.fluByVaccine = await made(fluRecord(person.id, { protocolApplied: [{ doseNumberPositiveInt: 2 }] }));
        records.mmr = await made(mmrRecord(person.id));
    });
    after(() => server?.stop());
    it('when a client registered for flu asks for all Immunization permissions, then its token says flu only', async () => {
        const registered = await registerClient({ scopes: 'system/Immunization.cruds?programme=flu' }, server);
        const { status, body } = await requestToken(registered, 'system/Immunization.rs system/Patient.rs');
        expect(status).to.equal(200);
        expect(body.scope).to.equal('system/Immunization.rs?programme=flu');
    });
    it('when records are searched by programme, then the programme comes from target disease or else vaccine', async () => {
        const found = await full('GET', `/Immunization?patient=${person.id}&programme=flu`);
        expect(ids(found.body)).to.deep.equal([records.flu, records.fluByVaccine].sort());
        const mmr = await full('GET', `/Immunization?patient=${person.id}&programme=mmr`);
        expect(ids(mmr.body)).to.deep.equal([records.mmr]);
    });
    it('when a flu-only client searches or reads, then it sees flu records only and others are 403', async () => {
        const found = await flu('GET', `/Immunization?patient=${person.id}`);
        expect(found.status).to.equal(200);
        expect(ids(found.body)).to.deep.equal([records.flu, records.fluByVaccine].sort());
        expect((await flu('GET', `/Immunization/${records.flu}`)).status).to.equal(200);
        const refused = await flu('GET', `/Immunization/${records.covid}`);
        expect(refused.status).to.equal(403);
        expect(errorCode(refused.body)).to.equal('forbidden');
        expect((await flu('GET', `/Immunization/${records.covid}/_history/1`)).status).to.equal(403);
        expect((await flu('GET', `/Immunization/${records.mmr}/_history`)).status).to.equal(403);
        expect((await flu('GET', `/Immunization/${records.flu}/_history`)).status).to.equal(200);
        // type history would show every programme's records
        expect((await flu('GET', '/Immunization/_history')).status).to.equal(403);
    });
    it('when a narrowed client includes Immunizations, then only its programmes come with the patient', async () => {
        const found = await reader('GET', `/Patient?_id=${person.id}&_revinclude=Immunization:patient`);
        expect(found.status).to.equal(200);
        expect(ids(found.body)).to.deep.equal([records.covid, records.flu, records.fluByVaccine].sort());
        expect(ids(found.body, 'Patient')).to.deep.equal([person.id]);
    });
    it("when a flu-only client writes another programme's record, then it is 403 and nothing changes", async () => {
        const create = await flu('POST', '/Immunization', immunization(person.id));
        expect(create.status).to.equal(403);
        expect(errorCode(create.body)).to.equal('forbidden');
        const stored = (await full('GET', `/Immunization/${records.covid}`)).body;
        expect((await flu('PUT', `/Immunization/${records.covid}`, { ...stored, lotNumber: 'X' })).status).to.equal(403);
        expect((await flu('PATCH', `/Immunization/${records.covid}`, [{ op: 'replace', path: '/lotNumber', value: 'X' }], 'application/json-patch+json')).status).to.equal(403);
        expect((await flu('DELETE', `/Immunization/${records.mmr}`)).status).to.equal(403);
        // nor may it turn its own flu record into a COVID-19 one
        const own = (await full('GET', `/Immunization/${records.flu}`)).body;
        const turned = await flu('PUT', `/Immunization/${records.flu}`, {
            ...immunization(person.id),
            id: own.id,
        });
        expect(turned.status).to.equal(403);
        const patched = await flu('PATCH', `/Immunization/${records.fluByVaccine}`, [{ op: 'replace', path: '/vaccineCode', value: immunization(person.id).vaccineCode }], 'application/json-patch+json');
        expect(patched.status).to.equal(403);
        // a conditional update that cannot see the COVID-19 record makes none either
        const conditional = await flu('PUT', `/Immunization?_id=${records.covid}`, { ...stored, id: undefined });
        expect(conditional.status).to.equal(403);
        expect((await full('GET', `/Immunization/${records.covid}`)).body.meta.versionId).to.equal('1');
        expect((await full('GET', `/Immunization/${records.mmr}`)).body.meta.versionId).to.equal('1');
        expect((await full('GET', `/Immunization/${records.flu}`)).body.meta.versionId).to.equal('1');
    });
    it('when a flu-only client writes flu records, then create, update, patch and delete work', async () => {
        const created = await flu('POST', '/Immunization', fluRecord(person.id, { lotNumber: 'FLU1' }));
        expect(created.status).to.equal(201);
        const record = created.body;
        expect((await flu('PUT', `/Immunization/${record.id}`, { ...record, lotNumber: 'FLU2' })).status).to.equal(200);
        const patched = await flu('PATCH', `/Immunization/${record.id}`, [{ op: 'replace', path: '/lotNumber', value: 'FLU3' }], 'application/json-patch+json');
        expect(patched.status).to.equal(200);
        expect((await flu('DELETE', `/Immunization/${record.id}`)).status).to.equal(200);
    });
    it('when a transaction holds one record of a programme the client may not write, then nothing is kept', async () => {
        const bundle = {
            resourceType: 'Bundle',
            type: 'transaction',
            entry: [
                {
                    request: { method: 'POST', url: 'Immunization' },
                    resource: fluRecord(person.id, { lotNumber: 'TX1' }),
                },
                {
                    request: { method: 'POST', url: 'Immunization' },
                    resource: immunization(person.id, { lotNumber: 'TX2' }),
                },
            ],
        };
        const answer = await flu('POST', '/', bundle);
        expect(answer.status).to.equal(403);
        const kept = await full('GET', `/Immunization?patient=${person.id}&lot-number=TX1`);
        expect(ids(kept.body)).to.deep.equal([]);
        const batch = await flu('POST', '/', { ...bundle, type: 'batch' });
        const statuses = (batch.body.entry ?? []).map((e) => e.response?.status);
        expect(statuses.map((s) => s?.slice(0, 3))).to.deep.equal(['201', '403']);
    });
    it('when a narrowed client asks for a status, then it gets its programmes only', async () => {
        const answer = await reader('GET', `/Patient/$immunization-status?patient=${person.id}`);
        expect(answer.status).to.equal(200);
        const programmes = (answer.body.parameter ?? [])
            .filter((p) => p.name === 'programme')
            .map((p) => p.part.find((q) => q.name === 'code').valueCode);
        expect(programmes).to.deep.equal(['covid-19', 'flu']);
        const references = JSON.stringify(answer.body);
        expect(references).to.not.include(records.mmr);
    });
    it('when an agency narrowed to MMR exports, then its Immunization file holds MMR records only', async () => {
        const get = (url) => fetch(url, { headers: { authorization: `Bearer ${tokens.mmrAgency}`, prefer: 'respond-async' } });
        const kickOff = await get(`${server.url}/$export?_type=Immunization`);
        expect(kickOff.status).to.equal(202);
        const manifest = await eventually(async () => {
            const polled = await get(kickOff.headers.get('content-location'));
            expect(polled.status).to.equal(200);
            return (await polled.json());
        }, 20_000);
        const file = await (await get(manifest.output.find((o) => o.type === 'Immunization').url)).text();
        const exported = file
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line).id);
        expect(exported).to.deep.equal([records.mmr]);
    });
    it('when search values are missing for the programme parameter, then a start works them out again', async () => {
        const db = server.database.db;
        await db
            .collection('Immunization')
            .updateMany({}, { $unset: { 'idx.programme': '', 'idx.programme:code': '', 'idx.programme:text': '' } });
        expect(ids((await full('GET', `/Immunization?programme=mmr`)).body)).to.deep.equal([]);
        await db.collection('search_parameters').deleteOne({ _id: 'Immunization' });
        const values = new SearchValues(db, new MongoRepository(db));
        await values.start(['Immunization']);
        expect([...values.pending]).to.deep.equal(['Immunization']);
        await values.settled();
        expect(values.pending.size).to.equal(0);
        expect(ids((await full('GET', `/Immunization?programme=mmr`)).body)).to.deep.equal([records.mmr]);
        // and once done, a start finds nothing to do
        const again = new SearchValues(db, new MongoRepository(db));
        await again.start(['Immunization']);
        expect(again.pending.size).to.equal(0);
    });
});
//# sourceMappingURL=programme-permissions.test.js.map
import { expect } from 'chai';
import { correction, immunization, nhsNumber, patient, reaction } from '../../fixtures/records.js';
import { preferenceConsent } from '../../src/preferences/consent.js';
import { CODE_SYSTEMS } from '../../src/resources/extensions.js';
import { caller, errorCode, extraServer, tokenFor } from './harness.js';
let server;
const tokens = { full: '', dataQuality: '', reader: '' };
const full = caller(() => server, () => tokens.full);
const dq = caller(() => server, () => tokens.dataQuality);
const NHS = 'https://fhir.nhs.uk/Id/nhs-number';
const param = (body, name) => body.parameter.filter((p) => p.name === name);
const entries = (bundle) => (bundle.entry ?? []).map((e) => e.resource);
describe('NHS number changes and merges (Patient/$merge, $unmerge)', function () {
    this.timeout(60_000);
    let source;
    let target;
    const onSource = {};
    before(async () => {
        server = await extraServer({ MONGODB_DB: 'nims_merge_test' });
        tokens.full = await tokenFor('system/*.cruds', undefined, server);
        tokens.reader = await tokenFor('system/Patient.rs', undefined, server);
        tokens.dataQuality = await tokenFor('system/Patient.crus system/Immunization.cruds system/Task.cruds system/Observation.rs system/Provenance.crs', undefined, server);
        const person = (n) => ({
            ...patient(n, 81),
            identifier: [{ system: NHS, value: nhsNumber(n, 81) }],
        });
        source = (await full('POST', '/Patient', person(1))).body;
        target = (await full('POST', '/Patient', person(2))).body;
        const made = async (resource) => {
            const created = await full('POST', `/${resource.resourceType}`, resource);
            expect(created.status, JSON.stringify(created.body)).to.equal(201);
            return created.body.id;
        };
        onSource.Immunization = await made(immunization(source.id));
        onSource.Observation = await made({ ...reaction(source.id) });
        onSource.Communication = await made({
            resourceType: 'Communication',
            status: 'completed',
            subject: { reference: `Patient/${source.id}` },
            payload: [{ contentString: 'Your COVID-19 vaccination is due' }],
        });
        onSource.Task = await made(correction('add-vaccination', source.id, { proposed: immunization(source.id, { lotNumber: 'T1' }) }));
        onSource.Appointment = await made({
            resourceType: 'Appointment',
            status: 'booked',
            start: '2027-01-10T10:00:00Z',
            end: '2027-01-10T10:10:00Z',
            serviceType: [{ coding: [{ system: CODE_SYSTEMS.programme, code: 'covid-19' }] }],
            participant: [{ actor: { reference: `Patient/${source.id}` }, status: 'accepted' }],
        });
        // the two records hold preferences that disagree
        onSource.Consent = await made(preferenceConsent(source, 'deny', new Date(Date.now() - 60_000)));
        await made(preferenceConsent(target, 'permit', new Date(Date.now() - 120_000)));
        // and the same vaccination recorded on both (one programme, one day)
        await made(immunization(target.id, { lotNumber: 'DUP' }));
    });
    after(() => server?.stop());
    let provenance = '';
    const cohortChunk = () => server.database.db
        .collection('cohort_members')
        .findOne({ _id: 'merge-test/0' });
    it('when a superseded NHS number is merged into its successor, then every record moves, with history, and the old number still finds the person', async () => {
        // a cohort selected before the merge holds the retired record
        await server.database.db
            .collection('cohort_members')
            .insertOne({ _id: 'merge-test/0', group: 'merge-test', chunk: 0, patients: ['someone', source.id] });
        const merged = await dq('POST', '/Patient/$merge', {
            resourceType: 'Parameters',
            parameter: [
                {
                    name: 'source-patient-identifier',
                    valueIdentifier: { system: NHS, value: source.identifier[0].value },
                },
                { name: 'target-patient', valueReference: { reference: `Patient/${target.id}` } },
                { name: 'reason', valueString: 'NHS number superseded (register feed)' },
            ],
        });
        expect(merged.status, JSON.stringify(merged.body)).to.equal(200);
        const survivor = param(merged.body, 'result')[0].resource;
        expect(survivor.identifier).to.deep.include({
            system: NHS,
            value: source.identifier[0].value,
            use: 'old',
        });
        expect(survivor.link).to.deep.equal([{ other: { reference: `Patient/${source.id}` }, type: 'replaces' }]);
        const retired = (await full('GET', `/Patient/${source.id}`)).body;
        expect(retired.active).to.equal(false);
        expect(retired.link).to.deep.equal([
            { other: { reference: `Patient/${target.id}` }, type: 'replaced-by' },
        ]);
        provenance = param(merged.body, 'provenance')[0].valueReference.reference;
        expect(param(merged.body, 'moved')
            .map((p) => p.valueReference.reference)
            .sort()).to.deep.equal(Object.entries(onSource)
            .map(([type, id]) => `${type}/${id}`)
            .sort());
        for (const [type, id] of Object.entries(onSource)) {
            const moved = (await full('GET', `/${type}/${id}`)).body;
            expect(moved.meta.versionId, type).to.equal('2');
            expect(JSON.stringify(moved), type).to.not.include(`Patient/${source.id}`);
            expect(JSON.stringify(moved), type).to.include(`Patient/${target.id}`);
            // what it was stays in history
            const first = (await full('GET', `/${type}/${id}/_history/1`)).body;
            expect(JSON.stringify(first), type).to.include(`Patient/${source.id}`);
        }
        // searches by the old number find the surviving record (and the retired one, which links to it)
        const found = entries((await full('GET', `/Patient?identifier=${NHS}|${source.identifier[0].value}`)).body);
        expect(found.map((p) => p.id).sort()).to.deep.equal([source.id, target.id].sort());
        const records = entries((await full('GET', `/Immunization?patient.identifier=${NHS}|${target.identifier[0].value}`)).body);
        expect(records).to.have.length(2);
        expect((await cohortChunk()).patients).to.deep.equal(['someone', target.id]);
        // the register feed loading the retired number is told to use the current record
        const load = await full('POST', '/Patient/$load', `${JSON.stringify({ ...source, id: undefined, meta: undefined })}\n`, 'application/fhir+ndjson');
        expect(JSON.stringify(load.body)).to.match(/superseded by a merge/);
        // the Provenance names every version the merge wrote, and who asked
        const record = (await full('GET', `/${provenance}`)).body;
        expect(record.activity.coding[0].code).to.equal('merge');
        expect(record.target).to.have.length(2 + Object.keys(onSource).length);
        expect(record.reason[0].text).to.equal('NHS number superseded (register feed)');
    });
    it('when the merged records disagree or repeat, then Tasks for the data-quality team say so rather than a silent choice', async () => {
        const tasks = entries((await full('GET', `/Task?patient=Patient/${target.id}`)).body);
        const codes = tasks.map((t) => t.code?.coding?.[0]?.code);
        expect(codes).to.include('merge-conflict');
        expect(codes).to.include('vaccination-anomaly');
        const conflict = tasks.find((t) => t.code?.coding?.[0]?.code === 'merge-conflict');
        expect(conflict.input.map((i) => i.valueReference.reference)).to.have.length(2);
        // both preferences are still there, neither withdrawn
        const consents = entries((await full('GET', `/Consent?patient=Patient/${target.id}`)).body);
        expect(consents.map((c) => c.status)).to.deep.equal(['active', 'active']);
    });
    it('when a merge is refused, then nothing changes', async () => {
        const again = await dq('POST', '/Patient/$merge', {
            resourceType: 'Parameters',
            parameter: [
                { name: 'source-patient', valueReference: { reference: `Patient/${source.id}` } },
                { name: 'target-patient', valueReference: { reference: `Patient/${target.id}` } },
            ],
        });
        expect(again.status).to.equal(400);
        const self = await dq('POST', '/Patient/$merge', {
            resourceType: 'Parameters',
            parameter: [
                { name: 'source-patient', valueReference: { reference: `Patient/${target.id}` } },
                { name: 'target-patient', valueReference: { reference: `Patient/${target.id}` } },
            ],
        });
        expect(self.status).to.equal(400);
        const forbidden = await caller(() => server, () => tokens.reader)('POST', '/Patient/$merge', { resourceType: 'Parameters' });
        expect([401, 403]).to.include(forbidden.status);
        expect(errorCode(self.body)).to.equal('invalid-request');
    });
    it('when the data-quality team undoes the merge, then the records go back, with history', async () => {
        const undone = await dq('POST', '/Patient/$unmerge', {
            resourceType: 'Parameters',
            parameter: [{ name: 'merge', valueReference: { reference: provenance } }],
        });
        expect(undone.status, JSON.stringify(undone.body)).to.equal(200);
        const restored = (await full('GET', `/Patient/${source.id}`)).body;
        expect(restored.active).to.equal(undefined);
        expect(restored.link).to.equal(undefined);
        const survivor = (await full('GET', `/Patient/${target.id}`)).body;
        expect(survivor.identifier.map((i) => i.value)).to.deep.equal([target.identifier[0].value]);
        expect(survivor.link).to.equal(undefined);
        for (const [type, id] of Object.entries(onSource)) {
            const back = (await full('GET', `/${type}/${id}`)).body;
            expect(back.meta.versionId, type).to.equal('3');
            expect(JSON.stringify(back), type).to.include(`Patient/${source.id}`);
        }
        expect((await cohortChunk()).patients).to.deep.equal(['someone', source.id]);
        const twice = await dq('POST', '/Patient/$unmerge', {
            resourceType: 'Parameters',
            parameter: [{ name: 'merge', valueReference: { reference: provenance } }],
        });
        expect(twice.status).to.equal(400);
    });
});
//# sourceMappingURL=merge.test.js.map
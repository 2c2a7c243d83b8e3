import { expect } from 'chai';
import { correction, immunization, nhsNumber } from '../../fixtures/records.js';
import { startFakeGpSystem } from '../fakes/gp-system.js';
import { caller, errorCode, eventually, extraServer, ruleKeys, tokenFor } from './harness.js';
const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';
let server;
let practice;
const tokens = { helpline: '', dataQuality: '', admin: '' };
const asHelpline = caller(() => server, () => tokens.helpline);
const asDataQuality = caller(() => server, () => tokens.dataQuality);
const asAdmin = caller(() => server, () => tokens.admin);
const step = (status, reason) => ({
    resourceType: 'Parameters',
    parameter: [
        { name: 'status', valueCode: status },
        ...(reason ? [{ name: 'reason', valueString: reason }] : []),
        { name: 'agent', valueString: 'Dana Quality' },
    ],
});
/** Moves a Task through the steps given, each expected to succeed; answers the Task after the last. */
async function advance(id, ...statuses) {
    let task;
    for (const status of statuses) {
        const answer = await asDataQuality('POST', `/Task/${id}/$transition`, step(status));
        expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
        task = answer.body;
    }
    return task;
}
/** The actions of the messages the practice got about one record, in order. */
function messagesAbout(id) {
    return practice.messages.flatMap((bundle) => {
        const header = bundle.entry[0].resource;
        const focus = bundle.entry.find((e) => e.fullUrl === header.focus[0].reference).resource;
        return focus.id === id ? [header.reason.coding[0].code] : [];
    });
}
describe('corrections of vaccination records as Tasks (data resolution)', function () {
    this.timeout(60_000);
    let patientId = '';
    let otherPatientId = '';
    before(async () => {
        practice = await startFakeGpSystem();
        server = await extraServer({ MONGODB_DB: 'nims_corrections_test' });
        tokens.helpline = await tokenFor('system/Patient.rs system/Immunization.rs system/Task.crs', undefined, server);
        tokens.dataQuality = await tokenFor('system/Patient.crus system/Immunization.cruds system/Task.cruds system/Provenance.crs', undefined, server);
        tokens.admin = await tokenFor('system/*.cruds', undefined, server);
        const endpoint = {
            resourceType: 'Endpoint',
            status: 'active',
            connectionType: {
                system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type',
                code: 'hl7-fhir-msg',
            },
            payloadType: [{ text: 'Vaccination record changes' }],
            address: practice.url,
            managingOrganization: { identifier: { system: ODS, value: 'C81007' } },
        };
        expect((await asAdmin('POST', '/Endpoint', endpoint)).status).to.equal(201);
        const person = (n) => ({
            resourceType: 'Patient',
            identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber(n, 91) }],
            name: [{ family: 'Corrected', given: ['Casey'] }],
            birthDate: '1950-03-04',
            generalPractitioner: [{ identifier: { system: ODS, value: 'C81007' } }],
        });
        patientId = (await asAdmin('POST', '/Patient', person(1))).body.id;
        otherPatientId = (await asAdmin('POST', '/Patient', person(2))).body.id;
    });
    after(async () => {
        await server?.stop();
        await practice.close();
    });
    it('when a missing vaccination is added through the workflow, then the record, its Provenance and the GP message follow, and it cannot complete twice', async () => {
        const proposed = immunization(patientId, { lotNumber: 'ADD001' });
        const opened = await asHelpline('POST', '/Task', correction('add-vaccination', patientId, { proposed, reason: 'Given at a pharmacy, not recorded' }));
        expect(opened.status, JSON.stringify(opened.body)).to.equal(201);
        const id = opened.body.id;
        // a helpline agent opens corrections; the data-quality team moves them
        expect((await asHelpline('POST', `/Task/${id}/$transition`, step('accepted'))).status).to.equal(403);
        const done = await advance(id, 'accepted', 'in-progress', 'completed');
        expect(done.status).to.equal('completed');
        expect(done.note.map((n) => n.text)).to.deep.equal(['accepted', 'in-progress', 'completed']);
        expect(done.note[0].authorString).to.equal('Dana Quality');
        const [record = '', provenance = ''] = done.output.map((o) => o.valueReference.reference);
        expect(record).to.match(/^Immunization\/[0-9a-f-]{36}\/_history\/1$/);
        const written = (await asAdmin('GET', `/${record}`)).body;
        expect(written).to.deep.include({ lotNumber: 'ADD001', patient: { reference: `Patient/${patientId}` } });
        const prov = (await asDataQuality('GET', `/${provenance}`)).body;
        expect(prov.target).to.deep.equal([{ reference: record }]);
        expect(prov.entity).to.deep.equal([{ role: 'source', what: { reference: `Task/${id}` } }]);
        expect(prov.activity.coding[0].code).to.equal('CREATE');
        expect(prov.reason[0].text).to.equal('Given at a pharmacy, not recorded');
        expect(prov.agent[0].who.display).to.equal('Dana Quality');
        const byTask = (await asDataQuality('GET', `/Provenance?entity=Task/${id}`)).body;
        expect(byTask.entry).to.have.length(1);
        await eventually(() => Promise.resolve(expect(messagesAbout(written.id)).to.deep.equal(['new'])), 10_000);
        const again = await asDataQuality('POST', `/Task/${id}/$transition`, step('completed'));
        expect(again.status).to.equal(409);
        expect(errorCode(again.body)).to.equal('transition-not-allowed');
        expect((await asAdmin('GET', `/${record.split('/_history')[0]}`)).body.meta.versionId).to.equal('1');
    });
    it('when a wrong record is amended or deleted, then a new version or a deletion is written with its Provenance and the practice is told', async () => {
        const wrong = (await asAdmin('POST', '/Immunization', immunization(patientId, { lotNumber: 'WRONG' })))
            .body;
        const amended = { ...wrong, lotNumber: 'RIGHT' };
        delete amended.meta;
        const amend = await asHelpline('POST', '/Task', correction('amend-vaccination', patientId, { focus: wrong.id, proposed: amended }));
        expect(amend.status, JSON.stringify(amend.body)).to.equal(201);
        const amendedTask = await advance(amend.body.id, 'accepted', 'in-progress', 'completed');
        expect(amendedTask.output[0].valueReference.reference).to.equal(`Immunization/${wrong.id}/_history/2`);
        expect((await asAdmin('GET', `/Immunization/${wrong.id}`)).body.lotNumber).to.equal('RIGHT');
        const remove = await asHelpline('POST', '/Task', correction('delete-vaccination', patientId, {
            focus: wrong.id,
            reason: 'Recorded for the wrong person',
        }));
        expect(remove.status, JSON.stringify(remove.body)).to.equal(201);
        const removed = await advance(remove.body.id, 'accepted', 'in-progress', 'completed');
        expect((await asAdmin('GET', `/Immunization/${wrong.id}`)).status).to.equal(410);
        const prov = (await asAdmin('GET', `/${removed.output[1].valueReference.reference}`))
            .body;
        expect(prov.activity.coding[0].code).to.equal('DELETE');
        expect(prov.reason[0].text).to.equal('Recorded for the wrong person');
        await eventually(() => Promise.resolve(expect(messagesAbout(wrong.id)).to.deep.equal(['new', 'update', 'delete'])), 10_000);
    });
    it('when clients try to bypass or misuse the workflow, then each is refused and nothing changes', async () => {
        const opened = await asHelpline('POST', '/Task', correction('delete-vaccination', patientId));
        // a deletion without the record to delete breaks the profile
        expect(opened.status).to.equal(422);
        expect(ruleKeys(opened.body)).to.include('correction-focus');
        const record = (await asAdmin('POST', '/Immunization', immunization(patientId))).body;
        const someoneElses = await asHelpline('POST', '/Task', correction('delete-vaccination', otherPatientId, { focus: record.id }));
        expect(someoneElses.status).to.equal(404);
        const unknownPerson = await asHelpline('POST', '/Task', correction('add-vaccination', 'nobody', {
            proposed: immunization('nobody'),
        }));
        expect(errorCode(unknownPerson.body)).to.equal('unknown-patient');
        const invalid = await asHelpline('POST', '/Task', correction('add-vaccination', patientId, {
            proposed: { ...immunization(patientId), occurrenceDateTime: undefined },
        }));
        expect(invalid.status).to.equal(422);
        expect(ruleKeys(invalid.body)).to.include('correction-proposed-record');
        const alreadyDone = await asHelpline('POST', '/Task', {
            ...correction('delete-vaccination', patientId, { focus: record.id }),
            status: 'completed',
        });
        expect(errorCode(alreadyDone.body)).to.equal('workflow-managed');
        const anomaly = await asAdmin('POST', '/Task', {
            ...correction('delete-vaccination', patientId, { focus: record.id }),
            code: {
                coding: [
                    { system: 'https://nims.example.org/fhir/CodeSystem/task-type', code: 'vaccination-anomaly' },
                ],
            },
        });
        expect(errorCode(anomaly.body)).to.equal('workflow-managed');
        const task = (await asHelpline('POST', '/Task', correction('delete-vaccination', patientId, { focus: record.id }))).body;
        const path = `/Task/${task.id}`;
        for (const [method, body] of [
            ['PUT', { ...task, status: 'completed' }],
            ['PATCH', [{ op: 'replace', path: '/status', value: 'completed' }]],
            ['DELETE', undefined],
        ]) {
            const type = method === 'PATCH' ? 'application/json-patch+json' : undefined;
            const refused = await asAdmin(method, path, body, type);
            expect(refused.status, method).to.equal(422);
            expect(errorCode(refused.body)).to.equal('workflow-managed');
        }
        const skipped = await asDataQuality('POST', `${path}/$transition`, step('completed'));
        expect(errorCode(skipped.body)).to.equal('transition-not-allowed');
        const noReason = await asDataQuality('POST', `${path}/$transition`, {
            resourceType: 'Parameters',
            parameter: [{ name: 'status', valueCode: 'rejected' }],
        });
        expect(noReason.status).to.equal(400);
        const stale = await asDataQuality('POST', `${path}/$transition`, step('accepted'), undefined, {
            'if-match': 'W/"7"',
        });
        expect(stale.status).to.equal(412);
        const rejected = await asDataQuality('POST', `${path}/$transition`, step('rejected', 'The record is right'));
        expect(rejected.status).to.equal(200);
        expect(rejected.body.statusReason.text).to.equal('The record is right');
        expect((await asAdmin('GET', `/Immunization/${record.id}`)).status).to.equal(200);
    });
    it('when two people complete the same correction at once, then one wins and the record is written once', async () => {
        const task = (await asHelpline('POST', '/Task', correction('add-vaccination', patientId, {
            proposed: immunization(patientId, { lotNumber: 'RACE01' }),
        }))).body;
        const ready = await advance(task.id, 'accepted', 'in-progress');
        const ifMatch = { 'if-match': `W/"${ready.meta.versionId}"` };
        const answers = await Promise.all([1, 2, 3].map(() => asDataQuality('POST', `/Task/${task.id}/$transition`, step('completed'), undefined, ifMatch)));
        const statuses = answers.map((a) => a.status).sort();
        expect(statuses.filter((s) => s === 200)).to.have.length(1);
        for (const s of statuses.filter((s) => s !== 200))
            expect(s).to.be.oneOf([409, 412]);
        const winner = answers.find((a) => a.status === 200).body;
        const record = winner.output[0].valueReference.reference.split('/_history')[0];
        const history = (await asAdmin('GET', `/${record}/_history`)).body;
        expect(history.entry).to.have.length(1);
    });
});
//# sourceMappingURL=corrections.test.js.map
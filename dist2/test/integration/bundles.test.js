import { expect } from 'chai';
import { immunization, patient } from '../../fixtures/records.js';
import { NHS_NUMBER_SYSTEM } from '../../src/shared/nhs-number.js';
import { asBody, client, create, errorCode, http } from './harness.js';
async function countByNhs(nhs) {
    const response = await http('GET', `/Patient?identifier=${NHS_NUMBER_SYSTEM}|${nhs}`);
    return response.body.total ?? -1;
}
describe('batch and transaction', () => {
    it('when a transaction creates a patient and a record linked by urn:uuid, then the reference is resolved', async () => {
        const fhir = await client();
        const bundle = {
            resourceType: 'Bundle',
            type: 'transaction',
            entry: [
                {
                    fullUrl: 'urn:uuid:8a7b3c1e-0000-4000-8000-000000000001',
                    resource: patient(201),
                    request: { method: 'POST', url: 'Patient' },
                },
                {
                    fullUrl: 'urn:uuid:8a7b3c1e-0000-4000-8000-000000000002',
                    resource: immunization('placeholder', {
                        patient: { reference: 'urn:uuid:8a7b3c1e-0000-4000-8000-000000000001' },
                    }),
                    request: { method: 'POST', url: 'Immunization' },
                },
            ],
        };
        const response = (await fhir.transaction({ body: asBody(bundle) }));
        expect(response.type).to.equal('transaction-response');
        expect(response.entry?.map((e) => e.response?.status)).to.deep.equal(['201 Created', '201 Created']);
        const created = response.entry[0].resource;
        const record = response.entry[1].resource;
        expect(record.patient.reference).to.equal(`Patient/${created.id}`);
        expect(response.entry[1].response.location).to.match(/^Immunization\/[^/]+\/_history\/1$/);
    });
    it('when a transaction entry is invalid, then nothing is written and the answer names the entry', async () => {
        const nhs = patient(202).identifier[0].value;
        const response = await http('POST', '/', {
            body: {
                resourceType: 'Bundle',
                type: 'transaction',
                entry: [
                    { resource: patient(202), request: { method: 'POST', url: 'Patient' } },
                    {
                        resource: { resourceType: 'Patient', birthDate: 'not-a-date' },
                        request: { method: 'POST', url: 'Patient' },
                    },
                ],
            },
        });
        expect(response.status).to.equal(422);
        expect(JSON.stringify(response.body)).to.contain('Bundle.entry[1]');
        expect(await countByNhs(nhs)).to.equal(0);
    });
    it('when a transaction fails halfway (a write is refused), then the writes before it are undone', async () => {
        const existing = await create(patient(203));
        const updated = { ...existing, gender: 'other' };
        const nhs = patient(204).identifier[0].value;
        const duplicateId = { system: 'https://supplier.example/tx', value: `dup-${Date.now()}` };
        const response = await http('POST', '/', {
            body: {
                resourceType: 'Bundle',
                type: 'transaction',
                entry: [
                    { resource: patient(204), request: { method: 'POST', url: 'Patient' } },
                    { resource: updated, request: { method: 'PUT', url: `Patient/${existing.id}` } },
                    {
                        resource: immunization(existing.id, { identifier: [duplicateId] }),
                        request: { method: 'POST', url: 'Immunization' },
                    },
                    {
                        resource: immunization(existing.id, { identifier: [duplicateId] }),
                        request: { method: 'POST', url: 'Immunization' },
                    },
                ],
            },
        });
        expect(response.status).to.equal(422);
        expect(errorCode(response.body)).to.equal('duplicate-identifier');
        expect(await countByNhs(nhs)).to.equal(0);
        const current = (await http('GET', `/Patient/${existing.id}`)).body;
        expect(current.gender).to.equal(existing.gender);
        expect(current.meta?.versionId).to.equal('1');
        const records = (await http('GET', `/Immunization?identifier=${duplicateId.system}|${duplicateId.value}`))
            .body;
        expect(records.total).to.equal(0);
        // the identifier is free again: its claim was released by the undo
        expect((await http('POST', '/Immunization', {
            body: immunization(existing.id, { identifier: [duplicateId] }),
        })).status).to.equal(201);
    });
    it('when a later update of a transaction is refused, then an earlier update is taken back, from its history too', async () => {
        const existing = await create(patient(231));
        const taken = { system: 'https://supplier.example/tx', value: `taken-${Date.now()}` };
        await create(immunization(existing.id, { identifier: [taken] }));
        const response = await http('POST', '/', {
            body: {
                resourceType: 'Bundle',
                type: 'transaction',
                entry: [
                    {
                        resource: { ...existing, gender: 'other' },
                        request: { method: 'PUT', url: `Patient/${existing.id}` },
                    },
                    {
                        resource: { ...immunization(existing.id, { identifier: [taken] }), id: 'tx-taken-identifier' },
                        request: { method: 'PUT', url: 'Immunization/tx-taken-identifier' },
                    },
                ],
            },
        });
        expect(response.status).to.equal(422);
        expect((await http('GET', `/Patient/${existing.id}`)).body.meta?.versionId).to.equal('1');
        // the version it wrote is not served from anywhere, the server's memory included
        expect((await http('GET', `/Patient/${existing.id}/_history/2`)).status).to.equal(404);
    });
    it('when a transaction uses If-Match with a stale version, then it fails with 412 and writes nothing', async () => {
        const existing = await create(patient(205));
        const nhs = patient(206).identifier[0].value;
        const response = await http('POST', '/', {
            body: {
                resourceType: 'Bundle',
                type: 'transaction',
                entry: [
                    { resource: patient(206), request: { method: 'POST', url: 'Patient' } },
                    { resource: existing, request: { method: 'PUT', url: `Patient/${existing.id}`, ifMatch: 'W/"7"' } },
                ],
            },
        });
        expect(response.status).to.equal(412);
        expect(await countByNhs(nhs)).to.equal(0);
    });
    it('when a transaction has a conditional create that matches, then the existing resource is used', async () => {
        const existing = await create(patient(207));
        const nhs = existing.identifier[0].value;
        const response = await http('POST', '/', {
            body: {
                resourceType: 'Bundle',
                type: 'transaction',
                entry: [
                    {
                        fullUrl: 'urn:uuid:8a7b3c1e-0000-4000-8000-000000000003',
                        resource: patient(207),
                        request: {
                            method: 'POST',
                            url: 'Patient',
                            ifNoneExist: `identifier=${NHS_NUMBER_SYSTEM}|${nhs}`,
                        },
                    },
                    {
                        resource: immunization('x', {
                            patient: { reference: 'urn:uuid:8a7b3c1e-0000-4000-8000-000000000003' },
                        }),
                        request: { method: 'POST', url: 'Immunization' },
                    },
                ],
            },
        });
        expect(response.status).to.equal(200);
        const entries = response.body.entry;
        expect(entries[0].response.status).to.equal('200 OK');
        expect(entries[1].resource.patient.reference).to.equal(`Patient/${existing.id}`);
    });
    it('when a batch mixes good and bad entries, then each succeeds or fails on its own', async () => {
        const existing = await create(patient(208));
        const response = await http('POST', '/', {
            body: {
                resourceType: 'Bundle',
                type: 'batch',
                entry: [
                    { request: { method: 'GET', url: `Patient/${existing.id}` } },
                    { request: { method: 'GET', url: 'Patient/no-such-patient' } },
                    {
                        resource: { resourceType: 'Patient', gender: 'robot' },
                        request: { method: 'POST', url: 'Patient' },
                    },
                    { request: { method: 'GET', url: `Patient?_id=${existing.id}` } },
                    { request: { method: 'DELETE', url: `Patient/${existing.id}` } },
                ],
            },
        });
        expect(response.status).to.equal(200);
        const bundle = response.body;
        expect(bundle.type).to.equal('batch-response');
        expect(bundle.entry.map((e) => e.response.status.split(' ')[0])).to.deep.equal([
            '200',
            '404',
            '422',
            '200',
            '200',
        ]);
        expect(bundle.entry[3].resource.total).to.equal(1);
    });
    it('when a transaction PATCHes with a Binary JSON Patch, then the patch applies', async () => {
        const existing = await create(patient(209));
        const data = Buffer.from(JSON.stringify([{ op: 'replace', path: '/gender', value: 'unknown' }])).toString('base64');
        const response = await http('POST', '/', {
            body: {
                resourceType: 'Bundle',
                type: 'transaction',
                entry: [
                    {
                        resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data },
                        request: { method: 'PATCH', url: `Patient/${existing.id}` },
                    },
                ],
            },
        });
        expect(response.status).to.equal(200);
        expect(response.body.entry[0].resource.gender).to.equal('unknown');
    });
    it('when the bundle is not a batch or transaction, then the answer is 400', async () => {
        const response = await http('POST', '/', { body: { resourceType: 'Bundle', type: 'collection' } });
        expect(response.status).to.equal(400);
        expect(errorCode(response.body)).to.equal('invalid-bundle');
    });
});
//# sourceMappingURL=bundles.test.js.map
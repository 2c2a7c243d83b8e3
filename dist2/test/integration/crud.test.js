import { expect } from 'chai';
import { immunization, patient } from '../../fixtures/records.js';
import { asBody, authorizedFetch, client, create, errorCode, http, statusOf } from './harness.js';
describe('FHIR interactions', () => {
    let fhir;
    before(async () => {
        fhir = await client();
    });
    describe('create and read', () => {
        it('when a Patient is created, then it gets an id, version 1, ETag, Location and Last-Modified', async () => {
            const response = await http('POST', '/Patient', { body: patient(1) });
            expect(response.status).to.equal(201);
            const body = response.body;
            expect(body.id).to.match(/^[0-9a-f-]{36}$/);
            expect(body.meta?.versionId).to.equal('1');
            expect(response.headers.get('etag')).to.equal('W/"1"');
            expect(response.headers.get('location')).to.match(new RegExp(`/fhir/Patient/${body.id}/_history/1$`));
            expect(response.headers.get('last-modified')).to.be.a('string');
            expect(response.headers.get('content-type')).to.match(/^application\/fhir\+json/);
        });
        it('when a resource is read, then it is exactly what was stored, with meta', async () => {
            const sent = patient(2);
            const created = await create(sent);
            const read = (await fhir.read({ resourceType: 'Patient', id: created.id }));
            const { id, meta, ...content } = read;
            expect(id).to.equal(created.id);
            expect(meta?.versionId).to.equal('1');
            expect(content).to.deep.equal(sent);
        });
        it('when the client sends an id on create, then the server assigns its own', async () => {
            const created = await create({ ...patient(3), id: 'chosen-by-client' });
            expect(created.id).to.not.equal('chosen-by-client');
        });
        it('when the resource does not exist, then read answers 404 with an OperationOutcome', async () => {
            const { status, data } = await statusOf(fhir.read({ resourceType: 'Patient', id: 'does-not-exist' }));
            expect(status).to.equal(404);
            expect(errorCode(data)).to.equal('not-found');
        });
        it('when If-None-Match carries the current ETag, then read answers 304', async () => {
            const created = await create(patient(4));
            const response = await http('GET', `/Patient/${created.id}`, { headers: { 'if-none-match': 'W/"1"' } });
            expect(response.status).to.equal(304);
            const changed = await http('GET', `/Patient/${created.id}`, { headers: { 'if-none-match': 'W/"0"' } });
            expect(changed.status).to.equal(200);
        });
        it('when If-Modified-Since is after the last update, then read answers 304', async () => {
            const created = await create(patient(5));
            const later = new Date(Date.now() + 60_000).toUTCString();
            expect((await http('GET', `/Patient/${created.id}`, { headers: { 'if-modified-since': later } })).status).to.equal(304);
            const earlier = new Date(Date.now() - 3_600_000).toUTCString();
            expect((await http('GET', `/Patient/${created.id}`, { headers: { 'if-modified-since': earlier } })).status).to.equal(200);
        });
    });
    describe('update, versions and history', () => {
        it('when a resource is updated, then the version increases and old versions stay readable', async () => {
            const created = await create(patient(10));
            const updated = (await fhir.update({
                resourceType: 'Patient',
                id: created.id,
                body: asBody({ ...created, gender: 'other' }),
            }));
            expect(updated.meta?.versionId).to.equal('2');
            const v1 = (await fhir.vread({
                resourceType: 'Patient',
                id: created.id,
                version: '1',
            }));
            expect(v1.gender).to.equal(created.gender);
            const history = (await fhir.history({ resourceType: 'Patient', id: created.id }));
            expect(history.type).to.equal('history');
            expect(history.entry?.map((e) => e.resource?.meta?.versionId)).to.deep.equal(['2', '1']);
            expect(history.entry?.map((e) => e.request?.method)).to.deep.equal(['PUT', 'POST']);
        });
        it('when PUT names a new id, then the resource is created with that id (update as create)', async () => {
            const response = await http('PUT', '/Patient/client-chosen-1', {
                body: { ...patient(11), id: 'client-chosen-1' },
            });
            expect(response.status).to.equal(201);
            expect(response.body.id).to.equal('client-chosen-1');
        });
        it('when If-Match names an old version, then the update answers 412 and changes nothing', async () => {
            const created = await create(patient(12));
            await fhir.update({
                resourceType: 'Patient',
                id: created.id,
                body: asBody({ ...created, gender: 'other' }),
            });
            const response = await http('PUT', `/Patient/${created.id}`, {
                body: { ...created, gender: 'unknown' },
                headers: { 'if-match': 'W/"1"' },
            });
            expect(response.status).to.equal(412);
            expect(errorCode(response.body)).to.equal('precondition-failed');
            const current = (await fhir.read({ resourceType: 'Patient', id: created.id }));
            expect(current.gender).to.equal('other');
        });
        it('when the body id differs from the URL, then the update answers 400', async () => {
            const created = await create(patient(13));
            const response = await http('PUT', `/Patient/${created.id}`, { body: { ...created, id: 'other' } });
            expect(response.status).to.equal(400);
            expect(errorCode(response.body)).to.equal('id-mismatch');
        });
        it('when the client sends meta.versionId, then the server keeps its own versioning', async () => {
            const created = await create(patient(14));
            const updated = await http('PUT', `/Patient/${created.id}`, {
                body: { ...created, meta: { versionId: '99' } },
            });
            expect(updated.body.meta?.versionId).to.equal('2');
        });
        it('when type history is asked with _since and _count, then it pages newest first', async () => {
            const since = new Date().toISOString();
            const a = await create({ resourceType: 'Location', name: 'History site A' });
            const b = await create({ resourceType: 'Location', name: 'History site B' });
            const page = (await http('GET', `/Location/_history?_since=${encodeURIComponent(since)}&_count=1`))
                .body;
            expect(page.entry?.map((e) => e.resource?.id)).to.deep.equal([b.id]);
            const next = page.link?.find((l) => l.relation === 'next')?.url;
            expect(next).to.be.a('string');
            const second = (await (await authorizedFetch(next)).json());
            expect(second.entry?.map((e) => e.resource?.id)).to.deep.equal([a.id]);
        });
        it('when whole-system history is asked, then changes of every type appear', async () => {
            const since = new Date().toISOString();
            const p = await create(patient(15));
            const o = await create({ resourceType: 'Organization', name: 'System history practice' });
            const page = (await http('GET', `/_history?_since=${encodeURIComponent(since)}`))
                .body;
            const ids = page.entry?.map((e) => `${e.resource?.resourceType}/${e.resource?.id}`);
            expect(ids).to.include.members([`Patient/${p.id}`, `Organization/${o.id}`]);
        });
    });
    describe('conditional interactions', () => {
        it('when If-None-Exist matches, then create returns the existing resource instead of a copy', async () => {
            const first = await create(patient(20));
            const nhs = first.identifier[0].value;
            const response = await http('POST', '/Patient', {
                body: patient(20),
                headers: { 'if-none-exist': `identifier=https://fhir.nhs.uk/Id/nhs-number|${nhs}` },
            });
            expect(response.status).to.equal(200);
            expect(response.body.id).to.equal(first.id);
        });
        it('when If-None-Exist matches nothing, then the resource is created', async () => {
            const response = await http('POST', '/Patient', {
                body: patient(21),
                headers: {
                    'if-none-exist': `identifier=https://fhir.nhs.uk/Id/nhs-number|${patient(21).identifier[0].value}`,
                },
            });
            expect(response.status).to.equal(201);
        });
        it('when a conditional update matches one resource, then that resource is updated', async () => {
            const first = await create(patient(22));
            const nhs = first.identifier[0].value;
            const response = await http('PUT', `/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|${nhs}`, {
                body: { ...patient(22), gender: 'unknown' },
            });
            expect(response.status).to.equal(200);
            expect(response.body.id).to.equal(first.id);
            expect(response.body.meta.versionId).to.equal('2');
        });
        it('when a conditional update matches nothing, then the resource is created', async () => {
            const nhs = patient(23).identifier[0].value;
            const response = await http('PUT', `/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|${nhs}`, {
                body: patient(23),
            });
            expect(response.status).to.equal(201);
        });
        it('when a conditional update matches several, then it answers 412', async () => {
            await create({ resourceType: 'Organization', name: 'Twin practice' });
            await create({ resourceType: 'Organization', name: 'Twin practice' });
            const response = await http('PUT', '/Organization?name:exact=Twin practice', {
                body: { resourceType: 'Organization', name: 'Twin practice' },
            });
            expect(response.status).to.equal(412);
            expect(errorCode(response.body)).to.equal('multiple-matches');
        });
        it('when a conditional delete matches one resource, then it is deleted', async () => {
            const created = await create({ resourceType: 'Organization', name: 'Closing practice' });
            const response = await http('DELETE', '/Organization?name:exact=Closing practice');
            expect(response.status).to.equal(200);
            expect((await http('GET', `/Organization/${created.id}`)).status).to.equal(410);
        });
    });
    describe('patch', () => {
        it('when a JSON Patch is sent, then the result is a new version', async () => {
            const created = await create(patient(30));
            const patched = (await fhir.patch({
                resourceType: 'Patient',
                id: created.id,
                jsonPatch: [{ op: 'replace', path: '/gender', value: 'unknown' }],
            }));
            expect(patched.gender).to.equal('unknown');
            expect(patched.meta?.versionId).to.equal('2');
        });
        it('when a patch would make the resource invalid, then it answers 422 and changes nothing', async () => {
            const created = await create(patient(31));
            const response = await http('PATCH', `/Patient/${created.id}`, {
                raw: JSON.stringify([{ op: 'replace', path: '/identifier/0/value', value: '1234567890' }]),
                headers: { 'content-type': 'application/json-patch+json' },
            });
            expect(response.status).to.equal(422);
            const current = (await fhir.read({ resourceType: 'Patient', id: created.id }));
            expect(current.meta?.versionId).to.equal('1');
        });
        it('when a patch test operation fails, then it answers 400', async () => {
            const created = await create(patient(32));
            const response = await http('PATCH', `/Patient/${created.id}`, {
                raw: JSON.stringify([{ op: 'test', path: '/gender', value: 'nonsense' }]),
                headers: { 'content-type': 'application/json-patch+json' },
            });
            expect(response.status).to.equal(400);
            expect(errorCode(response.body)).to.equal('invalid-patch');
        });
    });
    describe('delete', () => {
        it('when a resource is deleted, then read answers 410, history keeps it, and it can be created again by PUT', async () => {
            const created = await create(patient(40));
            expect((await http('DELETE', `/Patient/${created.id}`)).status).to.equal(200);
            const gone = await http('GET', `/Patient/${created.id}`);
            expect(gone.status).to.equal(410);
            expect(errorCode(gone.body)).to.equal('gone');
            const history = (await http('GET', `/Patient/${created.id}/_history`)).body;
            expect(history.entry?.map((e) => e.request?.method)).to.deep.equal(['DELETE', 'POST']);
            expect((await http('GET', `/Patient/${created.id}/_history/1`)).status).to.equal(200);
            const again = await http('PUT', `/Patient/${created.id}`, { body: created });
            expect(again.status).to.equal(201);
            expect(again.body.meta.versionId).to.equal('3');
        });
        it('when a deleted patient is searched for, then it is not found, and its NHS number is free again', async () => {
            const created = await create(patient(41));
            const nhs = created.identifier[0].value;
            await http('DELETE', `/Patient/${created.id}`);
            const search = (await http('GET', `/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|${nhs}`))
                .body;
            expect(search.total).to.equal(0);
            expect((await http('POST', '/Patient', { body: patient(41) })).status).to.equal(201);
        });
    });
    describe('Prefer', () => {
        it('when return=minimal, then a create answers without a body', async () => {
            const response = await http('POST', '/Patient', {
                body: patient(50),
                headers: { prefer: 'return=minimal' },
            });
            expect(response.status).to.equal(201);
            expect(response.body).to.deep.equal({});
            expect(response.headers.get('location')).to.be.a('string');
        });
        it('when return=OperationOutcome, then a create answers with an OperationOutcome', async () => {
            const response = await http('POST', '/Patient', {
                body: patient(51),
                headers: { prefer: 'return=OperationOutcome' },
            });
            expect(response.status).to.equal(201);
            expect(response.body.resourceType).to.equal('OperationOutcome');
        });
    });
    describe('Immunization', () => {
        it('when two records carry the same identifier, then the second is refused with 422', async () => {
            const p = await create(patient(60));
            const record = immunization(p.id, {
                identifier: [{ system: 'https://supplier.example/vacc', value: 'A-1' }],
            });
            await create(record);
            const response = await http('POST', '/Immunization', { body: record });
            expect(response.status).to.equal(422);
            expect(errorCode(response.body)).to.equal('duplicate-identifier');
        });
    });
});
//# sourceMappingURL=crud.test.js.map
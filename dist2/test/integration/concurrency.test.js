import { expect } from 'chai';
import { patient } from '../../fixtures/records.js';
import { create, errorCode, http } from './harness.js';
describe('concurrent writes', () => {
    it('when ten clients update the same version at once, then exactly one wins and the others get 409 or 412', async () => {
        const created = await create(patient(501));
        const genders = ['male', 'female', 'other', 'unknown'];
        const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => http('PUT', `/Patient/${created.id}`, {
            body: { ...created, gender: genders[i % 4] },
            headers: { 'if-match': 'W/"1"' },
        })));
        const statuses = responses.map((r) => r.status);
        expect(statuses.filter((s) => s === 200)).to.have.length(1);
        expect(statuses.filter((s) => s === 409 || s === 412)).to.have.length(9);
        const winner = responses.find((r) => r.status === 200).body;
        const current = (await http('GET', `/Patient/${created.id}`)).body;
        expect(current.meta?.versionId).to.equal('2');
        expect(current.gender).to.equal(winner.gender);
    });
    it('when ten clients update without If-Match at once, then every update is kept as its own version', async () => {
        const created = await create(patient(502));
        const responses = await Promise.all(Array.from({ length: 10 }, () => http('PUT', `/Patient/${created.id}`, { body: { ...created, active: true } })));
        const succeeded = responses.filter((r) => r.status === 200).length;
        expect(responses.every((r) => r.status === 200 || errorCode(r.body) === 'version-conflict')).to.equal(true);
        const versions = responses
            .filter((r) => r.status === 200)
            .map((r) => r.body.meta.versionId);
        expect(new Set(versions).size).to.equal(succeeded);
        const history = (await http('GET', `/Patient/${created.id}/_history?_count=100`))
            .body;
        expect(history.entry).to.have.length(succeeded + 1);
    });
    it('when clients create the same NHS number at once, then one is created and the others refused (422 taken, or 409 while the first is being stored)', async () => {
        const responses = await Promise.all(Array.from({ length: 5 }, () => http('POST', '/Patient', { body: patient(503) })));
        const statuses = responses.map((r) => r.status).sort();
        expect(statuses[0]).to.equal(201);
        for (const status of statuses.slice(1))
            expect([409, 422]).to.include(status);
        const nhsNumber = patient(503).identifier[0].value;
        const found = (await http('GET', `/Patient?identifier=${nhsNumber}`)).body;
        expect(found.entry).to.have.length(1);
    });
    it('when many clients create at once (stored together), some with the same NHS number, then each person is stored once, found by NHS number, and listed once in history', async () => {
        const people = Array.from({ length: 40 }, (_, i) => 520 + (i % 30));
        const responses = await Promise.all(people.map((n) => http('POST', '/Patient', { body: patient(n, 41) })));
        const created = responses.filter((r) => r.status === 201);
        expect(created).to.have.length(30);
        for (const r of responses)
            expect([201, 409, 422]).to.include(r.status);
        const ids = new Set(created.map((r) => r.body.id));
        for (const n of new Set(people)) {
            const nhsNumber = patient(n, 41).identifier[0].value;
            const found = (await http('GET', `/Patient?identifier=${nhsNumber}`)).body;
            expect(found.entry?.map((e) => e.resource.id)).to.have.length(1);
            expect(ids.has(found.entry[0].resource.id)).to.equal(true);
        }
        const history = (await http('GET', '/Patient/_history?_count=100')).body;
        const listed = (history.entry ?? []).filter((e) => ids.has(e.resource?.id ?? ''));
        expect(listed).to.have.length(30);
    });
});
//# sourceMappingURL=concurrency.test.js.map
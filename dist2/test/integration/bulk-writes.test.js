import { expect } from 'chai';
import { patient } from '../../fixtures/records.js';
import { FhirError } from '../../src/fhir/errors.js';
import { FhirService } from '../../src/fhir/service.js';
import { Validator } from '../../src/fhir/validation.js';
import { MongoRepository } from '../../src/store/mongo-repository.js';
import { create, http, testServer } from './harness.js';
/** The outcome's error code, or 'stored'. */
const outcome = (result) => result instanceof FhirError ? result.problems[0].code : 'stored';
describe('bulk writes of new versions', () => {
    // the server's own service is not exposed: this one works on the same database, as another process would
    let repository;
    let service;
    let subject;
    const events = [];
    const message = (status) => ({
        resourceType: 'Communication',
        status,
        subject: { reference: subject },
        payload: [{ contentString: 'Your flu vaccination is due' }],
    });
    const createMessages = async (count) => service.createMany('Communication', Array.from({ length: count }, () => message('preparation')));
    const nextStatus = (stored, ifMatch = 1) => stored.map((s) => ({ id: s.id, body: { ...s.resource, status: 'in-progress' }, ifMatch }));
    before(async () => {
        const server = await testServer();
        repository = new MongoRepository(server.database.db);
        service = new FhirService(repository, new Validator());
        repository.onChange((event) => events.push(event));
        subject = `Patient/${(await create(patient(960))).id}`;
    });
    it('when 200 Communications move to their next status in one call, then each has a version 2 that read, vread, history and search show', async () => {
        const created = await createMessages(200);
        expect(created.map((c) => c.versionId)).to.deep.equal(created.map(() => 1));
        events.length = 0;
        const updated = await service.updateMany('Communication', nextStatus(created));
        expect(updated.map(outcome)).to.deep.equal(created.map(() => 'stored'));
        expect(updated.map((u) => u.id)).to.deep.equal(created.map((c) => c.id));
        expect(updated.every((u) => u.versionId === 2)).to.equal(true);
        const reads = await Promise.all(created.map((c) => repository.read('Communication', c.id)));
        for (const read of reads) {
            expect(read?.versionId).to.equal(2);
            expect((read?.resource).status).to.equal('in-progress');
            expect(read?.resource?.meta?.versionId).to.equal('2');
        }
        const [first] = created;
        expect(((await repository.vread('Communication', first.id, 2))?.resource).status).to.equal('in-progress');
        expect(((await repository.vread('Communication', first.id, 1))?.resource).status).to.equal('preparation');
        const history = (await http('GET', `/Communication/${first.id}/_history`)).body;
        expect(history.entry?.map((e) => e.resource.status)).to.deep.equal([
            'in-progress',
            'preparation',
        ]);
        const search = async (status) => (await http('GET', `/Communication?subject=${subject}&status=${status}&_count=1000`))
            .body.entry?.map((e) => e.resource.id) ?? [];
        expect((await search('in-progress')).sort()).to.deep.equal(created.map((c) => c.id).sort());
        expect(await search('preparation')).to.deep.equal([]);
        // listeners hear each change as from single writes: the content now and before, with its log number
        expect(events.map((e) => e.id)).to.deep.equal(created.map((c) => c.id));
        for (const event of events) {
            expect(event.resource.status).to.equal('in-progress');
            expect(event.previous.status).to.equal('preparation');
            expect(event.sequence).to.be.a('number');
        }
        expect(new Set(events.map((e) => e.sequence)).size).to.equal(200);
    });
    it('when some updates expect a version that is not current, then those answer precondition-failed and change nothing, and the others are stored', async () => {
        const [changed, deleted, deletedAtItsVersion, ...others] = await createMessages(8);
        await service.update('Communication', changed.id, { ...changed.resource, status: 'on-hold' }, 1);
        await service.delete('Communication', deleted.id);
        await service.delete('Communication', deletedAtItsVersion.id);
        const results = await service.updateMany('Communication', [
            ...nextStatus([changed, deleted]),
            // the deletion's own version: an update of an existing resource does not bring it back
            ...nextStatus([deletedAtItsVersion], 2),
            { id: 'never-created', body: { ...message('in-progress'), id: 'never-created' }, ifMatch: 1 },
            ...nextStatus(others),
        ]);
        expect(results.map(outcome)).to.deep.equal([
            'precondition-failed',
            'precondition-failed',
            'precondition-failed',
            'precondition-failed',
            ...others.map(() => 'stored'),
        ]);
        const read = (id) => repository.read('Communication', id);
        expect(((await read(changed.id))?.resource).status).to.equal('on-hold');
        expect((await read(deleted.id))?.deleted).to.equal(true);
        expect((await read(deletedAtItsVersion.id))?.deleted).to.equal(true);
        expect(await read('never-created')).to.equal(undefined);
        // no version was left behind for the refused ones
        for (const refused of [changed, deleted, deletedAtItsVersion])
            expect(await repository.vread('Communication', refused.id, 3)).to.equal(undefined);
        for (const other of others)
            expect((await read(other.id))?.versionId).to.equal(2);
    });
    it('when another writer took the next version first, then that update answers version-conflict and the others are stored', async () => {
        const { database } = await testServer();
        const [raced, other] = await createMessages(2);
        // another writer's version 2, stored in history a moment ago and not yet copied to the current one
        const ts = new Date().toISOString();
        await database.db.collection('Communication_history').insertOne({
            _id: `${raced.id}/_history/2`,
            id: raced.id,
            v: 2,
            ts,
            del: false,
            method: 'PUT',
            res: { ...message('on-hold'), id: raced.id, meta: { versionId: '2', lastUpdated: ts } },
        });
        const results = await service.updateMany('Communication', nextStatus([raced, other]));
        expect(results.map(outcome)).to.deep.equal(['version-conflict', 'stored']);
        const racedNow = await repository.vread('Communication', raced.id, 2);
        expect((racedNow?.resource).status).to.equal('on-hold');
    });
    it('when a body is invalid, then the whole call fails before anything is stored', async () => {
        const [valid, invalid] = await createMessages(2);
        const updates = nextStatus([valid, invalid]);
        updates[1] = { ...updates[1], body: { ...invalid.resource, status: 42 } };
        let failure;
        await service.updateMany('Communication', updates).catch((error) => (failure = error));
        expect(failure).to.be.instanceOf(FhirError);
        expect((await repository.read('Communication', valid.id))?.versionId).to.equal(1);
        const creating = service.createMany('Communication', [message('preparation'), { resourceType: 'Nope' }]);
        expect(await creating.then(() => undefined, (error) => error)).to.be.instanceOf(FhirError);
    });
});
//# sourceMappingURL=bulk-writes.test.js.map
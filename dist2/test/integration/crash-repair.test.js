import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { immunization, patient } from '../../fixtures/records.js';
import { MongoRepository } from '../../src/store/mongo-repository.js';
import { create, errorCode, http, testServer } from './harness.js';
const SYSTEM = 'https://supplier.example.org/cut-off';
/** How many times the type history's newest entries list this record's first version. */
async function listedInHistory(id) {
    const history = (await http('GET', '/Immunization/_history?_count=200')).body;
    return (history.entry ?? []).filter((e) => e.resource?.id === id && e.resource.meta?.versionId === '1')
        .length;
}
// What a server killed in the middle of a create leaves behind, made by hand: the version stored in
// history (with its postings) a while ago, and then nothing, or its change log entry but no current copy.
describe('writes cut off by a crash', function () {
    this.timeout(30_000);
    let patientId = '';
    before(async () => {
        await testServer();
        patientId = (await create(patient(9701))).id;
    });
    async function cutOff(value, keepLogEntry) {
        const { database } = await testServer();
        // written twenty seconds ago, by "another process" (a database handle of its own, so that the
        // server does not share its change log in memory), so that it counts as abandoned now
        const otherProcess = database.db.client.db(database.db.databaseName);
        const earlier = new MongoRepository(otherProcess, () => new Date(Date.now() - 20_000));
        const sequences = [];
        earlier.onChange((event) => sequences.push(event.sequence));
        const id = randomUUID();
        await earlier.write({
            type: 'Immunization',
            id,
            method: 'POST',
            resource: immunization(patientId, { identifier: [{ system: SYSTEM, value }] }),
        });
        await database.db.collection('Immunization').deleteOne({ _id: id });
        if (!keepLogEntry)
            await database.db.collection('changes').deleteOne({ _id: String(sequences[0]) });
        return id;
    }
    for (const keepLogEntry of [false, true]) {
        it(`when a create stored its version and died before its copy${keepLogEntry ? ' (its change log entry written)' : ' and its change log entry'}, then the retry finds it completed and history lists it once`, async () => {
            const value = `cut-${keepLogEntry}-${randomUUID()}`;
            const id = await cutOff(value, keepLogEntry);
            // the client sends its create again: the identifier is the cut-off record's
            const retry = await http('POST', '/Immunization', {
                body: immunization(patientId, { identifier: [{ system: SYSTEM, value }] }),
            });
            expect(retry.status).to.equal(422);
            expect(errorCode(retry.body)).to.equal('duplicate-identifier');
            const read = await http('GET', `/Immunization/${id}`);
            expect(read.status).to.equal(200);
            const found = (await http('GET', `/Immunization?identifier=${SYSTEM}|${value}`))
                .body;
            expect(found.entry?.map((e) => e.resource.id)).to.deep.equal([id]);
            expect(await listedInHistory(id)).to.equal(1);
        });
    }
});
//# sourceMappingURL=crash-repair.test.js.map
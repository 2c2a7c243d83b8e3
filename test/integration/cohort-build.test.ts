import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Resource } from 'fhir/r4';
import { immunization, patient } from '../../fixtures/records.js';
import { CohortKeeper } from '../../src/cohort/keeper.js';
import { MongoRepository } from '../../src/store/mongo-repository.js';
import { LiveProcesses } from '../../src/store/processes.js';
import { testServer } from './harness.js';

// A cohort index built while another process writes: the build notes where the change log ends, then
// reads the collections. A write logs its entry before it stores its current copy, so one logged just
// before the note may store its copy after the build has read that collection.
describe('the cohort index built while another process is writing', function () {
  this.timeout(60_000);

  it('when a vaccination was logged before the build began and its copy stored after the build read the collection, then the index has it', async () => {
    const { database } = await testServer();
    // a database of its own: no saved index to start from, so the index is built from the collections
    const name = `nims_build_${randomUUID().slice(0, 8)}`;
    const handle = () => database.db.client.db(name);
    // the writing process; its vaccination is held between its change log entry and its current copy
    // (the copy taken out, put back once the other process has built its index)
    const writing = handle();
    const writer = new MongoRepository(writing, undefined, new LiveProcesses(writing));
    const patientId = randomUUID();
    await writer.write({ type: 'Patient', id: patientId, method: 'POST', resource: patient(9811) });
    const id = randomUUID();
    await writer.write({ type: 'Immunization', id, method: 'POST', resource: immunization(patientId) });
    const immunizations = writing.collection<{ _id: string }>('Immunization');
    const copy = await immunizations.findOneAndDelete({ _id: id });
    expect(copy).to.not.equal(null);

    // a process starting now builds its index from the collections, then follows the change log
    const starting = handle();
    const keeper = new CohortKeeper(
      starting,
      new MongoRepository(starting, undefined, new LiveProcesses(starting)),
      (): Promise<Resource[]> => Promise.resolve([]),
    );
    try {
      keeper.start();
      await keeper.whenReady();
      await immunizations.insertOne(copy!);
      await keeper.current();

      expect(keeper.index.dosesOf(patientId, 'covid-19')).to.be.greaterThan(0);
    } finally {
      keeper.stop();
      await writing.dropDatabase();
    }
  });
});

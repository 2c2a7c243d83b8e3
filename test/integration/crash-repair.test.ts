import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Bundle, Immunization } from 'fhir/r4';
import { immunization, patient } from '../../fixtures/records.js';
import { MongoRepository } from '../../src/store/mongo-repository.js';
import { LiveProcesses } from '../../src/store/processes.js';
import { create, errorCode, http, testServer } from './harness.js';

const SYSTEM = 'https://supplier.example.org/cut-off';

/** How many times the type history's newest entries list this record's first version. */
async function listedInHistory(id: string): Promise<number> {
  const history = (await http('GET', '/Immunization/_history?_count=200')).body as unknown as Bundle;
  return (history.entry ?? []).filter((e) => e.resource?.id === id && e.resource.meta?.versionId === '1')
    .length;
}

// What a server killed in the middle of a create leaves behind, made by hand: its postings, the version
// stored in history when the client chose the id (PUT), then nothing, or its change log entry but no
// current copy.
describe('writes cut off by a crash', function () {
  this.timeout(30_000);
  let patientId = '';

  before(async () => {
    await testServer();
    patientId = (await create(patient(9701))).id;
  });

  async function cutOff(value: string, keepLogEntry: boolean, method: 'POST' | 'PUT'): Promise<string> {
    const { database } = await testServer();
    // written by "another process" (a database handle of its own, so that the server does not share its
    // change log in memory) that has died: it never said it was alive, so its write is abandoned at once.
    // (A clock set back instead would put the entry among later ones, where no writer's entry can be.)
    const otherProcess = database.db.client.db(database.db.databaseName);
    const earlier = new MongoRepository(otherProcess, undefined, new LiveProcesses(otherProcess));
    const sequences: number[] = [];
    earlier.onChange((event) => sequences.push(event.sequence!));
    const id = randomUUID();
    await earlier.write({
      type: 'Immunization',
      id,
      method,
      resource: immunization(patientId, { identifier: [{ system: SYSTEM, value }] }),
    });
    await database.db.collection('Immunization').deleteOne({ _id: id as never });
    if (!keepLogEntry)
      await database.db.collection('changes').deleteOne({ _id: String(sequences[0]) as never });
    return id;
  }

  for (const keepLogEntry of [false, true]) {
    it(`when a create under the client's id stored its version and died before its copy${keepLogEntry ? ' (its change log entry written)' : ' and its change log entry'}, then the retry finds it completed and history lists it once`, async () => {
      const value = `cut-${keepLogEntry}-${randomUUID()}`;
      const id = await cutOff(value, keepLogEntry, 'PUT');

      // the client sends its create again: the identifier is the cut-off record's
      const retry = await http('POST', '/Immunization', {
        body: immunization(patientId, { identifier: [{ system: SYSTEM, value }] }),
      });

      expect(retry.status).to.equal(422);
      expect(errorCode(retry.body)).to.equal('duplicate-identifier');
      const read = await http('GET', `/Immunization/${id}`);
      expect(read.status).to.equal(200);
      const found = (await http('GET', `/Immunization?identifier=${SYSTEM}|${value}`))
        .body as unknown as Bundle;
      expect(found.entry?.map((e) => (e.resource as Immunization).id)).to.deep.equal([id]);
      expect(await listedInHistory(id)).to.equal(1);
    });
  }

  it('when a create under an id the server made died after its change log entry, before its copy, then nothing was stored: the retry is stored, and history lists the retry alone', async () => {
    const value = `cut-post-${randomUUID()}`;
    const id = await cutOff(value, true, 'POST');

    const retry = await http('POST', '/Immunization', {
      body: immunization(patientId, { identifier: [{ system: SYSTEM, value }] }),
    });

    expect(retry.status).to.equal(201);
    const retried = (retry.body as unknown as Immunization).id!;
    expect((await http('GET', `/Immunization/${id}`)).status).to.equal(404);
    const found = (await http('GET', `/Immunization?identifier=${SYSTEM}|${value}`))
      .body as unknown as Bundle;
    expect(found.entry?.map((e) => (e.resource as Immunization).id)).to.deep.equal([retried]);
    expect(await listedInHistory(id)).to.equal(0);
    expect(await listedInHistory(retried)).to.equal(1);
  });
});

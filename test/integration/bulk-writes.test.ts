import { expect } from 'chai';
import type { Bundle, Communication, Patient } from 'fhir/r4';
import { patient } from '../../fixtures/records.js';
import { FhirError } from '../../src/fhir/errors.js';
import { FhirService } from '../../src/fhir/service.js';
import { Validator } from '../../src/fhir/validation.js';
import { MongoRepository } from '../../src/store/mongo-repository.js';
import type { ChangeEvent, HistoryDocument, StoredVersion } from '../../src/store/repository.js';
import { create, http, testServer } from './harness.js';

/** The outcome's error code, or 'stored'. */
const outcome = (result: StoredVersion | FhirError) =>
  result instanceof FhirError ? result.problems[0]!.code : 'stored';

describe('bulk writes of new versions', () => {
  // the server's own service is not exposed: this one works on the same database, as another process would
  let repository: MongoRepository;
  let service: FhirService;
  let subject: string;
  const events: ChangeEvent[] = [];
  const message = (status: Communication['status']): Communication => ({
    resourceType: 'Communication',
    status,
    subject: { reference: subject },
    payload: [{ contentString: 'Your flu vaccination is due' }],
  });
  const createMessages = async (count: number) =>
    service.createMany(
      'Communication',
      Array.from({ length: count }, () => message('preparation')),
    );
  const nextStatus = (
    stored: StoredVersion[],
    ifMatch = 1,
  ): { id: string; body: unknown; ifMatch: number }[] =>
    stored.map((s) => ({ id: s.id, body: { ...s.resource, status: 'in-progress' }, ifMatch }));

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
    expect(updated.map((u) => (u as StoredVersion).id)).to.deep.equal(created.map((c) => c.id));
    expect(updated.every((u) => (u as StoredVersion).versionId === 2)).to.equal(true);
    const reads = await Promise.all(created.map((c) => repository.read('Communication', c.id)));
    for (const read of reads) {
      expect(read?.versionId).to.equal(2);
      expect((read?.resource as Communication).status).to.equal('in-progress');
      expect(read?.resource?.meta?.versionId).to.equal('2');
    }
    const [first] = created;
    expect(
      ((await repository.vread('Communication', first!.id, 2))?.resource as Communication).status,
    ).to.equal('in-progress');
    expect(
      ((await repository.vread('Communication', first!.id, 1))?.resource as Communication).status,
    ).to.equal('preparation');
    const history = (await http('GET', `/Communication/${first!.id}/_history`)).body as unknown as Bundle;
    expect(history.entry?.map((e) => (e.resource as Communication).status)).to.deep.equal([
      'in-progress',
      'preparation',
    ]);
    const search = async (status: string) =>
      (
        (await http('GET', `/Communication?subject=${subject}&status=${status}&_count=1000`))
          .body as unknown as Bundle
      ).entry?.map((e) => e.resource!.id) ?? [];
    expect((await search('in-progress')).sort()).to.deep.equal(created.map((c) => c.id).sort());
    expect(await search('preparation')).to.deep.equal([]);
    // listeners hear each change as from single writes: the content now and before, with its log number
    expect(events.map((e) => e.id)).to.deep.equal(created.map((c) => c.id));
    for (const event of events) {
      expect((event.resource as Communication).status).to.equal('in-progress');
      expect((event.previous as Communication).status).to.equal('preparation');
      expect(event.sequence).to.be.a('number');
    }
    expect(new Set(events.map((e) => e.sequence)).size).to.equal(200);
  });

  it('when some updates expect a version that is not current, then those answer precondition-failed and change nothing, and the others are stored', async () => {
    const [changed, deleted, deletedAtItsVersion, ...others] = await createMessages(8);
    await service.update('Communication', changed!.id, { ...changed!.resource, status: 'on-hold' }, 1);
    await service.delete('Communication', deleted!.id);
    await service.delete('Communication', deletedAtItsVersion!.id);

    const results = await service.updateMany('Communication', [
      ...nextStatus([changed!, deleted!]),
      // the deletion's own version: an update of an existing resource does not bring it back
      ...nextStatus([deletedAtItsVersion!], 2),
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
    const read = (id: string) => repository.read('Communication', id);
    expect(((await read(changed!.id))?.resource as Communication).status).to.equal('on-hold');
    expect((await read(deleted!.id))?.deleted).to.equal(true);
    expect((await read(deletedAtItsVersion!.id))?.deleted).to.equal(true);
    expect(await read('never-created')).to.equal(undefined);
    // no version was left behind for the refused ones
    for (const refused of [changed!, deleted!, deletedAtItsVersion!])
      expect(await repository.vread('Communication', refused.id, 3)).to.equal(undefined);
    for (const other of others) expect((await read(other.id))?.versionId).to.equal(2);
  });

  it('when another writer took the next version first, then that update answers version-conflict and the others are stored', async () => {
    const { database } = await testServer();
    const [raced, other] = await createMessages(2);
    // another writer's version 2, stored in history a moment ago and not yet copied to the current one
    const ts = new Date().toISOString();
    await database.db.collection<HistoryDocument>('Communication_history').insertOne({
      _id: `${raced!.id}/_history/2`,
      id: raced!.id,
      v: 2,
      ts,
      del: false,
      method: 'PUT',
      res: { ...message('on-hold'), id: raced!.id, meta: { versionId: '2', lastUpdated: ts } },
    });

    const results = await service.updateMany('Communication', nextStatus([raced!, other!]));

    expect(results.map(outcome)).to.deep.equal(['version-conflict', 'stored']);
    const racedNow = await repository.vread('Communication', raced!.id, 2);
    expect((racedNow?.resource as Communication).status).to.equal('on-hold');
  });

  it('when the versions to follow were stored by this process, then none is looked up, and the values they add are listed in one insert', async () => {
    const { database } = await testServer();
    const commands = new Map<string, number>();
    // the same database, counting what the repository asks of each collection
    const counted = new Proxy(database.db, {
      get: (target, name, receiver) => {
        if (name !== 'collection') return Reflect.get(target, name, receiver) as unknown;
        return (collectionName: string) =>
          new Proxy(target.collection(collectionName), {
            get: (collection, method, inner) => {
              const value = Reflect.get(collection, method, inner) as unknown;
              if (typeof value !== 'function') return value;
              return (...args: unknown[]) => {
                const key = `${collectionName}.${String(method)}`;
                commands.set(key, (commands.get(key) ?? 0) + 1);
                return (value as (...a: unknown[]) => unknown).apply(collection, args);
              };
            },
          });
      },
    });
    const counting = new FhirService(new MongoRepository(counted), new Validator());
    const created = await counting.createMany(
      'Communication',
      Array.from({ length: 50 }, () => message('preparation')),
    );
    commands.clear();
    const sent = created.map((c, i) => ({
      id: c.id,
      body: {
        ...c.resource,
        status: 'in-progress',
        identifier: [{ system: 'https://notify.example/id', value: `${c.id}-${i}` }],
      },
      ifMatch: 1,
    }));

    const results = await counting.updateMany('Communication', sent);

    expect(results.map(outcome)).to.deep.equal(created.map(() => 'stored'));
    expect(commands.get('Communication.findOne') ?? 0).to.equal(0);
    expect(commands.get('postings.findOne') ?? 0).to.equal(0);
    expect(commands.get('postings.insertMany')).to.equal(1);
    const [first] = sent;
    const found = (
      await http(
        'GET',
        `/Communication?identifier=https://notify.example/id|${first!.body.identifier[0]!.value}`,
      )
    ).body as unknown as Bundle;
    expect(found.entry?.map((e) => e.resource!.id)).to.deep.equal([first!.id]);
  });

  it('when updates in one call add unique values, then a value nobody held is claimed and one another holds is refused alone', async () => {
    const [holder, moving, taking] = await service.createMany('Patient', [
      patient(961, 31),
      patient(962, 31),
      patient(963, 31),
    ]);
    const nhsNumberOf = (p: StoredVersion) => (p.resource as Patient).identifier![0]!;
    const fresh = patient(964, 31).identifier![0]!;

    const results = await service.updateMany('Patient', [
      { id: moving!.id, body: { ...moving!.resource, identifier: [fresh] }, ifMatch: 1 },
      { id: taking!.id, body: { ...taking!.resource, identifier: [nhsNumberOf(holder!)] }, ifMatch: 1 },
    ]);

    expect(results.map(outcome)).to.deep.equal(['stored', 'duplicate-identifier']);
    const holders = async (identifier: { system?: string; value?: string }) =>
      (
        (await http('GET', `/Patient?identifier=${identifier.system}|${identifier.value}`))
          .body as unknown as Bundle
      ).entry?.map((e) => e.resource!.id);
    expect(await holders(fresh)).to.deep.equal([moving!.id]);
    expect(await holders(nhsNumberOf(holder!))).to.deep.equal([holder!.id]);
    expect((await repository.read('Patient', taking!.id))?.versionId).to.equal(1);
  });

  it('when a body is invalid, then the whole call fails before anything is stored', async () => {
    const [valid, invalid] = await createMessages(2);
    const updates = nextStatus([valid!, invalid!]);
    updates[1] = { ...updates[1]!, body: { ...invalid!.resource, status: 42 } };

    let failure: unknown;
    await service.updateMany('Communication', updates).catch((error: unknown) => (failure = error));

    expect(failure).to.be.instanceOf(FhirError);
    expect((await repository.read('Communication', valid!.id))?.versionId).to.equal(1);
    const creating = service.createMany('Communication', [message('preparation'), { resourceType: 'Nope' }]);
    expect(
      await creating.then(
        () => undefined,
        (error: unknown) => error,
      ),
    ).to.be.instanceOf(FhirError);
  });
});

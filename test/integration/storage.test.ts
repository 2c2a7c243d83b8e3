import { expect } from 'chai';
import { Binary, Long, ObjectId, Timestamp, type Document } from 'mongodb';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle, Communication, Patient } from 'fhir/r4';
import { patient } from '../../fixtures/records.js';
import type { HistoryDocument } from '../../src/store/repository.js';
import { ChangeLog, type ChangeDocument } from '../../src/store/changelog.js';
import { MongoRepository } from '../../src/store/mongo-repository.js';
import { LogReader } from '../../src/store/log-reader.js';
import { Outbox } from '../../src/store/outbox.js';
import { Slots, type SlotDocument } from '../../src/store/slots.js';
import { MAX_POSTING_ENTRIES } from '../../src/store/postings.js';
import { loadConfig } from '../../src/config.js';
import { startFerretdb } from '../../src/store/ferretdb.js';
import { PROJECT_ROOT } from '../../src/server.js';
import { create, http, testServer } from './harness.js';

describe('storage', () => {
  it('when a document is looked up by _id on the embedded FerretDB, then SQLite searches the _id index', async function () {
    const { database } = await testServer();
    if (!database.isFerretDb) this.skip();
    await create(patient(600)); // the collection must exist for SQLite to plan a query on it
    const plan = (await database.db
      .collection<{ _id: string }>('Patient')
      .find({ _id: 'any-id' })
      .explain()) as { queryPlanner?: { Plan?: string[] } };
    expect(plan.queryPlanner?.Plan?.join(' ')).to.match(/SEARCH .* USING INDEX/);
  });

  it('when many documents are looked up by a list of _id values, then exactly those found come back, the same as one by one', async () => {
    const { database } = await testServer();
    const collection = database.db.collection<{ _id: string; n: number }>(`ids_${Date.now()}`);
    await collection.insertMany(Array.from({ length: 1500 }, (_, n) => ({ _id: `d${n}`, n })));
    const numbers = (filter: object) =>
      collection
        .find(filter)
        .toArray()
        .then((docs) => docs.map((d) => d.n).sort((a, b) => a - b));
    // the embedded FerretDB hands a list of strings to SQLite's _id index; anything else it filters itself
    expect(await numbers({ _id: { $in: ['d7', 'missing', 'd1499', 'd7'] } })).to.deep.equal([7, 1499]);
    expect(await numbers({ _id: { $in: ['d3', 5] } })).to.deep.equal([3]);
    expect(await numbers({ _id: { $in: [] } })).to.deep.equal([]);
    const ids = Array.from({ length: 1200 }, (_, n) => `d${n * 2}`);
    expect(await numbers({ _id: { $in: ids } })).to.have.length(750);

    const people = await Promise.all([604, 605, 606].map((n) => create(patient(n))));
    await http('DELETE', `/Patient/${people[2]!.id}`);
    const found = await new MongoRepository(database.db).readMany('Patient', [
      ...people.map((p) => p.id),
      'never-stored',
    ]);
    expect([...found.keys()].sort()).to.deep.equal(people.map((p) => p.id).sort());
    expect(found.get(people[0]!.id)?.resource).to.deep.equal(people[0]);
    expect(found.get(people[2]!.id)).to.include({ deleted: true, versionId: 2 });
  });

  it('when documents of every kind of value are stored, then they are read back exactly as written', async () => {
    const { database } = await testServer();
    const collection = database.db.collection<{ _id: string }>(`values_${Date.now()}`);
    // the embedded FerretDB reads documents with a decoder of nims' own (ferretdb-patches): the strings
    // here are those JSON escapes, or a careless decoder, get wrong
    const strings = [
      '',
      'plain',
      'quote " and backslash \\ and slash /',
      'controls \n\r\t\b\f\u0001\u001f',
      'html <b>&amp;</b>',
      'line separators \u2028\u2029',
      'accents é ñ ø, CJK 漢字, emoji 😀👍🏽',
      JSON.stringify({ resourceType: 'Patient', name: [{ family: 'O\'Brien "Jr"', given: ['Zoë'] }] }),
    ];
    const documents: ({ _id: string } & Document)[] = [
      { _id: 'strings', strings, nested: { s: strings[2], deeper: { list: [strings[3], strings[6]] } } },
      {
        _id: 'numbers',
        int: 2147483647,
        negative: -2147483648,
        long: Long.fromString('9007199254740993'),
        doubles: [0.5, 1e300, 5e-324, 1e21, 1e-7, 123456789.125, -2.5e-300],
        timestamp: new Timestamp({ t: 1700000000, i: 7 }),
      },
      {
        // found by _id as FerretDB writes it: the stored text and the looked-up text must be the same
        _id: 'others <&>',
        yes: true,
        no: false,
        nothing: null,
        when: new Date('2026-12-07T20:00:00.123Z'),
        before1970: new Date('1901-02-03T04:05:06.789Z'),
        oid: new ObjectId('0123456789abcdef01234567'),
        binary: new Binary(Buffer.from([0, 1, 254, 255]), 0),
        uuid: new Binary(Buffer.alloc(16, 7), 4),
        empty: { document: {}, list: [], binary: new Binary(Buffer.alloc(0)) },
        pattern: /^a"b\d\//i,
        mixed: [1, 'two', { five: [5, { six: 6 }] }, null, true],
        'key with spaces, é and $': 1,
        nestedKeys: { 'with "quotes"': 1, 'é\\': 2 },
      },
    ];
    await collection.insertMany(documents.map((d) => ({ ...d })));
    const read = await collection.find({}, { promoteLongs: false }).sort({ _id: 1 }).toArray();
    expect(read.map((d) => d._id)).to.deep.equal(['numbers', 'others <&>', 'strings']);
    const byId = new Map(read.map((d) => [d._id, d]));
    for (const document of documents) expect(byId.get(document._id)).to.deep.equal(document);
    expect(await collection.findOne({ _id: 'others <&>' })).to.deep.equal(documents[2]);
    const listed = await collection.find({ _id: { $in: ['others <&>', 'strings'] } }).toArray();
    expect(listed.map((d) => d._id).sort()).to.deep.equal(['others <&>', 'strings']);
  });

  it('when many single resources are read at once, then they are looked up together and each read gets its own', async () => {
    const { database } = await testServer();
    const people = await Promise.all(Array.from({ length: 30 }, (_, n) => create(patient(620 + n))));
    const repository = new MongoRepository(database.db);
    let finds = 0;
    const count = (event: { commandName: string; command: Document }) => {
      if (event.commandName === 'find' && event.command.find === 'Patient') finds++;
    };
    database.client.on('commandStarted', count);
    try {
      const asked = [...people.map((p) => p.id), ...Array.from({ length: 10 }, (_, n) => `absent-${n}`)];
      const read = await Promise.all(asked.map((id) => repository.read('Patient', id)));
      expect(read.map((stored) => stored?.resource?.id)).to.deep.equal([
        ...people.map((p) => p.id),
        ...Array.from({ length: 10 }, () => undefined),
      ]);
      expect(read[7]?.resource).to.deep.equal(people[7]);
      // the first two go alone, the other 38 together behind them
      expect(finds).to.equal(3);
      // the same resource asked for twice in one group (the first two asked go alone): each caller gets its
      // own copy, even of a document stored as an object (as an earlier nims stored resources)
      await database.db
        .collection<{ _id: string }>('Patient')
        .updateOne({ _id: people[3]!.id }, { $set: { res: people[3] } });
      const twice = await Promise.all([1, 2, 3, 3].map((n) => repository.read('Patient', people[n]!.id)));
      expect(twice[2]?.resource).to.deep.equal(people[3]);
      expect(twice[3]?.resource).to.deep.equal(people[3]);
      expect(twice[2]?.resource).not.to.equal(twice[3]?.resource);
    } finally {
      database.client.off('commandStarted', count);
    }
  });

  it('when one bulk write makes several updates, then each sees those before it and replacements upsert', async () => {
    const { database } = await testServer();
    const collection = database.db.collection<{ _id: string; n?: number; group?: string; seen?: boolean }>(
      `bulk_${Date.now()}`,
    );
    await collection.insertMany([
      { _id: 'a', n: 1 },
      { _id: 'b', n: 1 },
      { _id: 'g1', group: 'g' },
      { _id: 'g2', group: 'g' },
    ]);
    // the embedded FerretDB writes a bulk's changes together at its end (see ferretdb.ts)
    const result = await collection.bulkWrite(
      [
        { updateOne: { filter: { _id: 'a' }, update: { $inc: { n: 1 } } } },
        { updateOne: { filter: { _id: 'a' }, update: { $inc: { n: 1 } } } },
        { replaceOne: { filter: { _id: 'b' }, replacement: { n: 10 }, upsert: true } },
        { updateOne: { filter: { _id: 'b' }, update: { $inc: { n: 1 } } } },
        { replaceOne: { filter: { _id: 'c' }, replacement: { n: 5 }, upsert: true } },
        { updateMany: { filter: { group: 'g' }, update: { $set: { seen: true } } } },
        { updateOne: { filter: { _id: 'a', n: 3 }, update: { $set: { seen: true } } } },
        { replaceOne: { filter: { _id: 'd' }, replacement: { n: 1 } } },
      ],
      { ordered: false },
    );
    expect(result.matchedCount).to.equal(7);
    expect(result.modifiedCount).to.equal(7);
    expect(result.upsertedCount).to.equal(1);
    expect(result.upsertedIds).to.deep.equal({ 4: 'c' });
    expect(await collection.find().sort({ _id: 1 }).toArray()).to.deep.equal([
      { _id: 'a', n: 3, seen: true },
      { _id: 'b', n: 11 },
      { _id: 'c', n: 5 },
      { _id: 'g1', group: 'g', seen: true },
      { _id: 'g2', group: 'g', seen: true },
    ]);
  });

  it('when an update of a bulk write fails, then the updates before it are made all the same', async () => {
    const { database } = await testServer();
    // loosely typed: the driver's types would not let $inc reach a field that may hold text
    const collection = database.db.collection<Document & { _id: string }>(`failing_${Date.now()}`);
    await collection.insertMany([
      { _id: 'a', n: 1 },
      { _id: 'b', n: 'text' },
    ]);
    const failed = await collection
      .bulkWrite(
        [
          { updateOne: { filter: { _id: 'a' }, update: { $set: { n: 2 } } } },
          { replaceOne: { filter: { _id: 'c' }, replacement: { n: 3 }, upsert: true } },
          // $inc on text is refused
          { updateOne: { filter: { _id: 'b' }, update: { $inc: { n: 1 } } } },
        ],
        { ordered: false },
      )
      .then(
        () => false,
        () => true,
      );
    expect(failed).to.equal(true);
    expect(await collection.find().sort({ _id: 1 }).toArray()).to.deep.equal([
      { _id: 'a', n: 2 },
      { _id: 'b', n: 'text' },
      { _id: 'c', n: 3 },
    ]);
  });

  it('when several bulk writes of hundreds of updates run at once, then every update is made', async () => {
    const { database } = await testServer();
    const collection = database.db.collection<{ _id: string; n: number }>(`many_${Date.now()}`);
    await collection.insertMany(Array.from({ length: 1500 }, (_, n) => ({ _id: `d${n}`, n: 0 })));
    // FerretDB as published held a connection for each update until its command ended: 100 never finished
    const results = await Promise.all(
      [0, 1, 2].map((part) =>
        collection.bulkWrite(
          Array.from({ length: 500 }, (_, k) => ({
            updateOne: { filter: { _id: `d${part * 500 + k}` }, update: { $set: { n: part + 1 } } },
          })),
          { ordered: false },
        ),
      ),
    );
    expect(results.map((r) => r.modifiedCount)).to.deep.equal([500, 500, 500]);
    const counts = await collection
      .aggregate<{
        _id: number;
        c: number;
      }>([{ $group: { _id: '$n', c: { $sum: 1 } } }, { $sort: { _id: 1 } }])
      .toArray();
    expect(counts).to.deep.equal([
      { _id: 1, c: 500 },
      { _id: 2, c: 500 },
      { _id: 3, c: 500 },
    ]);
  });

  it('when a resource is created, then its first version is its current copy alone, kept as JSON text; once replaced, history holds it and the next, and vread and history read both', async () => {
    const { database } = await testServer();
    const created = await create(patient(602));
    const documents = (id: string) =>
      Promise.all([
        database.db.collection<{ _id: string; res: unknown; alone?: true }>('Patient').findOne({ _id: id }),
        ...[1, 2].map((v) =>
          database.db
            .collection<{ _id: string; res: unknown; alone?: true }>('Patient_history')
            .findOne({ _id: `${id}/_history/${v}` }),
        ),
      ]);
    const [current, first] = await documents(created.id);
    expect(first).to.equal(null);
    // marked so: a later write puts it into history (only such a version: none goes in twice)
    expect(current!.alone).to.equal(true);
    expect(current!.res).to.be.a('string');
    expect(JSON.parse(current!.res as string)).to.deep.equal(created);
    expect((await http('GET', `/Patient/${created.id}/_history/1`)).body).to.deep.equal(created);

    const updated = (await http('PUT', `/Patient/${created.id}`, { body: { ...created, gender: 'other' } }))
      .body as unknown as Patient;
    const [now, kept, second] = await documents(created.id);
    expect(now!.alone).to.equal(undefined);
    for (const [doc, version] of [
      [now, updated],
      [kept, created],
      [second, updated],
    ] as const) {
      expect(doc!.res).to.be.a('string');
      expect(JSON.parse(doc!.res as string)).to.deep.equal(version);
    }
    expect((await http('GET', `/Patient/${created.id}/_history/1`)).body).to.deep.equal(created);
    const history = (await http('GET', `/Patient/${created.id}/_history`)).body as unknown as Bundle;
    expect(history.entry!.map((e) => e.resource)).to.deep.equal([updated, created]);
  });

  // history documents of that form are read by the crash recovery test below
  it('when a version was stored in an earlier shape (its resource an object, each search value a list), then it is read, found and updated', async () => {
    const { database } = await testServer();
    const created = await create(patient(603));
    const number = created.identifier![0]!.value!;
    const current = database.db.collection<{ _id: string; res: unknown; idx: Record<string, unknown> }>(
      'Patient',
    );
    const { idx } = (await current.findOne({ _id: created.id }))!;
    expect(idx.identifier).to.equal(`https://fhir.nhs.uk/Id/nhs-number|${number}`);
    const listed = Object.fromEntries(
      Object.entries(idx).map(([key, value]) => [key, typeof value === 'string' ? [value] : value]),
    );
    await current.updateOne({ _id: created.id }, { $set: { res: created, idx: listed } });
    await database.db
      .collection<{ _id: string }>('Patient_history')
      .updateOne({ _id: `${created.id}/_history/1` }, { $set: { res: created } });
    expect((await http('GET', `/Patient/${created.id}`)).body).to.deep.equal(created);
    for (const query of [`identifier=https://fhir.nhs.uk/Id/nhs-number|${number}`, `identifier=${number}`]) {
      const found = (await http('GET', `/Patient?${query}`)).body as unknown as Bundle;
      expect(found.entry?.map((e) => e.resource)).to.deep.equal([created]);
    }
    const updated = await http('PUT', `/Patient/${created.id}`, { body: { ...created, gender: 'other' } });
    expect(updated.status).to.equal(200);
    const stored = (await current.findOne({ _id: created.id }))!;
    expect(JSON.parse(stored.res as string)).to.include({ gender: 'other' });
    expect(stored.idx).to.include({ gender: '|other', identifier: idx.identifier });
  });
});

describe('embedded database durability', () => {
  it('when EMBEDDED_DB_SYNC is not set, then SQLite keeps commits across crashes without waiting for the disk each time; full waits, anything else is refused', async () => {
    expect(loadConfig({}, PROJECT_ROOT).embeddedSync).to.equal('normal');
    expect(() => loadConfig({ EMBEDDED_DB_SYNC: 'off' }, PROJECT_ROOT)).to.throw(
      /EMBEDDED_DB_SYNC must be one of normal, full/,
    );
    const dataDir = mkdtempSync(join(tmpdir(), 'nims-sync-'));
    const database = await startFerretdb(
      PROJECT_ROOT,
      dataDir,
      loadConfig({ EMBEDDED_DB_SYNC: 'full' }, PROJECT_ROOT).embeddedSync,
    );
    try {
      // what the running FerretDB was told, from its command line
      const commandLine = readFileSync(`/proc/${database.pid}/cmdline`, 'utf8');
      expect(commandLine).to.contain('_pragma=synchronous(full)');
      // SQLite's statement journals (a multi-row insert's undo) stay in memory, not in temporary files
      expect(commandLine).to.contain('_pragma=temp_store(memory)');
      // reached over its Unix socket, which goes when it stops
      expect(database.uri).to.match(/^mongodb:\/\/%2F.+\.sock\/$/);
    } finally {
      await database.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    expect(existsSync(decodeURIComponent(database.uri.slice('mongodb://'.length, -1)))).to.equal(false);
  });
});

describe('slot lists', () => {
  it('when a list holds as many entries as a search would read, then it gets no more, and searches on its key read the collection', async () => {
    const { database } = await testServer();
    const repository = new MongoRepository(database.db);
    const person = `Patient/p-${Date.now()}`;
    const message = (): Communication => ({
      resourceType: 'Communication',
      status: 'completed',
      subject: { reference: person },
    });
    await repository.createMany(
      'Communication',
      Array.from({ length: MAX_POSTING_ENTRIES }, () => message()),
    );
    await repository.createMany(
      'Communication',
      [1, 2, 3, 4, 5].map(() => message()),
    );
    const listed = await database.db
      .collection<SlotDocument>('postings')
      .countDocuments({ _id: { $regex: `^Communication\\|subject\\|${person}#` } });
    expect(listed).to.equal(MAX_POSTING_ENTRIES);
    const count = await http('GET', `/Communication?subject=${person}&_summary=count`);
    expect(count.body.total).to.equal(MAX_POSTING_ENTRIES + 5);
  });

  it('when two processes append new ids in bulk to the same lists, then every id is listed once, without gaps', async () => {
    const { database } = await testServer();
    const collection = database.db.collection<SlotDocument>('slots_test');
    const key = `k${Date.now()}`;
    const [first, second] = [new Slots(collection), new Slots(collection)]; // two processes' views
    await first.appendNew([{ key, id: 'a' }]);
    // neither knows where the other has got to: their slots collide and are moved to the end
    await Promise.all([
      first.appendNew([
        { key, id: 'b' },
        { key, id: 'c' },
        { key: `${key}-other`, id: 'x' },
      ]),
      second.appendNew([
        { key, id: 'd' },
        { key, id: 'e' },
      ]),
    ]);
    const { entries, complete } = await new Slots(collection).read(key);
    expect(complete).to.equal(true);
    expect(entries.map((e) => e.id).sort()).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
    expect((await new Slots(collection).read(`${key}-other`)).entries.map((e) => e.id)).to.deep.equal(['x']);
  });

  it('when a list has one entry, then it is read in one command; once another process appends, in more', async () => {
    const { database } = await testServer();
    const collection = database.db.collection<SlotDocument>('slots_test');
    // database commands, and the numbers they looked up (one at a time or in lists)
    let commands = 0;
    let numbers = 0;
    const counted = new Proxy(collection, {
      get: (target, name, receiver) => {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (name === 'findOne') [commands, numbers] = [commands + 1, numbers + 1];
        if (name !== 'find' || typeof value !== 'function') return value;
        return (filter: { _id?: { $in?: unknown[] } }, ...rest: unknown[]) => {
          commands++;
          numbers += filter._id?.$in?.length ?? 1;
          return (value as (...args: unknown[]) => unknown).apply(target, [filter, ...rest]);
        };
      },
    });
    const key = `one${Date.now()}`;
    const read = async () => {
      [commands, numbers] = [0, 0];
      const ids = (await new Slots(counted).read(key)).entries.map((e) => e.id);
      return { ids, commands, numbers };
    };
    await new Slots(collection).claimFirst([{ key, id: 'a' }]);
    // entries 0 and 1 in one command: most lists (a unique value's holders) end there
    expect(await read()).to.deep.equal({ ids: ['a'], commands: 1, numbers: 2 });
    // another process, not knowing the list, appends two in bulk: its entry 0 is taken. Entry 0 found
    // taken, one lookup finds the end
    [commands, numbers] = [0, 0];
    await new Slots(counted).appendNew([
      { key, id: 'b' },
      { key, id: 'c' },
    ]);
    expect(numbers).to.equal(1);
    // entries 0 and 1, then numbers 2 to 5 in one round
    expect(await read()).to.deep.equal({ ids: ['a', 'b', 'c'], commands: 2, numbers: 6 });
    const lone = `${key}-bulk`;
    await new Slots(collection).appendNew([{ key: lone, id: 'x' }]);
    await new Slots(collection).insertAt(lone, 'y', 1);
    expect((await new Slots(counted).read(lone)).entries.map((e) => e.id)).to.deep.equal(['x', 'y']);
  });

  it('when an entry is taken back, then it stays void: what follows it is still found, and nothing takes its place', async () => {
    const { database } = await testServer();
    const collection = database.db.collection<SlotDocument>('slots_test');
    const key = `void${Date.now()}`;
    const transaction = new Slots(collection);
    await transaction.insertAt(key, 'a', 0);
    await new Slots(collection).insertAt(key, 'b', 1);
    await transaction.remove([`${key}#0`]);
    // a writer that finds nothing listed tries number 0 first
    expect(await new Slots(collection).append(key, 'c', 0)).to.equal(`${key}#2`);
    const { entries } = await new Slots(collection).read(key);
    expect(entries.filter((e) => !e.void).map((e) => e.id)).to.deep.equal(['b', 'c']);
  });
});

describe('change log readers', () => {
  it('when numbers are missing, then a reader stops at the first between polls and steps over it now and then', async () => {
    const { database } = await testServer();
    const db = database.db.client.db(`nims_changelog_${Date.now()}`);
    // entries another process wrote: 3 is still being written at first, 6 is lost to a crash
    const written = (...seqs: number[]) =>
      db.collection<ChangeDocument>('changes').insertMany(
        seqs.map((seq) => ({
          _id: String(seq),
          seq,
          type: 'Patient',
          id: `p${seq}`,
          v: 1,
          ts: new Date().toISOString(),
        })),
      );
    const reader = new LogReader(ChangeLog.of(db), { seen: 0, holes: [] }, 300);
    const read = async () => (await reader.next()).map((entry) => entry.seq);
    await written(1, 2, 4);
    expect(await read()).to.deep.equal([1, 2, 4]);
    await written(3, 5);
    expect(await read()).to.deep.equal([3, 5]);
    await written(7);
    // the read stops where 6 is missing: one lookup
    expect(await read()).to.deep.equal([]);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await read()).to.deep.equal([7]);
    expect(reader.position).to.deep.equal({ seen: 7, holes: [6] });
    await db.dropDatabase();
  });

  it('when this process has written entries whose versions are not current yet, then its readers pass over them and take them once they are', async () => {
    const { database } = await testServer();
    const db = database.db.client.db(`nims_changelog_${Date.now()}`);
    const log = ChangeLog.of(db);
    const entry = (id: string) => ({ type: 'Patient', id, v: 1, ts: new Date().toISOString() });
    const [first] = await log.appendMany([entry('a')]);
    log.remember({ _id: String(first), seq: first!, ...entry('a') });
    // two more in the database, their current copies still being written; then one of another process
    const [second, third] = await log.appendMany([entry('b'), entry('c')]);
    await db
      .collection<ChangeDocument>('changes')
      .insertOne({ _id: String(third! + 1), seq: third! + 1, ...entry('d') });
    const reader = new LogReader(log, { seen: 0, holes: [] }, 60_000);
    const read = async () => (await reader.next()).map((found) => found.id);
    // read from the database, b and c would send a reader to copies not yet written
    expect(await read()).to.deep.equal(['a', 'd']);
    expect(reader.position).to.deep.equal({ seen: third! + 1, holes: [second, third] });
    log.remember({ _id: String(third), seq: third!, ...entry('c') });
    expect(await read()).to.deep.equal(['c']);
    log.remember({ _id: String(second), seq: second!, ...entry('b') });
    expect(await read()).to.deep.equal(['b']);
    expect(reader.position).to.deep.equal({ seen: third! + 1, holes: [] });
    await db.dropDatabase();
  });

  /** A database of its own for a change log, whose lookups are counted. */
  async function countedLog() {
    const { database } = await testServer();
    const real = database.db.client.db(`nims_changelog_${Date.now()}`);
    const counted = { lookups: 0, commands: 0 };
    const db = {
      collection: (name: string) => {
        const collection = real.collection(name);
        const findOne = collection.findOne.bind(collection) as (filter: object) => Promise<unknown>;
        const find = collection.find.bind(collection) as (filter: object, options?: object) => unknown;
        // numbers looked up, one at a time or in lists
        return Object.assign(Object.create(collection) as object, {
          findOne: (filter: object) => {
            counted.lookups++;
            counted.commands++;
            return findOne(filter);
          },
          find: (filter: { _id?: { $in?: unknown[] } }, options?: object) => {
            counted.lookups += filter._id?.$in?.length ?? 1;
            counted.commands++;
            return find(filter, options);
          },
        });
      },
    } as unknown as typeof real;
    return { log: ChangeLog.of(db), counted, real };
  }
  const entry = (id: string) => ({ type: 'Patient', id, v: 1, ts: new Date().toISOString() });

  it('when this process is writing a thousand entries in bulk, then a reader passes over them without looking them or the end after them up one by one', async () => {
    const { log, counted, real } = await countedLog();
    await log.appendMany(Array.from({ length: 1000 }, (_, i) => entry(`p${i}`)));
    const reader = new LogReader(log, { seen: 0, holes: [] }, 0);
    counted.lookups = 0;
    expect(await reader.next()).to.deep.equal([]);
    // the numbers after the bulk write, as many as a read steps over, and none of the thousand
    expect(counted.lookups).to.equal(8);
    expect(reader.position.seen).to.equal(1000);
    await real.dropDatabase();
  });

  it('when two processes append in bulk at the same time, then every entry gets a number of its own, and numbers the other took cost a few lookups a bulk, not some for each entry', async () => {
    const { log, counted, real } = await countedLog();
    const other = ChangeLog.of(real.client.db(real.databaseName));
    const bulks = 30;
    const appended = new Map<number, string>();
    const appending = [log, other].map(async (writer, w) => {
      for (let b = 0; b < bulks; b++) {
        const ids = Array.from({ length: 40 }, (_, i) => `w${w}-b${b}-${i}`);
        const numbers = await writer.appendMany(ids.map(entry));
        numbers.forEach((seq, i) => {
          expect(appended.has(seq), `number ${seq} answered twice`).to.equal(false);
          appended.set(seq, ids[i]!);
        });
      }
    });
    await Promise.all(appending);
    const stored = await real.collection<ChangeDocument>('changes').find({}).toArray();
    expect(stored).to.have.length(2 * bulks * 40);
    for (const doc of stored) expect(appended.get(doc.seq)).to.equal(doc.id);
    // one by one, each entry the other took cost eight lookups or more: over a thousand commands here
    expect(counted.commands).to.be.below(bulks * 8);
    await real.dropDatabase();
  });

  it("when two readers in this process follow another process's entries, then each entry is looked up once", async () => {
    const { log, counted, real } = await countedLog();
    await real
      .collection<ChangeDocument>('changes')
      .insertMany(
        Array.from({ length: 100 }, (_, i) => ({ _id: String(i + 1), seq: i + 1, ...entry(`p${i}`) })),
      );
    const [first, second] = [0, 1].map(() => new LogReader(log, { seen: 0, holes: [] }, 0));
    const firstRead = await first!.next();
    const lookupsOfFirst = counted.lookups;
    const secondRead = await second!.next();
    expect(secondRead.map((e) => e.id)).to.deep.equal(firstRead.map((e) => e.id));
    expect(secondRead).to.have.length(100);
    // the second only looks past the end, as the first did
    expect(counted.lookups - lookupsOfFirst).to.be.at.most(8);
    await real.dropDatabase();
  });
});

describe('crash recovery', () => {
  it('when a write died after storing its version but before updating the current copy, then the next write completes it', async () => {
    const { database } = await testServer();
    const created = await create(patient(601));
    // what a process that died half-way through an update leaves: version 2 in history only, 20 s ago
    const ts = new Date(Date.now() - 20_000).toISOString();
    const orphan = { ...created, gender: 'other', meta: { versionId: '2', lastUpdated: ts } };
    await database.db.collection<HistoryDocument>('Patient_history').insertOne({
      _id: `${created.id}/_history/2`,
      id: created.id,
      v: 2,
      ts,
      del: false,
      method: 'PUT',
      res: orphan,
    });
    const response = await http('PUT', `/Patient/${created.id}`, { body: { ...created, gender: 'unknown' } });
    expect(response.status).to.equal(200);
    expect((response.body.meta as { versionId: string }).versionId).to.equal('3');
    const history = (await http('GET', `/Patient/${created.id}/_history`)).body as unknown as Bundle;
    expect(history.entry?.map((e) => (e.resource as Patient).gender)).to.deep.equal([
      'unknown',
      'other',
      created.gender,
    ]);
  });
});

describe('outbox', () => {
  it('when more entries wait than it holds payloads for, then each is read back when due, handed over in order and repointed', async () => {
    const { database } = await testServer();
    interface Event {
      patient: string;
      seq: number;
      /** Set in the database only: a payload read back from it, not held in memory. */
      stored?: boolean;
    }
    const topic = `test${Date.now()}`;
    let down = true;
    const received: { id: string; payload: Event }[] = [];
    const outbox = new Outbox<Event>(
      database.db,
      topic,
      (entries) => {
        if (down) return Promise.reject(new Error('receiver down'));
        received.push(...entries.map((e) => ({ id: e._id, payload: e.payload })));
        return Promise.resolve(undefined);
      },
      {
        heldPayloads: 2,
        tickMs: 20,
        firstRetryMs: 50,
        order: (e) => ({ key: e.patient, seq: e.seq }),
        about: (e) => [e.patient],
      },
    );
    await outbox.start();
    const events = [1, 2, 3, 4, 5, 6].map((seq) => ({
      id: `e${seq}`,
      payload: { patient: seq % 2 ? 'Patient/a' : 'Patient/b', seq },
    }));
    await outbox.add(events.slice(0, 3));
    await outbox.add(events.slice(3));
    await new Promise((resolve) => setTimeout(resolve, 200)); // tried, and failed, at least once
    await database.db
      .collection<{ _id: string }>(`outbox_${topic}_payloads`)
      .updateMany({}, { $set: { 'payload.stored': true } });
    expect(await outbox.repoint('Patient/a', 'Patient/c')).to.equal(3);
    down = false;
    for (let waited = 0; received.length < 6 && waited < 10_000; waited += 50)
      await new Promise((resolve) => setTimeout(resolve, 50));
    await outbox.stop();
    expect(received.map((r) => r.id).sort()).to.deep.equal(['e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
    // the first two stayed in memory; the others were read back from the database when due
    expect(received.filter((r) => r.payload.stored).map((r) => r.id)).to.have.members([
      'e3',
      'e4',
      'e5',
      'e6',
    ]);
    expect(received.filter((r) => r.payload.patient === 'Patient/c').map((r) => r.id)).to.deep.equal([
      'e1',
      'e3',
      'e5',
    ]);
    expect(received.filter((r) => r.payload.patient === 'Patient/b').map((r) => r.id)).to.deep.equal([
      'e2',
      'e4',
      'e6',
    ]);
    expect((await outbox.status()).pending).to.equal(0);
  });
});

import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Bundle, Immunization, MessageHeader, Parameters, Patient } from 'fhir/r4';
import { gpEndpoint, immunization, nhsNumber } from '../../fixtures/records.js';
import { gpMessageProfile } from '../../src/messaging/profile.js';
import { RECORD_ACTION_SYSTEM } from '../../src/messaging/messages.js';
import { ukClock } from '../../src/shared/clock.js';
import { runProfile } from '../../src/profiles/rules.js';
import { SchemaValidator } from '../../src/fhir/schema.js';
import type { RunningServer } from '../../src/server.js';
import { MongoRepository } from '../../src/store/mongo-repository.js';
import { LiveProcesses } from '../../src/store/processes.js';
import { startFakeGpSystem, type FakeGpSystem } from '../fakes/gp-system.js';
import { caller, eventually, extraServer, scrape } from './harness.js';

const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';
const schema = new SchemaValidator(['Bundle']);
let server: RunningServer | undefined;
let practiceA: FakeGpSystem;
let practiceB: FakeGpSystem;
let practiceC: FakeGpSystem;

const call = caller(() => server);
/** Messages for daily batches are held a second (not five minutes) before they are stored. */
const SETTINGS = { AUTH: 'off', MONGODB_DB: 'nims_gp_test', GP_DAILY_PACK_SECONDS: '1' };

const registeredWith = (ods: string) => [{ identifier: { system: ODS, value: ods } }];
const header = (bundle: Bundle) => bundle.entry![0]!.resource as MessageHeader;
const actionOf = (bundle: Bundle) =>
  header(bundle).reason?.coding?.find((c) => c.system === RECORD_ACTION_SYSTEM)?.code;
const focusOf = (bundle: Bundle) =>
  bundle.entry!.find((e) => e.fullUrl === header(bundle).focus![0]!.reference)!.resource as Immunization;
/** The messages a practice got about one vaccination record, as [action, version] in the order they came. */
const about = (practice: FakeGpSystem, id: string) =>
  practice.messages.filter((m) => focusOf(m).id === id).map((m) => [actionOf(m), focusOf(m).meta?.versionId]);

describe('vaccination events to GP practices as FHIR messages', function () {
  this.timeout(90_000);
  let patientId = '';

  before(async () => {
    [practiceA, practiceB, practiceC] = await Promise.all([
      startFakeGpSystem(),
      startFakeGpSystem(),
      startFakeGpSystem(),
    ]);
    server = await extraServer(SETTINGS);
    expect((await call('POST', '/Endpoint', gpEndpoint('A81001', practiceA.url))).status).to.equal(201);
    expect((await call('POST', '/Endpoint', gpEndpoint('B82002', practiceB.url))).status).to.equal(201);
    expect((await call('POST', '/Endpoint', gpEndpoint('C83003', practiceC.url, true))).status).to.equal(201);
    const patient: Patient = {
      resourceType: 'Patient',
      identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber(1, 61) }],
      name: [{ given: ['Gill'], family: 'Practice' }],
      birthDate: '1960-02-02',
      generalPractitioner: registeredWith('A81001'),
    };
    patientId = ((await call('POST', '/Patient', patient)).body as { id: string }).id;
  });
  after(async () => {
    await server?.stop();
    await Promise.all([practiceA.close(), practiceB.close(), practiceC.close()]);
  });

  it('when a vaccination is recorded, changed and deleted, then the practice gets new, update and delete messages that meet the profile, counted in the metrics', async () => {
    const delivered = async () => (await scrape(server!)).get('nims_outbox_delivered_total{topic="gp"}') ?? 0;
    const deliveredBefore = await delivered();
    const created = (await call('POST', '/Immunization', immunization(patientId))).body as Immunization;
    await eventually(() => Promise.resolve(expect(about(practiceA, created.id!)).to.have.length(1)), 10_000);
    const updated = (await call('PUT', `/Immunization/${created.id}`, { ...created, lotNumber: 'FK9999' }))
      .body as Immunization;
    expect(updated.meta?.versionId).to.equal('2');
    expect((await call('DELETE', `/Immunization/${created.id}`)).status).to.be.oneOf([200, 204]);
    await eventually(() => Promise.resolve(expect(about(practiceA, created.id!)).to.have.length(3)), 10_000);
    expect(about(practiceA, created.id!)).to.deep.equal([
      ['new', '1'],
      ['update', '2'],
      ['delete', '2'],
    ]);
    for (const message of practiceA.messages) {
      expect(schema.validate('Bundle', message)).to.deep.equal([]);
      expect(runProfile(gpMessageProfile, message, { now: new Date() })).to.deep.equal([]);
      expect(header(message).destination![0]).to.deep.include({ endpoint: practiceA.url });
      expect(message.entry!.map((e) => e.resource!.resourceType)).to.include.members([
        'Immunization',
        'Patient',
      ]);
    }
    expect(practiceB.messages).to.have.length(0);
    expect((await delivered()) - deliveredBefore).to.equal(3);
  });

  it('when the practice is down, then its messages wait and arrive in order once it is back', async () => {
    practiceA.down = 503;
    const first = (await call('POST', '/Immunization', immunization(patientId))).body as Immunization;
    await call('PUT', `/Immunization/${first.id}`, { ...first, lotNumber: 'AB1' });
    await eventually(async () => {
      const status = ((await call('GET', '/$outbox?topic=gp')).body as Parameters).parameter![0]!.part!;
      expect(status.find((p) => p.name === 'pending')!.valueInteger).to.equal(2);
    }, 10_000);
    // tried, refused, and tried again once the practice is back
    await eventually(() => Promise.resolve(expect(practiceA.refused).to.be.above(0)), 10_000);
    // operators see how long the oldest message has waited
    const waited = (await scrape(server!)).get('nims_outbox_oldest_age_seconds{topic="gp"}');
    expect(waited).to.be.above(0);
    practiceA.down = undefined;
    await eventually(() => Promise.resolve(expect(about(practiceA, first.id!)).to.have.length(2)), 20_000);
    expect(about(practiceA, first.id!)).to.deep.equal([
      ['new', '1'],
      ['update', '2'],
    ]);
  });

  it('when the person moves practice between two events, then each event goes to the practice of its time', async () => {
    const record = (await call('POST', '/Immunization', immunization(patientId))).body as Immunization;
    await eventually(() => Promise.resolve(expect(about(practiceA, record.id!)).to.have.length(1)), 10_000);
    const patient = (await call('GET', `/Patient/${patientId}`)).body as Patient;
    await call('PUT', `/Patient/${patientId}`, { ...patient, generalPractitioner: registeredWith('B82002') });
    await call('PUT', `/Immunization/${record.id}`, { ...record, lotNumber: 'MOVED1' });
    await eventually(() => Promise.resolve(expect(about(practiceB, record.id!)).to.have.length(1)), 10_000);
    expect(about(practiceB, record.id!)).to.deep.equal([['update', '2']]);
    expect(about(practiceA, record.id!)).to.deep.equal([['new', '1']]);
  });

  it('when a GP system sends a vaccination message, then it is stored for the person, answered, not echoed back, and a repeat changes nothing', async () => {
    const own: Patient = {
      resourceType: 'Patient',
      identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber(2, 61) }],
      name: [{ given: ['Own'], family: 'Record' }],
      birthDate: '1955-05-05',
      generalPractitioner: registeredWith('A81001'),
    };
    const ownId = ((await call('POST', '/Patient', own)).body as { id: string }).id;
    const recorded: Immunization = {
      ...immunization('x'),
      identifier: [{ system: 'https://a81001.example.org/vaccinations', value: 'V-1' }],
      patient: { reference: 'urn:uuid:5f0c7c3e-1111-4a4a-9b9b-000000000001' },
    };
    const message = (id: string, immunizationEntry: Immunization, nhs = nhsNumber(2, 61)): Bundle => ({
      resourceType: 'Bundle',
      type: 'message',
      timestamp: new Date().toISOString(),
      entry: [
        {
          fullUrl: `urn:uuid:${id}`,
          resource: {
            resourceType: 'MessageHeader',
            id,
            eventCoding: {
              system: 'https://nims.example.org/fhir/CodeSystem/message-event',
              code: 'vaccination-record-change',
            },
            reason: { coding: [{ system: RECORD_ACTION_SYSTEM, code: 'new' }] },
            sender: { identifier: { system: ODS, value: 'A81001' } },
            source: { endpoint: practiceA.url },
            focus: [{ reference: 'urn:uuid:5f0c7c3e-1111-4a4a-9b9b-000000000002' }],
          },
        },
        { fullUrl: 'urn:uuid:5f0c7c3e-1111-4a4a-9b9b-000000000002', resource: immunizationEntry },
        {
          fullUrl: 'urn:uuid:5f0c7c3e-1111-4a4a-9b9b-000000000001',
          resource: { ...own, identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhs }] },
        },
      ],
    });
    const headerId = '0b6f1d2e-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
    const answered = await call('POST', '/$process-message', message(headerId, recorded));
    expect(answered.status).to.equal(200);
    const reply = header(answered.body as Bundle);
    expect(reply.response).to.deep.equal({ identifier: headerId, code: 'ok' });
    const found = (await call('GET', '/Immunization?identifier=https://a81001.example.org/vaccinations|V-1'))
      .body as Bundle;
    expect(found.entry).to.have.length(1);
    const stored = found.entry![0]!.resource as Immunization;
    expect(stored.patient.reference).to.equal(`Patient/${ownId}`);
    expect(reply.focus![0]!.reference).to.equal(`Immunization/${stored.id}`);

    const again = await call('POST', '/$process-message', message(headerId, recorded));
    expect(header(again.body as Bundle).focus![0]!.reference).to.equal(`Immunization/${stored.id}`);
    expect(((await call('GET', `/Immunization/${stored.id}`)).body as Immunization).meta?.versionId).to.equal(
      '1',
    );
    // a change someone else makes is news to the practice; its own record was not
    await call('PUT', `/Immunization/${stored.id}`, { ...stored, lotNumber: 'PH4RM' });
    await eventually(() => Promise.resolve(expect(about(practiceA, stored.id!)).to.have.length(1)), 10_000);
    expect(about(practiceA, stored.id!)).to.deep.equal([['update', '2']]);

    const stranger = await call(
      'POST',
      '/$process-message',
      message('1b6f1d2e-3c4d-4e5f-8a9b-0c1d2e3f4a5c', recorded, nhsNumber(9, 61)),
    );
    expect(stranger.status).to.equal(422);
    expect(
      (await call('POST', '/$process-message', { resourceType: 'Bundle', type: 'collection' })).status,
    ).to.equal(400);
    const noIdentifier = { ...recorded, identifier: undefined };
    expect(
      (await call('POST', '/$process-message', message('2b6f1d2e-3c4d-4e5f-8a9b-0c1d2e3f4a5d', noIdentifier)))
        .status,
    ).to.equal(400);
  });

  it('when a practice takes a daily batch, then the day’s messages wait and go as one batch in order; a failed day goes with the next run', async () => {
    const daily: Patient = {
      resourceType: 'Patient',
      identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber(3, 61) }],
      name: [{ given: ['Day'], family: 'Batch' }],
      birthDate: '1950-01-01',
      generalPractitioner: registeredWith('C83003'),
    };
    const dailyId = ((await call('POST', '/Patient', daily)).body as { id: string }).id;
    const first = (await call('POST', '/Immunization', immunization(dailyId))).body as Immunization;
    await call('POST', '/Immunization', immunization(dailyId));
    await call('PUT', `/Immunization/${first.id}`, { ...first, lotNumber: 'DAY2' });
    const pending = async (topic: string) =>
      ((await call('GET', `/$outbox?topic=${topic}`)).body as Parameters).parameter![0]!.part!.find(
        (p) => p.name === 'pending',
      )!.valueInteger;
    await eventually(async () => expect(await pending('gp_daily')).to.equal(3), 10_000);
    expect(practiceC.messages).to.have.length(0);
    const today = ukClock(new Date()).date;
    const sent = await call('POST', '/$gp-daily', {
      resourceType: 'Parameters',
      parameter: [{ name: 'date', valueDate: today }],
    });
    expect(sent.status).to.equal(200);
    expect((sent.body as Parameters).parameter).to.deep.equal([
      { name: 'delivered', valueInteger: 3 },
      { name: 'failed', valueInteger: 0 },
    ]);
    expect(practiceC.batches).to.have.length(1);
    expect(about(practiceC, first.id!)).to.deep.equal([
      ['new', '1'],
      ['update', '2'],
    ]);
    for (const message of practiceC.messages)
      expect(runProfile(gpMessageProfile, message, { now: new Date() })).to.deep.equal([]);

    practiceC.down = 503;
    await call('PUT', `/Immunization/${first.id}`, { ...first, lotNumber: 'DAY3' });
    await eventually(async () => expect(await pending('gp_daily')).to.equal(1), 10_000);
    const failed = await call('GET', `/$gp-daily?date=${today}`);
    expect(failed.status).to.equal(405);
    const refused = await call('POST', '/$gp-daily', {
      resourceType: 'Parameters',
      parameter: [{ name: 'date', valueDate: today }],
    });
    expect((refused.body as Parameters).parameter![1]).to.deep.equal({ name: 'failed', valueInteger: 1 });
    practiceC.down = undefined;
    const again = await call('POST', '/$gp-daily', {
      resourceType: 'Parameters',
      parameter: [{ name: 'date', valueDate: today }],
    });
    expect((again.body as Parameters).parameter![0]).to.deep.equal({ name: 'delivered', valueInteger: 1 });
    expect(about(practiceC, first.id!).at(-1)).to.deep.equal(['update', '3']);
    expect(
      (
        await call('POST', '/$gp-daily', {
          resourceType: 'Parameters',
          parameter: [{ name: 'date', valueDate: 'yesterday' }],
        })
      ).status,
    ).to.equal(400);
  });

  it('when a daily practice’s system stays down for its last try, then its batch is a dead letter that staff can send again', async () => {
    // a server of its own that gives up after two runs (the main one keeps following the log)
    const strict = await extraServer({ ...SETTINGS, GP_MAX_TRIES: '2' });
    const on = caller(() => strict);
    try {
      const run = async () =>
        (
          (
            await on('POST', '/$gp-daily', {
              resourceType: 'Parameters',
              parameter: [{ name: 'date', valueDate: ukClock(new Date()).date }],
            })
          ).body as Parameters
        ).parameter!;
      const status = async () =>
        ((await on('GET', '/$outbox?topic=gp_daily')).body as Parameters).parameter![0]!.part!;
      const count = (part: { name: string; valueInteger?: number }[], name: string) =>
        part.find((p) => p.name === name)!.valueInteger;
      practiceC.down = 503;
      const patient = (
        await call('GET', `/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|${nhsNumber(3, 61)}`)
      ).body as Bundle;
      const record = (await call('POST', '/Immunization', immunization(patient.entry![0]!.resource!.id!)))
        .body as Immunization;
      await eventually(async () => expect(count(await status(), 'pending')).to.equal(1), 10_000);
      expect(await run()).to.deep.include({ name: 'failed', valueInteger: 1 });
      expect(await run()).to.deep.include({ name: 'failed', valueInteger: 1 });
      const dead = await status();
      expect(count(dead, 'dead')).to.equal(1);
      expect(count(dead, 'pending')).to.equal(0);
      const entry = dead.find((p) => p.name === 'dead-entry')!.part!;
      expect(entry[0]).to.deep.equal({ name: 'id', valueString: `${ukClock(new Date()).date}/C83003` });
      expect(entry.find((p) => p.name === 'error')!.valueString).to.contain('503');
      // a third run does not try a dead batch
      expect(await run()).to.deep.include({ name: 'failed', valueInteger: 0 });
      practiceC.down = undefined;
      const retried = await on('POST', '/$outbox-retry', {
        resourceType: 'Parameters',
        parameter: [{ name: 'topic', valueCode: 'gp_daily' }],
      });
      expect((retried.body as Parameters).parameter![0]).to.deep.equal({ name: 'requeued', valueInteger: 1 });
      expect(await run()).to.deep.include({ name: 'delivered', valueInteger: 1 });
      expect(about(practiceC, record.id!)).to.deep.equal([['new', '1']]);
      expect(count(await status(), 'dead')).to.equal(0);
    } finally {
      practiceC.down = undefined;
      await strict.stop();
    }
  });

  it("when another process's new record is logged before its copy is stored, then its message goes once the copy is there", async () => {
    // the dispatcher's passes made by hand, around the other process's write
    await server!.gpMessages.stop();
    const otherProcess = server!.database.db.client.db(SETTINGS.MONGODB_DB);
    const writer = new MongoRepository(otherProcess, undefined, new LiveProcesses(otherProcess));
    const id = randomUUID();
    await writer.write({ type: 'Immunization', id, method: 'POST', resource: immunization(patientId) });
    // as if caught between its change log entry and its copy: a first version is only its copy
    const immunizations = otherProcess.collection<{ _id: string }>('Immunization');
    const copy = await immunizations.findOneAndDelete({ _id: id });
    expect(copy).to.not.equal(null);
    const told = () => [practiceA, practiceB, practiceC].flatMap((practice) => about(practice, id));

    await server!.gpMessages.tick();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(told()).to.deep.equal([]);
    await immunizations.insertOne(copy!);
    await server!.gpMessages.tick();
    await eventually(() => Promise.resolve(expect(told()).to.deep.equal([['new', '1']])), 10_000);
    await server!.gpMessages.start();
  });

  it('when the server stops between storing a change and sending it, then a new server sends it, once', async () => {
    await server!.gpMessages.stop();
    const record = (await call('POST', '/Immunization', immunization(patientId))).body as Immunization;
    await server!.stop();
    server = await extraServer(SETTINGS);
    await eventually(() => Promise.resolve(expect(about(practiceB, record.id!)).to.have.length(1)), 20_000);
    // a second dispatch of the same change makes the same message id: the practice keeps one
    const ids = practiceB.messages.map((m) => m.id);
    expect(new Set(ids).size).to.equal(ids.length);
  });
});

import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createHash, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle, Communication, Parameters, Patient, Task } from 'fhir/r4';
import { immunization, nhsNumber, DISEASES } from '../../fixtures/records.js';
import { EXTENSIONS } from '../../src/resources/extensions.js';
import { RUN_FIELD_SYSTEM } from '../../src/notifications/runs.js';
import type { RunningServer } from '../../src/server.js';
import { startFakeNhsApp, type FakeNhsApp } from '../fakes/nhs-app.js';
import { startFakeNotify, type FakeNotify } from '../fakes/notify.js';
import { caller, eventually, extraServer, testServer } from './harness.js';

let server: RunningServer | undefined;
let notify: FakeNotify;
let app: FakeNhsApp;
let mailing: string;

const call = caller(() => server);

/** A person of the test cohort: born in 1950 (so 65 and over), with what `extra` adds. */
function person(n: number, extra: Partial<Patient>): Patient {
  return {
    resourceType: 'Patient',
    identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber(n, 77) }],
    name: [{ use: 'official', given: [`Person${n}`], family: 'Test' }],
    birthDate: '1950-03-0' + String((n % 9) + 1),
    gender: 'female',
    ...extra,
  };
}

const home = (line: string) => [{ use: 'home' as const, line: [line], city: 'Leeds', postalCode: 'LS1 4AP' }];
const app_ = { extension: [{ url: EXTENSIONS.nhsAppNotifications, valueBoolean: true }] };
const mobile = (value: string) => ({
  telecom: [{ system: 'phone' as const, use: 'mobile' as const, value }],
});

// who is in the cohort and what should happen to each
const PEOPLE = {
  appDelivered: person(1, { ...app_, ...mobile('07700900001'), address: home('1 App Street') }),
  appRefusedThenText: person(2, { ...app_, ...mobile('07700900002') }),
  textRefusedThenLetter: person(3, { ...mobile('07700900003'), address: home('3 Refused Road') }),
  textBouncedThenLetter: person(4, { ...mobile('07700900004'), address: home('4 Bounce Lane') }),
  emailOnly: person(5, { telecom: [{ system: 'email', value: 'five@example.org' }] }),
  letterOnly: person(6, { address: home('6 Paper Close') }),
  unreachable: person(7, {}),
  diesMeanwhile: person(8, { ...mobile('07700900008') }),
  vaccinatedMeanwhile: person(9, { ...mobile('07700900009') }),
};

describe('invitation runs: Group/$invite', function () {
  this.timeout(60_000);
  const ids = new Map<keyof typeof PEOPLE, string>();
  /** The cohort the first test invites, which the reminder test reminds. */
  let invitedGroup = '';

  before(async () => {
    [notify, app] = await Promise.all([startFakeNotify(), startFakeNhsApp()]);
    mailing = mkdtempSync(join(tmpdir(), 'nims-mailing-'));
    server = await extraServer({
      AUTH: 'off',
      MONGODB_DB: 'nims_invite_test',
      NOTIFY_URL: notify.url,
      NOTIFY_API_KEY: notify.apiKey,
      NHSAPP_URL: app.url,
      MAILING_DIR: mailing,
      MAILING_INTERVAL_SECONDS: '1',
    });
    for (const [key, patient] of Object.entries(PEOPLE) as [keyof typeof PEOPLE, Patient][]) {
      const created = await call('POST', '/Patient', patient);
      expect(created.status).to.equal(201);
      ids.set(key, (created.body as { id: string }).id);
    }
    app.registered.add(PEOPLE.appDelivered.identifier![0]!.value!);
    notify.rules.set('07700900003', { sendStatus: 400 });
    notify.rules.set('07700900004', { deliveryStatus: 'permanent-failure' });
  });
  after(async () => {
    await server?.stop();
    await Promise.all([notify.close(), app.close()]);
    rmSync(mailing, { recursive: true, force: true });
  });

  it('when a cohort is invited, then each person gets one invitation down their channels, and the run records it all', async () => {
    const selected = await call('POST', '/Patient/$cohort', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'mode', valueCode: 'select' },
        { name: 'programme', valueCode: 'flu' },
        { name: 'age-from', valueInteger: 65 },
      ],
    });
    const group = (selected.body as Parameters).parameter!.find((p) => p.name === 'group')!.valueReference!
      .reference!;
    invitedGroup = group;
    expect((selected.body as Parameters).parameter!.find((p) => p.name === 'total')!.valueInteger).to.equal(
      9,
    );
    // between selection and sending: one dies, one is vaccinated
    const dying = (await call('GET', `/Patient/${ids.get('diesMeanwhile')}`)).body as Patient;
    expect(
      (await call('PUT', `/Patient/${dying.id}`, { ...dying, deceasedDateTime: '2026-11-20' })).status,
    ).to.equal(200);
    const vaccinated = immunization(ids.get('vaccinatedMeanwhile')!, {
      vaccineCode: { coding: [{ system: 'http://snomed.info/sct', code: '46233009' }] },
      protocolApplied: [{ targetDisease: [{ coding: [DISEASES.flu] }] }],
      // an hour ago: a fixed time of day would lie in the future in the small hours
      occurrenceDateTime: new Date(Date.now() - 3_600_000).toISOString(),
      recorded: new Date(Date.now() - 3_000_000).toISOString(),
    });
    expect((await call('POST', '/Immunization', vaccinated)).status).to.equal(201);

    const invited = await call('POST', `/${group}/$invite`, {
      resourceType: 'Parameters',
      parameter: [
        { name: 'programme', valueCode: 'flu' },
        { name: 'template-nhs-app', valueString: 'app-flu-invite' },
        { name: 'template-sms', valueString: 'f33517ff-2a88-4f6e-b855-c550268ce08a' },
        { name: 'template-email', valueString: 'a1b2c3d4-e5f6-4a5b-8c9d-0e1f2a3b4c5d' },
        { name: 'template-letter', valueString: 'letter-flu-invite' },
        { name: 'batch-size', valueInteger: 4 },
      ],
    });
    expect(invited.status).to.equal(202);
    const runId = (invited.body as Task).id!;
    expect(invited.location).to.match(new RegExp(`/Task/${runId}/_history/1$`));
    const task = await eventually(async () => {
      const current = (await call('GET', `/Task/${runId}`)).body as Task;
      expect(current.status).to.equal('completed');
      return current;
    }, 40_000);
    const counts: Record<string, number | undefined> = Object.fromEntries(
      task.output!.map((o): [string, number | undefined] => [
        String(o.type.coding!.find((c) => c.system === RUN_FIELD_SYSTEM)!.code),
        o.valueInteger,
      ]),
    );
    expect(counts).to.deep.equal({
      considered: 9,
      sent: 7,
      delivered: 6,
      failed: 0,
      unreachable: 1,
      fellBack: 3,
      returned: 0,
      unknown: 0,
      'skipped-deceased': 1,
      'skipped-vaccinated': 1,
    });

    // the gateways saw exactly one invitation each, by the right way
    expect(app.messages.map((m) => m.nhsNumber)).to.deep.equal([PEOPLE.appDelivered.identifier![0]!.value]);
    expect(notify.sent.map((n) => n.to).sort()).to.deep.equal([
      '07700900002',
      '07700900004',
      'five@example.org',
    ]);
    const files = readdirSync(mailing);
    const manifests = files.filter((f) => f.endsWith('.manifest.json'));
    const letters = manifests.flatMap((m) => {
      const manifest = JSON.parse(readFileSync(join(mailing, m), 'utf8')) as {
        file: string;
        letters: number;
        sha256: string;
      };
      const data = readFileSync(join(mailing, manifest.file), 'utf8');
      expect(createHash('sha256').update(data).digest('hex')).to.equal(manifest.sha256);
      const lines = data
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { address: string[]; template: string });
      expect(lines).to.have.length(manifest.letters);
      return lines;
    });
    expect(letters.map((l) => l.address[0]).sort()).to.deep.equal([
      '3 Refused Road',
      '4 Bounce Lane',
      '6 Paper Close',
    ]);
    expect(files.some((f) => f.startsWith('.'))).to.equal(false); // no half-written file left

    // one Communication per person and attempt, based on the run
    const bundle = (await call('GET', `/Communication?based-on=Task/${runId}&_count=100`)).body as Bundle;
    const communications = bundle.entry!.map((e) => e.resource as Communication);
    const of = (key: keyof typeof PEOPLE) =>
      communications
        .filter((c) => c.subject!.reference === `Patient/${ids.get(key)}`)
        .map((c) => `${c.medium?.[0]?.coding?.[0]?.code ?? '-'}:${c.status}`)
        .sort();
    expect(of('appDelivered')).to.deep.equal(['nhs-app:completed']);
    expect(of('appRefusedThenText')).to.deep.equal(['nhs-app:not-done', 'sms:completed']);
    expect(of('textRefusedThenLetter')).to.deep.equal(['letter:completed', 'sms:not-done']);
    expect(of('textBouncedThenLetter')).to.deep.equal(['letter:completed', 'sms:not-done']);
    expect(of('emailOnly')).to.deep.equal(['email:completed']);
    expect(of('letterOnly')).to.deep.equal(['letter:completed']);
    expect(of('unreachable')).to.deep.equal(['-:not-done']);
    expect(of('diesMeanwhile')).to.deep.equal(['-:not-done']);
    const skipped = communications.find(
      (c) => c.subject!.reference === `Patient/${ids.get('vaccinatedMeanwhile')}`,
    )!;
    expect(skipped.statusReason!.text).to.equal('skipped: vaccinated');

    // the same run started again sends nobody anything twice
    const before = notify.sent.length + app.messages.length;
    await server!.invitations.begin(runId, group.split('/')[1]!);
    await server!.invitations.settled(runId);
    expect(notify.sent.length + app.messages.length).to.equal(before);
  });

  it('when invited people are reminded, then only those invited long enough ago, unvaccinated and under the limit are', async () => {
    const recall = (mode: string, afterDays: number, most = 1) =>
      call('POST', `/${invitedGroup}/$recall`, {
        resourceType: 'Parameters',
        parameter: [
          { name: 'programme', valueCode: 'flu' },
          { name: 'template-nhs-app', valueString: 'app-flu-reminder' },
          { name: 'template-sms', valueString: 'f33517ff-2a88-4f6e-b855-c550268ce08a' },
          { name: 'template-email', valueString: 'a1b2c3d4-e5f6-4a5b-8c9d-0e1f2a3b4c5d' },
          { name: 'template-letter', valueString: 'letter-flu-reminder' },
          { name: 'after-days', valueInteger: afterDays },
          { name: 'max-reminders', valueInteger: most },
          { name: 'mode', valueCode: mode },
        ],
      });
    const total = (answer: { body: unknown }) => (answer.body as Parameters).parameter![0]!.valueInteger;
    // invited today: none is due after a week; six were reached (the unreachable one never was)
    expect(total(await recall('count', 7))).to.equal(0);
    expect(total(await recall('count', 0))).to.equal(6);
    const before = notify.sent.length + app.messages.length;
    const started = await recall('send', 0);
    expect(started.status).to.equal(202);
    const run = started.body as Task;
    expect(run.code!.coding![0]!.code).to.equal('reminder-run');
    await eventually(async () => {
      expect(((await call('GET', `/Task/${run.id}`)).body as Task).status).to.equal('completed');
    }, 40_000);
    // the app, two texts and an email again (letters went to the mailing house)
    expect(notify.sent.length + app.messages.length - before).to.equal(4);
    const output = ((await call('GET', `/Task/${run.id}`)).body as Task).output!;
    const count = (code: string) => output.find((o) => o.type.coding![0]!.code === code)?.valueInteger;
    expect([
      count('considered'),
      count('skipped-not-due'),
      count('skipped-vaccinated'),
      count('delivered'),
    ]).to.deep.equal([9, 1, 1, 6]);
    // one reminder a season was asked for, and each has had it
    expect(total(await recall('count', 0))).to.equal(0);
    expect(total(await recall('count', 0, 2))).to.equal(6);
  });

  it('when the parameters are wrong, then the run is refused with a 400 naming them', async () => {
    const selected = await call('POST', '/Patient/$cohort', {
      resourceType: 'Parameters',
      parameter: [{ name: 'mode', valueCode: 'select' }],
    });
    const group = (selected.body as Parameters).parameter!.find((p) => p.name === 'group')!.valueReference!
      .reference!;
    const bad = async (parameter: object[], expected: RegExp) => {
      const answer = await call('POST', `/${group}/$invite`, { resourceType: 'Parameters', parameter });
      expect(answer.status, JSON.stringify(answer.body)).to.equal(400);
      expect(JSON.stringify(answer.body)).to.match(expected);
    };
    await bad([{ name: 'template-sms', valueString: 't' }], /programme/);
    await bad([{ name: 'programme', valueCode: 'flu' }], /template/);
    await bad(
      [
        { name: 'programme', valueCode: 'flu' },
        { name: 'template-sms', valueString: 't' },
        { name: 'channel', valueCode: 'pigeon' },
      ],
      /channel must be one of/,
    );
    await bad(
      [
        { name: 'programme', valueCode: 'flu' },
        { name: 'template-sms', valueString: 't' },
        { name: 'window-start', valueString: '9am' },
        { name: 'window-end', valueString: '17:00' },
      ],
      /HH:MM/,
    );
    await bad(
      [
        { name: 'programme', valueCode: 'flu' },
        { name: 'template-sms', valueString: 't' },
        { name: 'batch-size', valueInteger: 0 },
      ],
      /batch-size/,
    );
    expect(
      (
        await call('POST', '/Group/no-such-group/$invite', {
          resourceType: 'Parameters',
          parameter: [
            { name: 'programme', valueCode: 'flu' },
            { name: 'template-sms', valueString: 't' },
          ],
        })
      ).status,
    ).to.equal(404);
  });
});

describe('invitation runs: pausing, cancelling, and a crash in the middle', function () {
  this.timeout(90_000);
  const people = Array.from({ length: 24 }, (_, i) =>
    person(100 + i, { ...mobile(`077009${String(10_000 + i).slice(1)}`), birthDate: '1940-01-01' }),
  );

  let group = '';
  const invite = async (target: RunningServer) => {
    const answer = await fetch(`${target.url}/${group}/$invite`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'Parameters',
        parameter: [
          { name: 'programme', valueCode: 'covid-19' },
          { name: 'template-sms', valueString: 'f33517ff-2a88-4f6e-b855-c550268ce08a' },
          { name: 'batch-size', valueInteger: 2 },
        ],
      }),
    });
    expect(answer.status).to.equal(202);
    return ((await answer.json()) as Task).id!;
  };
  const setStatus = async (runId: string, status: Task['status']) => {
    const task = (await call('GET', `/Task/${runId}`)).body as Task;
    expect((await call('PUT', `/Task/${runId}`, { ...task, status })).status).to.equal(200);
  };
  const sentFor = (runId: string) => notify.sent.filter((n) => n.reference?.startsWith(`${runId}/`));
  const status = async (runId: string) => ((await call('GET', `/Task/${runId}`)).body as Task).status;

  before(async () => {
    [notify, app] = await Promise.all([startFakeNotify(), startFakeNhsApp()]);
    server = await extraServer({
      AUTH: 'off',
      MONGODB_DB: 'nims_invite_control_test',
      NOTIFY_URL: notify.url,
      NOTIFY_API_KEY: notify.apiKey,
    });
    for (const p of people) expect((await call('POST', '/Patient', p)).status).to.equal(201);
    const selected = await call('POST', '/Patient/$cohort', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'mode', valueCode: 'select' },
        { name: 'age-from', valueInteger: 80 },
      ],
    });
    group = (selected.body as Parameters).parameter!.find((p) => p.name === 'group')!.valueReference!
      .reference!;
    notify.delayMs = 60;
  });
  after(async () => {
    await server?.stop();
    await Promise.all([notify.close(), app.close()]);
  });

  it('when a run is paused, then sending stops until it is resumed; a cancelled run stops for good', async () => {
    const paused = await invite(server!);
    await setStatus(paused, 'on-hold');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const whilePaused = sentFor(paused).length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(sentFor(paused).length).to.equal(whilePaused);
    expect(whilePaused).to.be.below(people.length);
    await setStatus(paused, 'in-progress');
    await eventually(async () => expect(await status(paused)).to.equal('completed'), 30_000);
    expect(sentFor(paused)).to.have.length(people.length);

    const cancelled = await invite(server!);
    await setStatus(cancelled, 'cancelled');
    await server!.invitations.settled(cancelled);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await status(cancelled)).to.equal('cancelled');
    expect(sentFor(cancelled).length).to.be.below(people.length);
    // the Task accounts for everyone the run considered, those the cancellation ended too
    const output = ((await call('GET', `/Task/${cancelled}`)).body as Task).output ?? [];
    const count = (code: string) => output.find((o) => o.type.coding![0]!.code === code)?.valueInteger ?? 0;
    const ended = output
      .map((o) => o.type.coding![0]!.code!)
      .filter((code) => code === 'sent' || code === 'unreachable' || code.startsWith('skipped-'))
      .reduce((sum, code) => sum + count(code), 0);
    expect(count('considered')).to.be.greaterThan(0);
    expect(ended).to.equal(count('considered'));
  });

  it('when a batch waits on the gateway, then everyone is prepared meanwhile and the next batches wait their turn', async () => {
    notify.delayMs = 0;
    let open = () => {};
    notify.gate = new Promise<void>((resolve) => (open = resolve));
    try {
      const runId = await invite(server!);
      // batches of two: the first two messages wait at the gateway, marked as being sent; the next batches
      // go when the first has gone, and are not marked before; everyone is prepared
      await eventually(() => Promise.resolve(expect(notify.waiting).to.equal(2)), 10_000);
      const states = async () => {
        const all = await server!.database.db.collection('invitation_sends').find({ run: runId }).toArray();
        return all.map((d) => String(d.state));
      };
      await eventually(async () => {
        const now = await states();
        expect(now).to.have.length(people.length);
        expect(now.filter((state) => state === 'sending')).to.have.length(2);
        expect(now.filter((state) => state === 'prepared')).to.have.length(people.length - 2);
      }, 10_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(notify.waiting).to.equal(2);
      open();
      notify.gate = undefined;
      await eventually(async () => expect(await status(runId)).to.equal('completed'), 30_000);
      expect(new Set(sentFor(runId).map((n) => n.to)).size).to.equal(people.length);
      expect(sentFor(runId)).to.have.length(people.length);
    } finally {
      open();
      notify.gate = undefined;
      notify.delayMs = 60;
    }
  });

  it('when the server stops in the middle of a run, then a new one finishes it and nobody gets two messages', async () => {
    const runId = await invite(server!);
    await eventually(() => Promise.resolve(expect(sentFor(runId).length).to.be.above(3)), 10_000);
    const everyone = ((await call('GET', '/Patient?_count=100&_elements=id')).body as Bundle).entry!;
    await server!.stop();
    const sentBeforeCrash = sentFor(runId).length;
    expect(sentBeforeCrash).to.be.below(people.length);
    // two people not yet sent anything become claims cut off before their Communication was made (as
    // claimed by an earlier nims, and prepared by a process that is gone): nothing can have gone
    const sends = (await testServer()).database.db.client.db('nims_invite_control_test').collection<{
      _id: string;
      patient: string;
      state: string;
      [field: string]: unknown;
    }>('invitation_sends');
    const stateOf = new Map((await sends.find({ run: runId }).toArray()).map((d) => [d.patient, d.state]));
    const [legacy, prepared] = everyone
      .map((e) => e.resource!.id!)
      .filter((id) => !stateOf.has(id) || stateOf.get(id) === 'prepared');
    expect(prepared).to.be.a('string');
    const cutOff = { [legacy!]: randomUUID(), [prepared!]: randomUUID() };
    const claim = { run: runId, step: 0, chain: ['sms'], claimedAt: Date.now() - 60_000 };
    await sends.replaceOne(
      { _id: `${runId}/${legacy}` },
      { ...claim, patient: legacy!, state: 'sending', attempts: 1, communication: cutOff[legacy!] },
      { upsert: true },
    );
    await sends.replaceOne(
      { _id: `${runId}/${prepared}` },
      {
        ...claim,
        patient: prepared!,
        state: 'prepared',
        attempts: 0,
        communication: cutOff[prepared!],
        version: 1,
        preparedBy: 'gone~0/1/stopped',
      },
      { upsert: true },
    );
    server = await extraServer({
      AUTH: 'off',
      MONGODB_DB: 'nims_invite_control_test',
      NOTIFY_URL: notify.url,
      NOTIFY_API_KEY: notify.apiKey,
    });
    await eventually(async () => expect(await status(runId)).to.equal('completed'), 40_000);
    const byPerson = new Map<string, number>();
    for (const n of sentFor(runId)) {
      const patient = n.reference!.split('/')[1]!;
      byPerson.set(patient, (byPerson.get(patient) ?? 0) + 1);
    }
    expect([...byPerson.values()].every((n) => n === 1)).to.equal(true);
    for (const id of [legacy!, prepared!]) {
      expect(byPerson.get(id)).to.equal(1);
      const communication = (await call('GET', `/Communication/${cutOff[id]}`)).body as Communication;
      expect(communication.status).to.equal('completed');
    }
    // at most the messages a provider was being called for at the stop are left unknown, never resent
    expect(byPerson.size).to.be.at.least(people.length - 16);
    const output = ((await call('GET', `/Task/${runId}`)).body as Task).output!;
    const count = (code: string) => output.find((o) => o.type.coding![0]!.code === code)!.valueInteger!;
    expect(count('considered')).to.equal(people.length);
    // every person ended: delivered, or (cut off mid-call) unknown, or failed; none left half way
    const states = (
      await server.database.db.collection('invitation_sends').find({ run: runId }).toArray()
    ).map((d) => (d.reason ? `${String(d.state)}:${String(d.reason)}` : String(d.state)));
    expect(
      states.filter((state) => !['delivered', 'unknown'].includes(state) && !state.startsWith('failed')),
      states.join(),
    ).to.deep.equal([]);
    expect(count('delivered') + count('unknown') + count('failed'), states.join()).to.equal(people.length);
  });

  it('when someone prepared for a run dies before their message goes, then they are skipped at send time', async () => {
    notify.delayMs = 0;
    let open = () => {};
    notify.gate = new Promise<void>((resolve) => (open = resolve));
    const sends = server!.database.db.collection<{ _id: string; patient: string; communication: string }>(
      'invitation_sends',
    );
    let dying: Patient | undefined;
    try {
      const runId = await invite(server!);
      // the first batches wait at the gateway while everyone is prepared
      const output = async () => ((await call('GET', `/Task/${runId}`)).body as Task).output ?? [];
      const count = async (code: string) =>
        (await output()).find((o) => o.type.coding![0]!.code === code)?.valueInteger ?? 0;
      await eventually(async () => expect(await count('considered')).to.equal(people.length), 10_000);
      const waiting = await sends.findOne({ run: runId, state: 'prepared' }, { sort: { _id: -1 } });
      dying = (await call('GET', `/Patient/${waiting!.patient}`)).body as Patient;
      expect(
        (await call('PUT', `/Patient/${dying.id}`, { ...dying, deceasedDateTime: '2026-11-20' })).status,
      ).to.equal(200);
      open();
      await eventually(async () => expect(await status(runId)).to.equal('completed'), 30_000);
      expect(sentFor(runId).filter((n) => n.reference!.split('/')[1] === dying!.id)).to.deep.equal([]);
      expect(sentFor(runId)).to.have.length(people.length - 1);
      expect(await count('skipped-deceased')).to.equal(1);
      const skipped = await sends.findOne({ _id: `${runId}/${dying.id}` });
      expect(skipped).to.include({ state: 'skipped', reason: 'deceased' });
      const communication = (await call('GET', `/Communication/${skipped!.communication}`))
        .body as Communication;
      expect(communication.status).to.equal('not-done');
      expect(communication.statusReason!.text).to.equal('skipped: deceased');
      expect(communication.meta!.versionId).to.equal('2');
      expect(communication.medium).to.equal(undefined);
    } finally {
      open();
      notify.gate = undefined;
      notify.delayMs = 60;
      // alive again for any later run
      if (dying) await call('PUT', `/Patient/${dying.id}`, { ...dying, meta: undefined });
    }
  });
});

describe('invitation runs: delivery receipts from Notify', function () {
  this.timeout(60_000);
  const TOKEN = 'notify-callback-secret-0123456789';

  before(async () => {
    [notify, app] = await Promise.all([startFakeNotify(), startFakeNhsApp()]);
    server = await extraServer({
      AUTH: 'off',
      MONGODB_DB: 'nims_invite_callback_test',
      NOTIFY_URL: notify.url,
      NOTIFY_API_KEY: notify.apiKey,
      NOTIFY_CALLBACK_TOKEN: TOKEN,
    });
    expect((await call('POST', '/Patient', person(300, mobile('07700900300')))).status).to.equal(201);
    // the gateway's own status never moves on: only a receipt can settle the message
    notify.rules.set('07700900300', { deliveryStatus: 'sending' });
  });
  after(async () => {
    await server?.stop();
    await Promise.all([notify.close(), app.close()]);
  });

  it('when Notify calls back with a receipt, then the message is settled; a wrong token or body is refused', async () => {
    const selected = await call('POST', '/Patient/$cohort', {
      resourceType: 'Parameters',
      parameter: [{ name: 'mode', valueCode: 'select' }],
    });
    const group = (selected.body as Parameters).parameter!.find((p) => p.name === 'group')!.valueReference!
      .reference!;
    const invited = await call('POST', `/${group}/$invite`, {
      resourceType: 'Parameters',
      parameter: [
        { name: 'programme', valueCode: 'flu' },
        { name: 'template-sms', valueString: 'f33517ff-2a88-4f6e-b855-c550268ce08a' },
      ],
    });
    const runId = (invited.body as Task).id!;
    const sms = await eventually(() =>
      Promise.resolve(notify.sent.find((n) => n.to === '07700900300')!.reference!),
    );
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(((await call('GET', `/Task/${runId}`)).body as Task).status).to.equal('in-progress');
    const receipt = (token: string, body: object) =>
      fetch(`${server!.url.replace(/\/fhir$/, '')}/callbacks/notify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
    const id = notify.sent[0]!.id;
    expect((await receipt('wrong', { id, reference: sms, status: 'delivered' })).status).to.equal(401);
    expect((await receipt(TOKEN, { reference: sms, status: 'delivered' })).status).to.equal(400);
    // a receipt for a message that is not the one waiting changes nothing
    expect(
      (await receipt(TOKEN, { id: 'someone-else', reference: sms, status: 'delivered' })).status,
    ).to.equal(204);
    expect((await receipt(TOKEN, { id, reference: sms, status: 'delivered' })).status).to.equal(204);
    const task = await eventually(async () => {
      const current = (await call('GET', `/Task/${runId}`)).body as Task;
      expect(current.status).to.equal('completed');
      return current;
    }, 10_000);
    expect(task.output!.find((o) => o.type.coding![0]!.code === 'delivered')!.valueInteger).to.equal(1);
  });
});

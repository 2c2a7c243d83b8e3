import { expect } from 'chai';
import type {
  Group,
  Immunization,
  OperationOutcome,
  Parameters,
  ParametersParameter,
  Patient,
} from 'fhir/r4';
import { seeded } from '../../fixtures/population.js';
import { immunization, patient } from '../../fixtures/records.js';
import { CODE_SYSTEMS } from '../../src/resources/extensions.js';
import { CLINICAL_RISK_GROUPS, PRIORITY_GROUPS } from '../../src/register/attributes.js';
import { ETHNIC_CODES, type CohortCriteria } from '../../src/cohort/index.js';
import { preferenceConsent } from '../../src/preferences/consent.js';
import type { RunningServer } from '../../src/server.js';
import { bruteForce } from '../cohort-brute-force.js';
import { caller, errorCode, eventually, extraServer, http, tokenFor } from './harness.js';
import { databaseDuration } from '../../src/shared/metrics.js';
import { generatedPopulation, loadPopulation } from './population.js';

const PEOPLE = 1500;
const generated = generatedPopulation(11, PEOPLE);
const { geography, people, population } = generated;

// a server and database of their own (the main test server's people would be counted too), without
// authentication, which the last tests check on the main server
let server: RunningServer | undefined;
let second: RunningServer | undefined;
const DB = 'nims_cohort_test';

async function call(
  target: RunningServer,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/fhir+json',
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${target.url}${path}`, {
    method,
    ...(body !== undefined
      ? {
          body: typeof body === 'string' ? body : JSON.stringify(body),
          headers: { 'content-type': contentType },
        }
      : {}),
  });
  return { status: response.status, body: await response.json() };
}

/** The criteria as $cohort parameters (ages in months, which the index counts in). */
function parametersOf(criteria: CohortCriteria, areaCodes: string[] = []): Parameters {
  const parameter: ParametersParameter[] = [
    { name: 'age-on', valueDate: criteria.ageOn.toISOString().slice(0, 10) },
  ];
  if (criteria.programme) parameter.push({ name: 'programme', valueCode: criteria.programme });
  if (criteria.ageFromMonths !== undefined)
    parameter.push({ name: 'age-from-months', valueInteger: criteria.ageFromMonths });
  if (criteria.ageToMonths !== undefined)
    parameter.push({ name: 'age-to-months', valueInteger: criteria.ageToMonths });
  for (const s of criteria.sex ?? []) parameter.push({ name: 'sex', valueCode: s });
  for (const e of criteria.ethnicCategory ?? []) parameter.push({ name: 'ethnic-category', valueCode: e });
  for (const g of criteria.priorityGroups ?? []) parameter.push({ name: 'priority-group', valueCode: g });
  for (const r of criteria.clinicalRiskGroups ?? [])
    parameter.push({ name: 'clinical-risk-group', valueCode: r });
  for (const a of areaCodes) parameter.push({ name: 'area', valueString: a });
  for (const [name, value] of [
    ['include-vaccinated', criteria.includeVaccinated],
    ['include-opted-out', criteria.includeOptedOut],
    ['include-deceased', criteria.includeDeceased],
    ['include-left', criteria.includeLeft],
  ] as const)
    if (value) parameter.push({ name, valueBoolean: true });
  return { resourceType: 'Parameters', parameter };
}

async function cohort(target: RunningServer, parameters: Parameters): Promise<Parameters> {
  const answer = await call(target, 'POST', '/Patient/$cohort', parameters);
  expect(answer.status, JSON.stringify(answer.body).slice(0, 500)).to.equal(200);
  return answer.body as Parameters;
}

const totalOf = (answer: Parameters) => answer.parameter!.find((p) => p.name === 'total')!.valueInteger!;

/** Practice counts from the breakdown's leaves. */
function practiceCounts(answer: Parameters): Map<string, number> {
  const counts = new Map<string, number>();
  const walk = (parts: ParametersParameter[]) => {
    const value = (name: string) => parts.find((p) => p.name === name);
    if (value('level')?.valueCode === 'gp-practice')
      counts.set(value('code')!.valueString!, value('count')!.valueInteger!);
    for (const child of parts.filter((p) => p.name === 'area')) walk(child.part!);
  };
  for (const area of answer.parameter!.filter((p) => p.name === 'area')) walk(area.part!);
  return counts;
}

describe('cohort selection: Patient/$cohort', function () {
  this.timeout(180_000);

  before(async () => {
    server = await extraServer({ AUTH: 'off', MONGODB_DB: DB });
    await loadPopulation(
      caller(() => server),
      generated,
    );
  });
  after(async () => {
    await second?.stop();
    await server?.stop();
  });

  it('when random criteria are counted, then totals and every practice count equal a brute-force count over the loaded data', async () => {
    const rnd = seeded(5);
    // a third of a list, and never none (an empty list cannot be sent as parameters)
    const someOf = <T>(items: readonly T[]): T[] => {
      const chosen = items.filter(() => rnd() < 0.3);
      return chosen.length > 0 ? chosen : [items[0]!];
    };
    const practices = geography.practices.filter((p) =>
      people.some((q) => q.generalPractitioner![0]!.identifier!.value === p.code),
    );
    for (let run = 0; run < 25; run++) {
      // areas of every level, each standing for the practices below it
      const level = Math.floor(rnd() * 6);
      const practice = practices[Math.floor(rnd() * practices.length)]!;
      const district = people[Math.floor(rnd() * PEOPLE)]!.address![0]!.postalCode!.split(' ')[0]!;
      const areaCodes = [
        [],
        [practice.region],
        [practice.icb],
        [practice.localAuthority],
        [practice.code],
        [district],
      ][level]!;
      const inArea = (code: string) => {
        const p = geography.practices.find((q) => q.code === code)!;
        return areaCodes.some((a) => [p.region, p.icb, p.localAuthority, p.code].includes(a));
      };
      const from = rnd() < 0.6 ? Math.floor(rnd() * 80) * 12 : undefined;
      const criteria: CohortCriteria = {
        ageOn: new Date(Date.UTC(2026, Math.floor(rnd() * 11), 1 + Math.floor(rnd() * 28))),
        ...(from !== undefined ? { ageFromMonths: from } : {}),
        ...(rnd() < 0.5 ? { ageToMonths: (from ?? 0) + Math.floor(rnd() * 30) * 12 + 11 } : {}),
        ...(rnd() < 0.3 ? { sex: [rnd() < 0.5 ? 'male' : 'female'] as const } : {}),
        ...(rnd() < 0.2 ? { ethnicCategory: someOf(ETHNIC_CODES.slice(1)) } : {}),
        ...(areaCodes.length > 0
          ? {
              area: {
                practices: geography.practices.map((p) => p.code).filter(inArea),
                districts: level === 5 ? areaCodes : [],
              },
            }
          : {}),
        ...(rnd() < 0.7 ? { programme: (['covid-19', 'flu', 'mmr'] as const)[Math.floor(rnd() * 3)]! } : {}),
        ...(rnd() < 0.3 ? { priorityGroups: someOf(PRIORITY_GROUPS) } : {}),
        ...(rnd() < 0.15 ? { clinicalRiskGroups: someOf(CLINICAL_RISK_GROUPS) } : {}),
        includeVaccinated: rnd() < 0.3,
        includeDeceased: rnd() < 0.3,
        includeLeft: rnd() < 0.3,
      };
      const expected = bruteForce(population, criteria);
      const answer = await cohort(server!, parametersOf(criteria, areaCodes));
      expect(totalOf(answer), JSON.stringify(criteria)).to.equal(
        [...expected.values()].reduce((a, b) => a + b, 0),
      );
      expect(practiceCounts(answer), JSON.stringify(criteria)).to.deep.equal(expected);
    }
  });

  it('when a person is vaccinated, dies, or opts out, then the next count follows at once, here and on another server process', async () => {
    const i = people.findIndex(
      (p, k) =>
        !p.deceasedDateTime &&
        p.active !== false &&
        population.vaccinations[k]!.length === 0 &&
        p.birthDate! < '1950',
    );
    const nhsNumber = people[i]!.identifier![0]!.value!;
    const found = await call(
      server!,
      'GET',
      `/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|${nhsNumber}`,
    );
    const stored = (found.body as { entry: { resource: Patient & { id: string } }[] }).entry[0]!.resource;
    const covid: Parameters = {
      resourceType: 'Parameters',
      parameter: [
        { name: 'programme', valueCode: 'covid-19' },
        { name: 'age-on', valueDate: '2026-11-25' },
        { name: 'breakdown', valueCode: 'none' },
      ],
    };
    const before = totalOf(await cohort(server!, covid));
    // a snapshot now: the next server starts from it and reads the change log after it
    await server!.cohorts.saveSnapshot();

    const vaccination: Immunization = {
      resourceType: 'Immunization',
      status: 'completed',
      primarySource: true,
      identifier: [{ system: 'https://example.org/test-vaccination', value: 'cohort-1' }],
      vaccineCode: { coding: [{ system: 'http://snomed.info/sct', code: '39115611000001103' }] },
      patient: { reference: `Patient/${stored.id}` },
      occurrenceDateTime: '2026-11-01T10:00:00+00:00',
      recorded: '2026-11-01T10:00:00+00:00',
      protocolApplied: [
        { targetDisease: [{ coding: [{ system: 'http://snomed.info/sct', code: '840539006' }] }] },
      ],
    };
    const created = await call(server!, 'POST', '/Immunization', vaccination);
    expect(created.status).to.equal(201);
    expect(totalOf(await cohort(server!, covid))).to.equal(before - 1);

    // another process on the same database learns of it from the change log
    second = await extraServer({ AUTH: 'off', MONGODB_DB: DB });
    // it answers 503 until its index is built
    const fromSecond = () =>
      eventually(async () => {
        const answer = await call(second!, 'POST', '/Patient/$cohort', covid);
        expect(answer.status).to.equal(200);
        return totalOf(answer.body as Parameters);
      }, 30_000);
    expect(await fromSecond()).to.equal(before - 1);
    expect(second.cohorts.builtFrom).to.equal('snapshot');
    const id = (created.body as { id: string }).id;
    expect((await call(server!, 'DELETE', `/Immunization/${id}`)).status).to.equal(200);
    expect(await fromSecond()).to.equal(before);

    // a preference as the preference service records it (profile nims-invitation-preference)
    const consent = preferenceConsent(stored as Patient, 'deny', new Date('2026-11-20T09:00:00Z'));
    expect((await call(second, 'POST', '/Consent', consent)).status).to.equal(201);
    expect(totalOf(await cohort(second, covid))).to.equal(before - 1);
    expect(totalOf(await cohort(server!, covid))).to.equal(before - 1);
    expect(
      totalOf(
        await cohort(server!, {
          ...covid,
          parameter: [...covid.parameter!, { name: 'include-opted-out', valueBoolean: true }],
        }),
      ),
    ).to.equal(before);

    const { id: _id, meta: _meta, ...content } = stored;
    expect(
      (
        await call(server!, 'PUT', `/Patient/${stored.id}`, {
          ...content,
          id: stored.id,
          deceasedDateTime: '2026-11-24',
        })
      ).status,
    ).to.equal(200);
    const everyone: Parameters = {
      resourceType: 'Parameters',
      parameter: [{ name: 'breakdown', valueCode: 'none' }],
    };
    const withDead = totalOf(
      await cohort(server!, {
        ...everyone,
        parameter: [...everyone.parameter!, { name: 'include-deceased', valueBoolean: true }],
      }),
    );
    expect(totalOf(await cohort(server!, everyone))).to.equal(
      withDead - people.filter((p) => p.deceasedDateTime && p.active !== false).length - 1,
    );
  });

  it('when a cohort is selected, then a Group holds its criteria and count, and its members are stored apart', async () => {
    const answer = await cohort(server!, {
      resourceType: 'Parameters',
      parameter: [
        { name: 'mode', valueCode: 'select' },
        { name: 'name', valueString: 'Flu 65+' },
        { name: 'programme', valueCode: 'flu' },
        { name: 'age-from', valueInteger: 65 },
        { name: 'age-on', valueDate: '2026-11-25' },
      ],
    });
    const reference = answer.parameter!.find((p) => p.name === 'group')!.valueReference!.reference!;
    const group = (await call(server!, 'GET', `/${reference}`)).body as Group;
    expect(group).to.include({
      resourceType: 'Group',
      type: 'person',
      actual: true,
      name: 'Flu 65+',
      quantity: totalOf(answer),
    });
    expect(group.member).to.equal(undefined);
    expect(group.characteristic!.map((c) => c.code.coding![0]!.code)).to.include.members([
      'programme',
      'age-from',
      'age-on',
    ]);
    const chunks = await server!.database.db
      .collection<{ patients: string[] }>('cohort_members')
      .find({ group: group.id })
      .toArray();
    expect(chunks.flatMap((c) => c.patients)).to.have.length(totalOf(answer));
  });

  it('when the parameters are wrong, then the answer is a 400 OperationOutcome that names them', async () => {
    const bad = async (parameter: unknown[], expected: RegExp) => {
      const answer = await call(server!, 'POST', '/Patient/$cohort', {
        resourceType: 'Parameters',
        parameter,
      });
      expect(answer.status, JSON.stringify(answer.body)).to.equal(400);
      expect((answer.body as OperationOutcome).issue[0]!.diagnostics).to.match(expected);
    };
    await bad([{ name: 'programme', valueCode: 'polio' }], /programme must be one of/);
    await bad(
      [
        { name: 'age-from', valueInteger: 70 },
        { name: 'age-to', valueInteger: 60 },
      ],
      /youngest age is above/,
    );
    await bad(
      [
        { name: 'age-from', valueInteger: 7 },
        { name: 'age-from-months', valueInteger: 7 },
      ],
      /not both/,
    );
    await bad([{ name: 'area', valueString: 'NOWHERE!' }], /Unknown area/);
    await bad([{ name: 'area', valueString: { $gt: '' } }], /needs a string value/);
    await bad([{ name: 'age-from', valueInteger: '65' }], /needs a integer value/);
    await bad([{ name: 'colour', valueCode: 'blue' }], /Unknown parameter 'colour'/);
    await bad(
      [
        { name: 'mode', valueCode: 'count' },
        { name: 'mode', valueCode: 'count' },
      ],
      /at most 1/,
    );
    await bad([{ name: 'age-on', valueDate: '2026-13-45' }], /full date/);
    const notParameters = await call(server!, 'POST', '/Patient/$cohort', { resourceType: 'Patient' });
    expect(notParameters.status).to.equal(400);
    expect(errorCode(notParameters.body)).to.equal('invalid-request');
  });
});

describe('cohort selection: permissions', () => {
  it('when a client may search people, then it may count; storing a cohort needs Group create', async () => {
    const body = { resourceType: 'Parameters', parameter: [{ name: 'breakdown', valueCode: 'region' }] };
    const counter = await tokenFor('system/Patient.rs');
    const as = (token: string, payload: object) =>
      http('POST', '/Patient/$cohort', { body: payload, headers: { authorization: `Bearer ${token}` } });
    const counted = await as(counter, body);
    // the main server builds its index at start: a count may wait for it
    expect(counted.status).to.be.oneOf([200, 503]);
    const select = { ...body, parameter: [...body.parameter, { name: 'mode', valueCode: 'select' }] };
    expect((await as(counter, select)).status).to.equal(403);
    expect((await as(await tokenFor('system/Immunization.rs'), body)).status).to.equal(403);
  });
});

/** find commands this test process has sent to `collection` so far (every server in it counts). */
async function findsOf(collection: string): Promise<number> {
  return (await databaseDuration.get()).values
    .filter(
      (v) =>
        v.metricName?.endsWith('_count') && v.labels.command === 'find' && v.labels.collection === collection,
    )
    .reduce((sum, v) => sum + v.value, 0);
}

/**
 * Two server processes on a database of their own: `here` catches its cohort index up only when asked
 * (`here.cohorts.current()`), so a test decides what it has seen of `there`'s writes.
 */
async function twoProcesses(
  name: string,
  test: (here: RunningServer, there: RunningServer) => Promise<void>,
): Promise<void> {
  const env = { AUTH: 'off', MONGODB_DB: `nims_cohort_${name}_${Date.now()}` };
  const here = await extraServer(env);
  const there = await extraServer(env);
  try {
    await here.cohorts.whenReady();
    here.cohorts.stop();
    await test(here, there);
  } finally {
    await Promise.all([here.stop(), there.stop()]);
  }
}

describe('cohort index across server processes', () => {
  it('when another process stored many people, then this one takes them all in with a lookup or two, not one a person', () =>
    twoProcesses('follow', async (here, there) => {
      const before = here.cohorts.index.people;
      const people = Array.from({ length: 300 }, (_, i) => patient(7100 + i));
      const stored = await call(there, 'POST', '', {
        resourceType: 'Bundle',
        type: 'batch',
        entry: people.map((resource) => ({ resource, request: { method: 'POST', url: 'Patient' } })),
      });
      expect(stored.status).to.equal(200);
      const finds = await findsOf('Patient');
      await here.cohorts.current();
      expect(here.cohorts.index.people).to.equal(before + people.length);
      expect((await findsOf('Patient')) - finds).to.be.at.most(2);
    }));

  it("when another process's new record is logged before its copy is stored, then this one counts it once the copy is there", () =>
    twoProcesses('inflight', async (here, there) => {
      const person = await call(there, 'POST', '/Patient', patient(7500));
      const personId = (person.body as { id: string }).id;
      const vaccination = await call(there, 'POST', '/Immunization', immunization(personId));
      const vaccinationId = (vaccination.body as { id: string }).id;
      // as if caught between its change log entry and its copy: a first version is only its copy
      const immunizations = there.database.db.collection<{ _id: string }>('Immunization');
      const copy = await immunizations.findOneAndDelete({ _id: vaccinationId });
      expect(copy).to.not.equal(null);

      await here.cohorts.current();
      expect(here.cohorts.index.dosesOf(personId, 'covid-19')).to.equal(0);
      await immunizations.insertOne(copy!);
      await here.cohorts.current();
      expect(here.cohorts.index.dosesOf(personId, 'covid-19')).to.be.greaterThan(0);
    }));

  it("when another process's message reached someone, then this one learns of the contact from the change log, without reading the message back", () =>
    twoProcesses('facts', async (here, there) => {
      const person = await call(there, 'POST', '/Patient', patient(700));
      const personId = (person.body as { id: string }).id;
      const message = await call(there, 'POST', '/Communication', {
        resourceType: 'Communication',
        status: 'completed',
        category: [{ coding: [{ system: CODE_SYSTEMS.programme, code: 'mmr' }] }],
        subject: { reference: `Patient/${personId}` },
        sent: new Date().toISOString(),
      });
      expect(message.status).to.equal(201);
      // gone from the database before this process looks: only the change log's entry can tell of it
      const db = there.database.db;
      const messageId = (message.body as { id: string }).id;
      await db.collection<{ _id: string }>('Communication').deleteOne({ _id: messageId });
      await db
        .collection<{ _id: string }>('Communication_history')
        .deleteOne({ _id: `${messageId}/_history/1` });
      await here.cohorts.current();
      expect(here.cohorts.index.contactedOn(personId, 'mmr')).to.be.above(0);
      expect(here.cohorts.index.contactedOn(personId, 'flu')).to.equal(0);
    }));
});

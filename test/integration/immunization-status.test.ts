import { expect } from 'chai';
import type {
  Immunization,
  ImmunizationRecommendation,
  Observation,
  Parameters,
  ParametersParameter,
  Patient,
} from 'fhir/r4';
import { immunization, nhsNumber } from '../../fixtures/records.js';
import { caller, defaultToken, extraServer, http } from './harness.js';

const NHS = 'https://fhir.nhs.uk/Id/nhs-number';
const SNOMED = 'http://snomed.info/sct';
const MMR = { system: SNOMED, code: '61153008', display: 'Measles, mumps and rubella vaccine' };
const MEASLES = { system: SNOMED, code: '14189004', display: 'Measles' };

const part = (p: ParametersParameter | undefined, name: string) => p?.part?.find((x) => x.name === name);
const programmeOf = (answer: Parameters, code: string) =>
  answer.parameter!.find((p) => p.name === 'programme' && part(p, 'code')?.valueCode === code);

async function created<T>(resource: object): Promise<T> {
  const response = await http('POST', `/${(resource as { resourceType: string }).resourceType}`, {
    body: resource,
  });
  expect(response.status, JSON.stringify(response.body)).to.equal(201);
  return response.body as T;
}

describe('immunisation status and forecast at the point of care', function () {
  this.timeout(30_000);
  const child = nhsNumber(1, 95);
  const elder = nhsNumber(2, 95);
  let childId = '';
  let doseId = '';
  let site = '';

  before(async () => {
    const toddler = await created<Patient>({
      resourceType: 'Patient',
      identifier: [{ system: NHS, value: child }],
      name: [{ family: 'Price', given: ['Mali'] }],
      birthDate: '2025-01-31',
    });
    childId = toddler.id!;
    site = (await created<{ id: string }>({ resourceType: 'Location', name: 'Clinic at the Baths' })).id;
    const dose = await created<Immunization>(
      immunization(childId, {
        location: { reference: `Location/${site}` },
        vaccineCode: { coding: [MMR] },
        occurrenceDateTime: '2026-02-02T10:00:00+00:00',
        recorded: '2026-02-02T10:05:00+00:00',
        protocolApplied: [{ doseNumberPositiveInt: 1, targetDisease: [{ coding: [MEASLES] }] }],
      }),
    );
    doseId = dose.id!;
    await created<Observation>({
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: SNOMED, code: '271807003', display: 'Eruption of skin' }] },
      subject: { reference: `Patient/${childId}` },
      partOf: [{ reference: `Immunization/${doseId}` }],
      effectiveDateTime: '2026-02-03T09:00:00+00:00',
    });
    const old = await created<Patient>({
      resourceType: 'Patient',
      identifier: [{ system: NHS, value: elder }],
      name: [{ family: 'Price', given: ['Gwen'] }],
      birthDate: '1940-04-04',
    });
    await created<Immunization>(
      immunization(old.id!, {
        status: 'not-done',
        statusReason: {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'PATOBJ' }],
        },
        occurrenceDateTime: '2026-10-05T10:00:00+00:00',
      }),
    );
  });

  it("when an immuniser looks a child up by NHS number, then each programme shows its doses, the dose's reaction and the next dose's forecast", async () => {
    const response = await http('GET', `/Patient/$immunization-status?nhs-number=${child}&date=2026-12-01`);
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    const answer = response.body as unknown as Parameters;
    expect(answer.parameter![0]).to.deep.equal({
      name: 'patient',
      valueReference: { reference: `Patient/${childId}` },
    });
    const mmr = programmeOf(answer, 'mmr')!;
    const dose = part(mmr, 'dose')!;
    expect(part(dose, 'immunization')!.valueReference!.reference).to.equal(`Immunization/${doseId}`);
    expect(part(dose, 'dose-number')!.valueInteger).to.equal(1);
    expect(part(dose, 'reaction')!.valueReference!.reference).to.match(/^Observation\//);
    const next = part(mmr, 'forecast')!;
    expect(part(next, 'status')!.valueCode).to.equal('too-young');
    expect(part(next, 'earliest')!.valueDate).to.equal('2028-05-31');
    expect(part(programmeOf(answer, 'covid-19'), 'forecast')!.part![0]!.valueCode).to.equal('not-eligible');
    expect(answer.parameter!.filter((p) => p.name === 'reaction')).to.have.length(1);
  });

  it('when a person refused a vaccination, then the refusal is listed and the forecast still says it is due', async () => {
    const response = await http('POST', '/Patient/$immunization-status', {
      body: {
        resourceType: 'Parameters',
        parameter: [
          { name: 'nhs-number', valueString: elder },
          { name: 'date', valueDate: '2026-11-15' },
        ],
      },
    });
    const covid = programmeOf(response.body as unknown as Parameters, 'covid-19')!;
    expect(part(part(covid, 'refusal'), 'reason')!.valueCodeableConcept!.coding![0]!.code).to.equal('PATOBJ');
    expect(part(covid, 'dose')).to.equal(undefined);
    expect(part(part(covid, 'forecast'), 'status')!.valueCode).to.equal('due');
  });

  it('when a decision support client sends a Patient and its Immunizations, then it gets an ImmunizationRecommendation without anything stored', async () => {
    const response = await http('POST', '/$immds-forecast', {
      body: {
        resourceType: 'Parameters',
        parameter: [
          { name: 'assessmentDate', valueDate: '2028-06-10' },
          { name: 'patient', resource: { resourceType: 'Patient', id: 'p1', birthDate: '2025-01-31' } },
          {
            name: 'immunization',
            resource: {
              resourceType: 'Immunization',
              status: 'completed',
              vaccineCode: { coding: [MMR] },
              patient: { reference: 'Patient/p1' },
              occurrenceDateTime: '2028-05-20',
            },
          },
        ],
      },
    });
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    const recommendation = (response.body as unknown as Parameters).parameter![0]!
      .resource as ImmunizationRecommendation;
    const mmr = recommendation.recommendation.find((r) => r.series === 'mmr')!;
    expect(mmr.forecastStatus.coding![0]).to.deep.equal({
      system: 'https://nims.example.org/fhir/CodeSystem/forecast-status',
      code: 'too-soon',
    });
    expect(mmr.doseNumberPositiveInt).to.equal(2);
    expect(mmr.dateCriterion![0]!.value).to.equal('2028-06-17');
    expect(mmr.forecastReason![0]!.text).to.contain('28 days');
  });

  it('when the person is on the register, then the forecast comes from their stored record', async () => {
    const response = await http('GET', `/$immds-forecast?nhs-number=${child}&assessmentDate=2028-06-01`);
    const recommendation = (response.body as unknown as Parameters).parameter![0]!
      .resource as ImmunizationRecommendation;
    const mmr = recommendation.recommendation.find((r) => r.series === 'mmr')!;
    expect(mmr.forecastStatus.coding![0]!.code).to.equal('due');
    expect(mmr.forecastStatus.coding![0]!.system).to.equal(
      'http://terminology.hl7.org/CodeSystem/immunization-recommendation-status',
    );
  });

  it('when a provider lists who it vaccinated in a period, then the search by site and date includes the people', async () => {
    const response = await http(
      'GET',
      `/Immunization?location=Location/${site}&date=ge2026-02-01&date=lt2026-03-01&_include=Immunization:patient`,
    );
    const entries = (
      response.body as unknown as { entry: { resource: { resourceType: string; id: string } }[] }
    ).entry;
    expect(entries.map((e) => `${e.resource.resourceType}/${e.resource.id}`)).to.have.members([
      `Immunization/${doseId}`,
      `Patient/${childId}`,
    ]);
  });

  it('when another server moved the NHS number to a new record meanwhile, then the status is of the record that holds it now', async () => {
    const moving = nhsNumber(3, 95);
    const before = await created<Patient>({
      resourceType: 'Patient',
      identifier: [{ system: NHS, value: moving }],
      name: [{ family: 'Lloyd', given: ['Ann'] }],
      birthDate: '1950-03-03',
    });
    const dose = (id: string, on: string) => immunization(id, { occurrenceDateTime: on, recorded: on });
    await created<Immunization>(dose(before.id!, '2025-03-10T10:00:00+00:00'));
    const lookUp = () => http('GET', `/Patient/$immunization-status?nhs-number=${moving}&date=2026-12-01`);
    // this server now remembers who holds the number; the other's writes do not tell it otherwise
    expect(part(programmeOf((await lookUp()).body as Parameters, 'covid-19'), 'dose')).to.exist;
    const other = await extraServer({});
    try {
      const token = await defaultToken();
      const call = caller(
        () => other,
        () => token,
      );
      const renumbered = { ...before, identifier: [{ system: NHS, value: nhsNumber(4, 95) }] };
      expect((await call('PUT', `/Patient/${before.id}`, renumbered)).status).to.equal(200);
      const after = (await call('POST', '/Patient', { ...before, id: undefined, meta: undefined }))
        .body as Patient;
      const second = (await call('POST', '/Immunization', dose(after.id!, '2025-04-20T10:00:00+00:00')))
        .body as Immunization;
      const answer = (await lookUp()).body as Parameters;
      expect(answer.parameter![0]!.valueReference!.reference).to.equal(`Patient/${after.id}`);
      const doses = programmeOf(answer, 'covid-19')!.part!.filter((p) => p.name === 'dose');
      // the new holder's dose only: none of the record that held the number before
      expect(doses.map((d) => part(d, 'immunization')!.valueReference!.reference)).to.deep.equal([
        `Immunization/${second.id}`,
      ]);
    } finally {
      await other.stop();
    }
  });

  it('when the person or the date cannot be made out, then a 4xx says why', async () => {
    expect((await http('GET', '/Patient/$immunization-status')).status).to.equal(400);
    expect(
      (await http('GET', `/Patient/$immunization-status?nhs-number=${child}&patient=x`)).status,
    ).to.equal(400);
    expect(
      (await http('GET', `/Patient/$immunization-status?nhs-number=${nhsNumber(9, 95)}`)).status,
    ).to.equal(404);
    expect(
      (await http('GET', `/Patient/$immunization-status?nhs-number=${child}&date=2026-02-30`)).status,
    ).to.equal(400);
    expect((await http('GET', '/Patient/$immunization-status?nhs-number={"$gt":""}')).status).to.equal(404);
    const noBirth = await http('POST', '/$immds-forecast', {
      body: {
        resourceType: 'Parameters',
        parameter: [{ name: 'patient', resource: { resourceType: 'Patient' } }],
      },
    });
    expect(noBirth.status).to.equal(400);
    const wrongType = await http('POST', '/$immds-forecast', {
      body: {
        resourceType: 'Parameters',
        parameter: [{ name: 'immunization', resource: { resourceType: 'Patient' } }],
      },
    });
    expect(wrongType.status).to.equal(400);
  });
});

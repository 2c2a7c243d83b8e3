import { expect } from 'chai';
import type { Bundle, Immunization, OperationOutcome, Patient } from 'fhir/r4';
import { immunization, patient } from '../../fixtures/records.js';
import { CODE_SYSTEMS, EXTENSIONS } from '../../src/resources/extensions.js';
import { create, errorCode, http, ruleKeys } from './harness.js';

const future = new Date(Date.now() + 7 * 86_400_000).toISOString();

describe('validation', () => {
  let patientId: string;
  let careHomeId: string;
  before(async () => {
    patientId = (await create(patient(301))).id;
    const home = await create({
      resourceType: 'Organization',
      identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'VM123' }],
      name: 'Meadow View Care Home',
    });
    careHomeId = (
      await create({
        resourceType: 'Location',
        name: 'Meadow View',
        managingOrganization: { reference: `Organization/${home.id}` },
      })
    ).id;
  });

  const pointOfCare = (): Immunization =>
    immunization(patientId, {
      extension: [
        {
          url: EXTENSIONS.recipientGroup,
          valueCoding: { system: CODE_SYSTEMS.recipientGroup, code: 'care-home-resident' },
        },
        {
          url: EXTENSIONS.recipientGroup,
          valueCoding: { system: CODE_SYSTEMS.recipientGroup, code: 'unpaid-carer' },
        },
        { url: EXTENSIONS.careHome, valueReference: { reference: `Location/${careHomeId}` } },
        {
          url: EXTENSIONS.ethnicCategoryAtVaccination,
          valueCodeableConcept: { coding: [{ system: CODE_SYSTEMS.ethnicCategory, code: 'H' }] },
        },
      ],
      location: { reference: `Location/${careHomeId}` },
    });

  describe('valid records', () => {
    it('when a point-of-care record has groups, care home and ethnic category, then it is accepted and searchable', async () => {
      const created = await create(pointOfCare());
      const bundle = (
        await http(
          'GET',
          `/Immunization?patient=${patientId}&recipient-group=care-home-resident&location=Location/${careHomeId}`,
        )
      ).body as unknown as Bundle;
      expect(bundle.entry?.map((e) => e.resource?.id)).to.deep.equal([created.id]);
    });

    it('when a refusal (not-done) carries its reason and date, then it is accepted', async () => {
      const refusal = immunization(patientId, {
        status: 'not-done',
        statusReason: {
          coding: [
            { system: 'http://snomed.info/sct', code: '591000119102', display: 'Vaccine refused by patient' },
          ],
        },
      });
      const response = await http('POST', '/Immunization', { body: refusal });
      expect(response.status).to.equal(201);
    });
  });

  // each case: a change to a valid resource, and the rule (or schema) that must refuse it
  const invalid: [string, () => Patient | Immunization, string][] = [
    [
      'an NHS number with a wrong check digit',
      () => ({
        ...patient(302),
        identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9434765918' }],
      }),
      'patient-nhs-number-check-digit',
    ],
    [
      'two NHS numbers',
      () => ({ ...patient(303), identifier: [...patient(303).identifier!, ...patient(304).identifier!] }),
      'patient-one-nhs-number',
    ],
    [
      'a birth date in the future',
      () => ({ ...patient(305), birthDate: '2999-01-01' }),
      'patient-birth-date-not-future',
    ],
    [
      'an ethnic category outside the UK Core codes',
      () => ({
        ...patient(306),
        extension: [
          {
            url: EXTENSIONS.ethnicCategory,
            valueCodeableConcept: { coding: [{ system: CODE_SYSTEMS.ethnicCategory, code: 'Q' }] },
          },
        ],
      }),
      'patient-ethnic-category',
    ],
    [
      'a US (CVX) vaccine code',
      () =>
        immunization(patientId, {
          vaccineCode: { coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: '208' }] },
        }),
      'imm-vaccine-code-snomed',
    ],
    [
      'a SNOMED code with a bad check digit',
      () =>
        immunization(patientId, {
          vaccineCode: { coding: [{ system: 'http://snomed.info/sct', code: '39115611000001104' }] },
        }),
      'imm-vaccine-code-snomed',
    ],
    [
      'a site not coded in SNOMED CT',
      () =>
        immunization(patientId, {
          site: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActSite', code: 'LA' }] },
        }),
      'imm-site-route-snomed',
    ],
    [
      'a vaccination in the future',
      () => immunization(patientId, { occurrenceDateTime: future }),
      'imm-occurrence-datetime',
    ],
    [
      'a vaccination time as free text',
      () => {
        const { occurrenceDateTime: _o, ...rest } = immunization(patientId);
        return { ...rest, occurrenceString: 'last week' };
      },
      'imm-occurrence-datetime',
    ],
    [
      'a refusal without a reason',
      () => immunization(patientId, { status: 'not-done' }),
      'imm-not-done-reason',
    ],
    [
      'a reaction that is not an Observation',
      () => immunization(patientId, { reaction: [{ detail: { reference: 'Condition/1' } }] }),
      'imm-reaction-observation',
    ],
    [
      'an unknown recipient group',
      () =>
        immunization(patientId, {
          extension: [
            {
              url: EXTENSIONS.recipientGroup,
              valueCoding: { system: CODE_SYSTEMS.recipientGroup, code: 'astronaut' },
            },
          ],
        }),
      'imm-recipient-group',
    ],
    [
      'a care home resident without the care home',
      () =>
        immunization(patientId, {
          extension: [
            {
              url: EXTENSIONS.recipientGroup,
              valueCoding: { system: CODE_SYSTEMS.recipientGroup, code: 'care-home-resident' },
            },
          ],
        }),
      'imm-care-home',
    ],
  ];
  for (const [what, make, rule] of invalid) {
    it(`when a resource has ${what}, then it is refused with 422 naming rule ${rule}`, async () => {
      const resource = make();
      const response = await http('POST', `/${resource.resourceType}`, { body: resource });
      expect(response.status).to.equal(422);
      expect(errorCode(response.body)).to.equal('profile-violation');
      expect(ruleKeys(response.body)).to.include(rule);
      expect((response.body as unknown as OperationOutcome).issue[0]!.expression?.[0]).to.match(
        /^(Patient|Immunization)/,
      );
    });
  }

  const schemaCases: [string, unknown, string][] = [
    [
      'no patient',
      (() => {
        const { patient: _p, ...rest } = immunization('x');
        return rest;
      })(),
      'Immunization.patient',
    ],
    ['an unknown element', { ...patient(310), favouriteColour: 'blue' }, 'Patient.favouriteColour'],
    ['a wrong type', { ...patient(311), gender: 42 }, 'Patient.gender'],
    ['an operator object where a code belongs', { ...patient(312), gender: { $gt: '' } }, 'Patient.gender'],
    ['an invalid date', { ...patient(313), birthDate: '1970-02-30x' }, 'Patient.birthDate'],
    // the published schema names no type for complex elements: each of these was once stored, or a 500
    ['a number where a name belongs', { ...patient(314), name: [5] }, 'Patient.name[0]'],
    ['false where an address belongs', { ...patient(315), address: [false] }, 'Patient.address[0]'],
    ['null among extensions', { ...patient(316), extension: [null] }, 'Patient.extension[0]'],
    ['true where meta belongs', { ...patient(317), meta: true }, 'Patient.meta'],
    ['a number where a code belongs', { ...immunization('x'), vaccineCode: 7 }, 'Immunization.vaccineCode'],
  ];
  for (const [what, body, expression] of schemaCases) {
    it(`when a resource has ${what}, then the FHIR schema refuses it with 422 at ${expression}`, async () => {
      const response = await http('POST', `/${(body as { resourceType: string }).resourceType}`, { body });
      expect(response.status).to.equal(422);
      expect(errorCode(response.body)).to.equal('schema-violation');
      expect((response.body as unknown as OperationOutcome).issue.map((i) => i.expression?.[0])).to.include(
        expression,
      );
    });
  }

  describe('$validate', () => {
    it('when a valid resource is validated, then the answer is an informational outcome and nothing is stored', async () => {
      const body = patient(320);
      const response = await http('POST', '/Patient/$validate', { body });
      expect(response.status).to.equal(200);
      expect((response.body as unknown as OperationOutcome).issue[0]!.severity).to.equal('information');
      const search = (await http('GET', `/Patient?identifier=${body.identifier![0]!.value}`))
        .body as unknown as Bundle;
      expect(search.total).to.equal(0);
    });

    it('when an invalid Immunization is validated inside Parameters, then the rule is named', async () => {
      const response = await http('POST', '/Immunization/$validate', {
        body: {
          resourceType: 'Parameters',
          parameter: [
            { name: 'resource', resource: immunization(patientId, { occurrenceDateTime: future }) },
          ],
        },
      });
      expect(response.status).to.equal(200);
      expect(ruleKeys(response.body)).to.deep.equal(['imm-occurrence-datetime']);
    });
  });
});

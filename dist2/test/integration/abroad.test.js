import { expect } from 'chai';
import { DISEASES, immunization, nhsNumber } from '../../fixtures/records.js';
import { EXTENSIONS } from '../../src/resources/extensions.js';
import { caller, errorCode, extraServer, ruleKeys } from './harness.js';
const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';
let server;
const call = caller(() => server);
/** A vaccination given in `country`, reviewed at a vaccination centre, with `code` as the product. */
function givenAbroad(patientId, country, code) {
    return immunization(patientId, {
        vaccineCode: { coding: [{ system: 'http://snomed.info/sct', code }] },
        // recently, so that it falls in this season whatever the day
        occurrenceDateTime: new Date(Date.now() - 3_600_000).toISOString(),
        recorded: new Date(Date.now() - 60_000).toISOString(),
        primarySource: false,
        reportOrigin: {
            coding: [{ system: 'http://terminology.hl7.org/CodeSystem/immunization-origin', code: 'record' }],
            text: 'Vaccination card from the clinic, seen at the centre',
        },
        lotNumber: 'FR5521',
        protocolApplied: [{ doseNumberPositiveInt: 1, targetDisease: [{ coding: [DISEASES.covid] }] }],
        extension: [
            {
                url: EXTENSIONS.vaccinationCountry,
                valueCodeableConcept: { coding: [{ system: 'urn:iso:std:iso:3166', code: country }] },
            },
            {
                url: EXTENSIONS.abroadEvidence,
                extension: [
                    { url: 'reviewer', valueReference: { reference: 'Practitioner/centre-reviewer' } },
                    { url: 'identity-checked', valueBoolean: true },
                    { url: 'evidence', valueString: 'Vaccination card and passport' },
                ],
            },
        ],
    });
}
describe('vaccinations given abroad', function () {
    this.timeout(60_000);
    let patientId = '';
    before(async () => {
        server = await extraServer({ AUTH: 'off', MONGODB_DB: 'nims_abroad_test' });
        const person = {
            resourceType: 'Patient',
            identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber(1, 95) }],
            name: [{ family: 'Traveller', given: ['Tom'] }],
            birthDate: '1940-06-01',
            generalPractitioner: [{ identifier: { system: ODS, value: 'Z99001' } }],
        };
        patientId = (await call('POST', '/Patient', person)).body.id;
    });
    after(() => server?.stop());
    const cohortCount = async () => {
        const answer = await call('POST', '/Patient/$cohort', {
            resourceType: 'Parameters',
            parameter: [
                { name: 'programme', valueCode: 'covid-19' },
                { name: 'area', valueString: 'Z99001' },
            ],
        });
        expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
        return answer.body.parameter.find((p) => p.name === 'total').valueInteger;
    };
    it('when a product the UK does not approve was given abroad, then the record is refused with a clear 422 and nothing is stored', async () => {
        // CoronaVac: a real dm+d product, but not approved for use in the UK
        const refused = await call('POST', '/Immunization', givenAbroad(patientId, 'TR', '40306411000001101'));
        expect(refused.status).to.equal(422);
        expect(ruleKeys(refused.body)).to.deep.equal(['abroad-approved-vaccine']);
        const issue = refused.body.issue[0];
        expect(issue.diagnostics).to.match(/40306411000001101 \(CoronaVac.*\) is not a product approved for use in the UK/);
        expect(issue.expression).to.deep.equal(['Immunization.vaccineCode']);
        const stored = await call('GET', `/Immunization?patient=Patient/${patientId}`);
        expect(stored.body.total).to.equal(0);
    });
    it('when the evidence review, the batch or the reported form is missing, then each is named', async () => {
        const complete = givenAbroad(patientId, 'FR', '39115611000001103');
        const without = {
            ...complete,
            primarySource: true,
            lotNumber: undefined,
            extension: complete.extension.slice(0, 1),
        };
        const refused = await call('POST', '/Immunization', without);
        expect(refused.status).to.equal(422);
        expect(ruleKeys(refused.body).sort()).to.deep.equal([
            'abroad-batch',
            'abroad-evidence-review',
            'abroad-reported',
        ]);
        const badCountry = givenAbroad(patientId, 'France', '39115611000001103');
        expect(ruleKeys((await call('POST', '/Immunization', badCountry)).body)).to.include('imm-country');
        const unchecked = givenAbroad(patientId, 'FR', '39115611000001103');
        unchecked.extension[1].extension[1] = { url: 'identity-checked', valueBoolean: false };
        expect(errorCode((await call('POST', '/Immunization', unchecked)).body)).to.equal('profile-violation');
    });
    it('when an approved product given abroad is recorded, then it counts for status and cohorts as given abroad', async () => {
        expect(await cohortCount()).to.equal(1);
        const stored = await call('POST', '/Immunization', givenAbroad(patientId, 'FR', '39115611000001103'));
        expect(stored.status, JSON.stringify(stored.body)).to.equal(201);
        expect(stored.body).to.deep.include({ primarySource: false });
        expect(await cohortCount()).to.equal(0);
        const status = await call('GET', `/Patient/$immunization-status?patient=${patientId}`);
        const covid = status.body.parameter.find((p) => p.name === 'programme' && p.part[0].valueCode === 'covid-19');
        const dose = covid.part.find((p) => p.name === 'dose');
        expect(dose.part.find((p) => p.name === 'given-abroad').valueCode).to.equal('FR');
        const forecast = covid.part.find((p) => p.name === 'forecast');
        expect(forecast.part.find((p) => p.name === 'status').valueCode).to.equal('complete');
    });
});
//# sourceMappingURL=abroad.test.js.map
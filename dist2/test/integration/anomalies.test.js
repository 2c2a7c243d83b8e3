import { expect } from 'chai';
import { DISEASES, immunization, nhsNumber, VACCINES } from '../../fixtures/records.js';
import { caller, errorCode, eventually, extraServer, tokenFor } from './harness.js';
let server;
const tokens = { dataQuality: '', admin: '', pointOfCare: '' };
const asDataQuality = caller(() => server, () => tokens.dataQuality);
const asAdmin = caller(() => server, () => tokens.admin);
const byPatient = (id) => ({
    resourceType: 'Parameters',
    parameter: [{ name: 'patient', valueString: id }],
});
const findingsOf = (answer) => (answer.parameter ?? []).map((p) => Object.fromEntries((p.part ?? []).map((part) => [
    part.name,
    part.valueCode ?? part.valueString ?? part.valueBoolean ?? part.valueReference?.reference,
])));
const on = (date, overrides = {}) => ({
    occurrenceDateTime: `${date}T10:00:00+00:00`,
    recorded: `${date}T10:05:00+00:00`,
    ...overrides,
});
describe('$anomalies: suspect vaccination records become Tasks for the data-resolution team', function () {
    this.timeout(90_000);
    let n = 0;
    /** A person with these vaccinations; answers their Patient id. */
    async function personWith(patient, records) {
        const created = await asAdmin('POST', '/Patient', {
            resourceType: 'Patient',
            identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber(++n, 93) }],
            name: [{ family: 'Anomaly', given: ['Ann'] }],
            birthDate: '2000-01-15',
            ...patient,
        });
        const id = created.body.id;
        for (const record of records) {
            const stored = await asAdmin('POST', '/Immunization', immunization(id, record));
            expect(stored.status, JSON.stringify(stored.body)).to.equal(201);
        }
        return id;
    }
    const mmr = (date, doseNumber = 1) => on(date, {
        vaccineCode: { coding: [{ system: 'http://snomed.info/sct', code: '61153008' }] },
        protocolApplied: [
            {
                doseNumberPositiveInt: doseNumber,
                targetDisease: [{ coding: [{ system: 'http://snomed.info/sct', code: '14189004' }] }],
            },
        ],
    });
    const covid = (date, doseNumber = 1) => on(date, {
        protocolApplied: [{ doseNumberPositiveInt: doseNumber, targetDisease: [{ coding: [DISEASES.covid] }] }],
    });
    before(async () => {
        server = await extraServer({ MONGODB_DB: 'nims_anomalies_test' });
        tokens.dataQuality = await tokenFor('system/Patient.crus system/Immunization.cruds system/Task.cruds system/Provenance.crs', undefined, server);
        tokens.admin = await tokenFor('system/*.cruds', undefined, server);
        tokens.pointOfCare = await tokenFor('system/Patient.rs system/Immunization.cruds', undefined, server);
    });
    after(() => server?.stop());
    it('when one person is checked, then each rule finds its own case and a clean record finds nothing', async () => {
        const cases = [
            ['dose-without-earlier', {}, [covid('2025-10-01', 2)]],
            ['interval-too-short', {}, [covid('2025-09-01'), covid('2025-09-15', 2)]],
            [
                'too-many-doses',
                { birthDate: '2015-01-01' },
                [mmr('2016-02-01'), mmr('2018-06-01', 2), mmr('2019-06-01', 3)],
            ],
            ['duplicate-record', {}, [covid('2025-10-01'), covid('2025-10-01')]],
            ['before-birth', { birthDate: '2025-11-01' }, [covid('2025-10-01')]],
            ['after-death', { deceasedDateTime: '2025-09-30' }, [covid('2025-10-01')]],
            [
                'product-disease-mismatch',
                {},
                [
                    on('2025-10-01', {
                        vaccineCode: { coding: [VACCINES.covidPfizer] },
                        protocolApplied: [{ targetDisease: [{ coding: [DISEASES.flu] }] }],
                    }),
                ],
            ],
            ['before-minimum-age', { birthDate: '2025-01-20' }, [mmr('2025-12-01')]],
        ];
        for (const [rule, patient, records] of cases) {
            const id = await personWith(patient, records);
            const answer = await asDataQuality('POST', '/$anomalies', byPatient(id));
            expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
            const findings = findingsOf(answer.body);
            expect(findings.map((f) => f.rule), rule).to.deep.equal([rule]);
            expect(findings[0].opened).to.equal(true);
            const task = (await asDataQuality('GET', `/${findings[0].task}`)).body;
            expect(task).to.deep.include({ status: 'requested', for: { reference: `Patient/${id}` } });
            expect(task.reasonCode.coding[0].code).to.equal(rule);
            // the evidence: every record the finding rests on, at the version judged
            const judged = answer.body.parameter[0].part.filter((p) => p.name === 'record');
            const evidence = task.input.flatMap((i) => i.valueReference?.reference ?? []);
            expect(evidence.map((e) => e.split('/_history')[0])).to.deep.equal(judged.map((r) => r.valueReference.reference));
        }
        const clean = await personWith({ birthDate: '2019-03-01' }, [
            mmr('2020-03-10'),
            mmr('2022-07-10', 2),
            covid('2025-10-01'),
        ]);
        expect(findingsOf((await asDataQuality('POST', '/$anomalies', byPatient(clean))).body)).to.deep.equal([]);
    });
    it('when a person is checked again, then the same finding opens no second Task', async () => {
        const id = await personWith({}, [covid('2025-10-01'), covid('2025-10-01')]);
        const first = findingsOf((await asDataQuality('POST', '/$anomalies', byPatient(id))).body);
        const again = findingsOf((await asDataQuality('POST', '/$anomalies', byPatient(id))).body);
        expect(again.map((f) => [f.task, f.opened])).to.deep.equal(first.map((f) => [f.task, false]));
        const tasks = (await asDataQuality('GET', `/Task?patient=Patient/${id}`)).body;
        expect(tasks.entry).to.have.length(1);
    });
    it('when the whole population is scanned, then a Task reports progress and totals and every finding has its Task', async () => {
        const suspect = await personWith({}, [covid('2025-10-01', 3)]);
        const started = await asDataQuality('POST', '/$anomalies', { resourceType: 'Parameters' });
        expect(started.status, JSON.stringify(started.body)).to.equal(202);
        expect(started.location).to.match(/\/Task\/[^/]+\/_history\/1$/);
        const scan = started.body;
        const done = await eventually(async () => {
            const task = (await asDataQuality('GET', `/Task/${scan.id}`)).body;
            expect(task.status).to.equal('completed');
            return task;
        }, 30_000);
        const totals = Object.fromEntries(done.output.map((o) => [o.type.text, o.valueInteger]));
        expect(totals.doses).to.be.at.least(18);
        expect(totals.findings).to.be.at.least(10);
        expect(totals['rule:dose-without-earlier']).to.be.at.least(2);
        // everything found was opened by the checks before, except the person added just now
        expect(totals.opened).to.equal(1);
        const theirs = (await asDataQuality('GET', `/Task?patient=Patient/${suspect}`)).body;
        expect(theirs.entry).to.have.length(1);
    });
    it('when an anomaly is followed up, then it moves through $transition and clients cannot open or change one', async () => {
        const id = await personWith({}, [covid('2025-10-01', 2)]);
        const [finding] = findingsOf((await asDataQuality('POST', '/$anomalies', byPatient(id))).body);
        const path = `/${finding.task}`;
        const step = (status, reason) => ({
            resourceType: 'Parameters',
            parameter: [
                { name: 'status', valueCode: status },
                ...(reason ? [{ name: 'reason', valueString: reason }] : []),
            ],
        });
        expect((await asDataQuality('POST', `${path}/$transition`, step('accepted'))).status).to.equal(200);
        const closed = await asDataQuality('POST', `${path}/$transition`, step('rejected', 'Dose 1 was given abroad; record added'));
        expect(closed.body.status).to.equal('rejected');
        const task = (await asDataQuality('GET', path)).body;
        const changed = await asAdmin('PUT', path, { ...task, status: 'requested' });
        expect(errorCode(changed.body)).to.equal('workflow-managed');
        const asPointOfCare = caller(() => server, () => tokens.pointOfCare);
        expect((await asPointOfCare('POST', '/$anomalies', byPatient(id))).status).to.equal(403);
    });
});
//# sourceMappingURL=anomalies.test.js.map
import { expect } from 'chai';
import { nhsNumber, preferenceOverride } from '../../fixtures/records.js';
import { PREFERENCE_STEP_SYSTEM } from '../../src/preferences/service.js';
import { startFakeNotify } from '../fakes/notify.js';
import { errorCode, eventually, extraServer, tokenFor } from './harness.js';
const NHS = 'https://fhir.nhs.uk/Id/nhs-number';
let server;
let notify;
/** A consent app's token, and the admin's (full access) for looking at what was stored. */
let app = '';
let admin = '';
/** A person on the register: adult with a mobile and email unless the test says otherwise. */
function person(n, overrides = {}) {
    return {
        resourceType: 'Patient',
        identifier: [{ system: NHS, value: nhsNumber(n, 80) }],
        name: [{ use: 'official', family: "O'Brien-Smith", given: ['Siân'] }],
        birthDate: '1980-05-17',
        address: [{ use: 'home', line: ['1 Kiln Lane'], city: 'Leeds', postalCode: 'LS6 2AB' }],
        telecom: [
            { system: 'phone', use: 'mobile', value: '07700900123' },
            { system: 'email', value: 'sian@example.org' },
        ],
        ...overrides,
    };
}
async function call(method, path, body, token = app) {
    const response = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) };
}
const parameters = (values) => ({
    resourceType: 'Parameters',
    parameter: Object.entries(values).map(([name, value]) => ({ name, valueString: value })),
});
const value = (answer, name) => answer.parameter?.find((p) => p.name === name);
const details = (n) => ({
    given: 'SIAN',
    family: 'obrien smith',
    birthdate: '1980-05-17',
    'nhs-number': nhsNumber(n, 80),
});
/** Steps 1 and 2: a handle, and the code that reached the person's phone. */
async function codeFor(found) {
    const verified = await call('POST', '/Patient/$verify-identity', parameters(found));
    expect(verified.status, JSON.stringify(verified.body)).to.equal(200);
    const handle = value(verified.body, 'verification').valueString;
    const before = notify.sent.length;
    const sent = await call('POST', '/Patient/$send-code', parameters({ verification: handle, destination: 'sms' }));
    expect(sent.status, JSON.stringify(sent.body)).to.equal(200);
    const message = await eventually(() => {
        expect(notify.sent.length).to.be.above(before);
        return Promise.resolve(notify.sent.at(-1));
    });
    expect(message.to).to.equal('07700900123');
    return { handle, code: message.personalisation.code };
}
describe('COVID-19 invitation preferences: identity check, one-time code and Consent (API)', function () {
    this.timeout(60_000);
    const ids = [];
    before(async () => {
        notify = await startFakeNotify();
        server = await extraServer({
            MONGODB_DB: 'nims_preferences_test',
            NOTIFY_URL: notify.url,
            NOTIFY_API_KEY: notify.apiKey,
            PREFERENCE_CODE_SECONDS: '2',
        });
        app = await tokenFor('system/Patient.rs system/Consent.cruds', undefined, server);
        admin = await tokenFor('system/*.cruds', undefined, server);
        const people = [
            person(1),
            person(2, { birthDate: `${new Date().getUTCFullYear() - 15}-01-01` }),
            person(3, { telecom: [] }),
            person(4),
            person(5),
        ];
        for (const p of people) {
            const created = await call('POST', '/Patient', p, admin);
            expect(created.status).to.equal(201);
            ids.push(created.body.id);
        }
    });
    after(async () => {
        await server.stop();
        await notify.close();
    });
    it('when a person proves who they are with the code, then their own token records their choice as a Consent that meets the profile', async () => {
        const verified = await call('POST', '/Patient/$verify-identity', parameters(details(1)));
        expect(verified.status).to.equal(200);
        const destinations = verified.body.parameter.filter((p) => p.name === 'destination').map((p) => p.part);
        expect(destinations).to.deep.equal([
            [
                { name: 'kind', valueCode: 'sms' },
                { name: 'masked', valueString: '07*** ***123' },
            ],
            [
                { name: 'kind', valueCode: 'email' },
                { name: 'masked', valueString: 's***@e***.org' },
            ],
        ]);
        const { handle, code } = await codeFor(details(1));
        expect(code).to.match(/^\d{6}$/);
        const wrong = await call('POST', '/Patient/$confirm-code', parameters({ verification: handle, code: code === '000000' ? '111111' : '000000' }));
        expect(wrong.status).to.equal(422);
        expect(errorCode(wrong.body)).to.equal('wrong-code');
        expect(wrong.body.issue[0].diagnostics).to.contain('2 tries left');
        const confirmed = await call('POST', '/Patient/$confirm-code', parameters({ verification: handle, code }));
        expect(confirmed.status).to.equal(200);
        expect(value(confirmed.body, 'patient').valueReference.reference).to.equal(`Patient/${ids[0]}`);
        expect(value(confirmed.body, 'choice').valueCode).to.equal('permit');
        const token = value(confirmed.body, 'token').valueString;
        // the code works once
        expect((await call('POST', '/Patient/$confirm-code', parameters({ verification: handle, code }))).status).to.equal(400);
        const consent = {
            resourceType: 'Consent',
            status: 'active',
            scope: {
                coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }],
            },
            category: [
                {
                    coding: [
                        {
                            system: 'https://nims.example.org/fhir/CodeSystem/consent-category',
                            code: 'invitation-preference',
                        },
                    ],
                },
            ],
            patient: { reference: `Patient/${ids[0]}`, identifier: { system: NHS, value: nhsNumber(1, 80) } },
            dateTime: new Date().toISOString(),
            policy: [{ uri: 'https://nims.example.org/fhir/Policy/central-covid-19-invitations' }],
            provision: { type: 'deny' },
        };
        const created = await call('POST', '/Consent', consent, token);
        expect(created.status, JSON.stringify(created.body)).to.equal(201);
        // only their own: another person's Consent, or anything else, is refused
        const other = await call('POST', '/Consent', {
            ...consent,
            patient: { reference: `Patient/${ids[3]}`, identifier: { system: NHS, value: nhsNumber(4, 80) } },
        }, token);
        expect(other.status).to.equal(403);
        expect((await call('GET', `/Patient/${ids[0]}`, undefined, token)).status).to.equal(403);
        const mine = await call('GET', '/Consent', undefined, token);
        expect(mine.body.entry.map((e) => e.resource.patient.reference)).to.deep.equal([
            `Patient/${ids[0]}`,
        ]);
        // without the category the profile asks for, a preference is refused
        const unprofiled = await call('POST', '/Consent', { ...consent, category: [{ text: 'something' }] }, token);
        expect(unprofiled.status).to.equal(422);
    });
    it('when programme staff set preferences aside on compelling grounds, then COVID-19 cohorts include people who said no until the override ends', async () => {
        const cohort = async () => (await call('POST', '/Patient/$cohort', { resourceType: 'Parameters', parameter: [{ name: 'programme', valueCode: 'covid-19' }] }, admin)).body;
        const total = (answer) => value(answer, 'total').valueInteger;
        // person 1 said no in the test before
        const before = await cohort();
        expect(value(before, 'preference-override')).to.equal(undefined);
        const override = preferenceOverride('Worsening pandemic: a new variant (JCVI advice of 1 December)', new Date(Date.now() - 60_000), new Date(Date.now() + 86_400_000));
        const { reasonCode: _reason, ...unreasoned } = override;
        const refused = await call('POST', '/Task', unreasoned, admin);
        expect(refused.status).to.equal(422);
        expect(JSON.stringify(refused.body)).to.contain('override-reason');
        const created = await call('POST', '/Task', override, admin);
        expect(created.status).to.equal(201);
        const during = await cohort();
        expect(total(during)).to.equal(total(before) + 1);
        expect(value(during, 'preference-override').part).to.deep.include({
            name: 'reason',
            valueString: 'Worsening pandemic: a new variant (JCVI advice of 1 December)',
        });
        const ended = await call('PUT', `/Task/${created.body.id}`, { ...override, id: created.body.id, status: 'completed' }, admin);
        expect(ended.status).to.equal(200);
        expect(total(await cohort())).to.equal(total(before));
    });
    it('when the details do not single out one reachable adult, then every case gets the same answer, and the audit trail keeps the real reason for staff', async () => {
        const answers = [
            await call('POST', '/Patient/$verify-identity', parameters({ ...details(1), given: 'Someone' })),
            await call('POST', '/Patient/$verify-identity', parameters(details(9))),
            await call('POST', '/Patient/$verify-identity', parameters({ ...details(2), birthdate: `${new Date().getUTCFullYear() - 15}-01-01` })),
            await call('POST', '/Patient/$verify-identity', parameters(details(3))),
        ];
        for (const answer of answers) {
            expect(answer.status).to.equal(422);
            expect(errorCode(answer.body)).to.equal('identity-not-confirmed');
            expect(answer.body.issue[0].diagnostics).to.equal(answers[0].body.issue[0].diagnostics);
        }
        const bad = await call('POST', '/Patient/$verify-identity', parameters({ ...details(1), birthdate: '1980-02-31' }));
        expect(bad.status).to.equal(400);
        const audit = await eventually(async () => {
            const found = await call('GET', `/AuditEvent?subtype=${PREFERENCE_STEP_SYSTEM}|verify-identity&_count=100`, undefined, admin);
            expect(found.body.entry.length).to.be.at.least(6);
            return found.body;
        }, 10_000);
        const outcomes = audit.entry.map((e) => e.resource.outcomeDesc);
        expect(outcomes).to.include.members([
            'not-found: under 16',
            'not-found: no mobile or email on record',
            'not-found: no single match',
            'matched',
        ]);
        for (const entry of audit.entry)
            expect(entry.resource.agent[0].network?.address).to.be.a('string');
        // the public (a consent app's token) cannot read the audit trail
        expect((await call('GET', '/AuditEvent', undefined, app)).status).to.equal(403);
    });
    it('when the person has no NHS number to hand, then name, date of birth and postcode find them', async () => {
        const byPostcode = {
            given: 'Siân',
            family: "O'Brien-Smith",
            birthdate: '1980-05-17',
            postcode: 'ls62ab',
        };
        // persons 1, 4 and 5 share name, birth date and postcode: that is several, not one
        const several = await call('POST', '/Patient/$verify-identity', parameters(byPostcode));
        expect(errorCode(several.body)).to.equal('identity-not-confirmed');
        const unique = person(6, {
            name: [{ family: 'Lowe', given: ['Ada'] }],
            address: [{ postalCode: 'BD1 1AA' }],
        });
        const created = await call('POST', '/Patient', unique, admin);
        const { handle, code } = await codeFor({
            given: 'ada',
            family: 'LOWE',
            birthdate: '1980-05-17',
            postcode: 'bd1 1aa',
        });
        const confirmed = await call('POST', '/Patient/$confirm-code', parameters({ verification: handle, code }));
        expect(value(confirmed.body, 'patient').valueReference.reference).to.equal(`Patient/${created.body.id}`);
    });
    it('when the code is wrong three times or too old, then it stops working and a new one must be asked for', async () => {
        const { handle, code } = await codeFor(details(4));
        const wrong = code === '000000' ? '111111' : '000000';
        const codes = [];
        for (let i = 0; i < 3; i++)
            codes.push(errorCode((await call('POST', '/Patient/$confirm-code', parameters({ verification: handle, code: wrong })))
                .body));
        expect(codes).to.deep.equal(['wrong-code', 'wrong-code', 'code-locked']);
        const locked = await call('POST', '/Patient/$confirm-code', parameters({ verification: handle, code }));
        expect(errorCode(locked.body)).to.equal('code-locked');
        const late = await codeFor(details(5));
        await new Promise((resolve) => setTimeout(resolve, 2500));
        const expired = await call('POST', '/Patient/$confirm-code', parameters({ verification: late.handle, code: late.code }));
        expect(errorCode(expired.body)).to.equal('code-expired');
        expect(await call('POST', '/Patient/$confirm-code', parameters({ verification: 'made-up', code: '123456' }))).to.deep.include({ status: 422 });
    });
    it('when codes are asked for again and again, then a person gets three an hour', async () => {
        const verified = await call('POST', '/Patient/$verify-identity', parameters(details(5)));
        const handle = value(verified.body, 'verification').valueString;
        const statuses = [];
        // person 5 had one code in the test before
        for (let i = 0; i < 3; i++)
            statuses.push((await call('POST', '/Patient/$send-code', parameters({ verification: handle, destination: 'email' }))).status);
        expect(statuses).to.deep.equal([200, 200, 429]);
        const injected = await call('POST', '/Patient/$send-code', {
            resourceType: 'Parameters',
            parameter: [
                { name: 'verification', valueString: handle },
                { name: 'destination', valueString: '{"$gt":""}' },
            ],
        });
        expect(injected.status).to.equal(400);
    });
});
//# sourceMappingURL=preferences.test.js.map
import { expect } from 'chai';
import { immunization, nhsNumber } from '../../fixtures/records.js';
import { TASK_TYPE_SYSTEM } from '../../src/notifications/runs.js';
import { ukClock } from '../../src/shared/clock.js';
import { CODE_SYSTEMS } from '../../src/resources/extensions.js';
import { startFakeNotify } from '../fakes/notify.js';
import { caller, eventually, extraServer } from './harness.js';
let server;
let notify;
const call = caller(() => server);
const SMS_TEMPLATE = '5e7bd1d4-7b3a-4c57-9d52-3b5a0d0c4a11';
const now = new Date();
/** The date `years`, `months` and `days` before today (UTC), as YYYY-MM-DD. */
function ago(years, months = 0, days = 0) {
    const date = new Date(Date.UTC(now.getUTCFullYear() - years, now.getUTCMonth() - months, now.getUTCDate() - days));
    return date.toISOString().slice(0, 10);
}
const MTH = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'MTH' }] };
const practice = [
    { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'B82005' } },
];
const home = [{ use: 'home', line: ['2 School Lane'], city: 'York', postalCode: 'YO1 7HH' }];
function person(n, birthDate, extra = {}) {
    return {
        resourceType: 'Patient',
        identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber(n, 55) }],
        name: [{ given: [`Child${n}`], family: 'Recall' }],
        birthDate,
        generalPractitioner: practice,
        address: home,
        ...extra,
    };
}
const parentWithMobile = (mobile) => ({
    contact: [
        {
            relationship: [MTH],
            name: { given: ['Pat'], family: 'Recall' },
            telecom: [{ system: 'phone', use: 'mobile', value: mobile }],
        },
    ],
});
// born so that on today's date each sits at an edge of the schedule
const PEOPLE = {
    elevenMonths30Days: person(1, ago(0, 12, -1), parentWithMobile('07700900201')),
    twelveMonths: person(2, ago(1), parentWithMobile('07700900202')),
    threeYears3MonthsDose1: person(3, ago(3, 3), parentWithMobile('07700900203')),
    threeYears4MonthsDose1: person(4, ago(3, 4), parentWithMobile('07700900204')),
    twentyFiveYears364Days: person(5, ago(26, 0, -1), {
        telecom: [{ system: 'phone', use: 'mobile', value: '07700900205' }],
    }),
    twentySix: person(6, ago(26), { telecom: [{ system: 'phone', use: 'mobile', value: '07700900206' }] }),
    refused: person(7, ago(10), parentWithMobile('07700900207')),
    complete: person(8, ago(10), parentWithMobile('07700900208')),
    noPractice: person(9, ago(8), { ...parentWithMobile('07700900209'), generalPractitioner: [] }),
    parentWithoutPhone: person(10, ago(5)),
    contactedLongAgo: person(11, ago(4), parentWithMobile('07700900211')),
};
function mmr(patientId, date, refused = false) {
    return immunization(patientId, {
        vaccineCode: { coding: [{ system: 'http://snomed.info/sct', code: '61153008' }] },
        protocolApplied: [
            {
                doseNumberPositiveInt: 1,
                targetDisease: [{ coding: [{ system: 'http://snomed.info/sct', code: '14189004' }] }],
            },
        ],
        occurrenceDateTime: `${date}T10:00:00+00:00`,
        recorded: `${date}T10:05:00+00:00`,
        ...(refused
            ? {
                status: 'not-done',
                statusReason: {
                    coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'PATOBJ' }],
                },
            }
            : {}),
    });
}
const parameters = (...parameter) => ({
    resourceType: 'Parameters',
    parameter,
});
const TEMPLATES = [
    { name: 'template-sms', valueString: SMS_TEMPLATE },
    { name: 'template-letter', valueString: 'mmr-recall-letter' },
];
const value = (body, name) => body.parameter.find((p) => p.name === name)?.valueInteger;
describe('MMR call and recall: $mmr-recall', function () {
    this.timeout(90_000);
    const ids = new Map();
    before(async () => {
        notify = await startFakeNotify();
        server = await extraServer({
            AUTH: 'off',
            MONGODB_DB: 'nims_mmr_test',
            NOTIFY_URL: notify.url,
            NOTIFY_API_KEY: notify.apiKey,
        });
        for (const [key, patient] of Object.entries(PEOPLE)) {
            const created = await call('POST', '/Patient', patient);
            expect(created.status, key).to.equal(201);
            ids.set(key, created.body.id);
        }
        const records = [
            mmr(ids.get('threeYears3MonthsDose1'), ago(2, 2)),
            mmr(ids.get('threeYears4MonthsDose1'), ago(2, 3)),
            mmr(ids.get('refused'), ago(1), true),
            mmr(ids.get('complete'), ago(8, 10)),
            mmr(ids.get('complete'), ago(6, 6)),
        ];
        for (const record of records)
            expect((await call('POST', '/Immunization', record)).status).to.equal(201);
        // an MMR letter that reached the mailing house 40 days ago: this child is followed up
        const earlier = {
            resourceType: 'Communication',
            status: 'completed',
            category: [{ coding: [{ system: CODE_SYSTEMS.programme, code: 'mmr' }] }],
            subject: { reference: `Patient/${ids.get('contactedLongAgo')}` },
            sent: `${ago(0, 0, 40)}T09:00:00Z`,
        };
        expect((await call('POST', '/Communication', earlier)).status).to.equal(201);
    });
    after(async () => {
        await server?.stop();
        await notify.close();
    });
    it('when counted, then only people due a dose at the schedule edges are reached, priority ages first', async () => {
        const counted = await call('POST', '/$mmr-recall', parameters({ name: 'mode', valueCode: 'count' }, ...TEMPLATES));
        expect(counted.status).to.equal(200);
        // due: 12 months, 3y4m with dose 1, 25y364d, 5 (no phone), 4 (followed up)
        expect(value(counted.body, 'total')).to.equal(5);
        expect(value(counted.body, 'priority')).to.equal(4);
        expect(value(counted.body, 'first-dose')).to.equal(4);
        expect(value(counted.body, 'later-dose')).to.equal(1);
        expect(value(counted.body, 'follow-ups')).to.equal(1);
    });
    it('when a run is sent, then parents get texts for children, the 25-year-old their own, follow-ups and the unreachable by letter', async () => {
        const started = await call('POST', '/$mmr-recall', parameters(...TEMPLATES, { name: 'channel', valueCode: 'sms' }, { name: 'channel', valueCode: 'letter' }));
        expect(started.status).to.equal(202);
        const run = started.body;
        await eventually(async () => {
            const task = (await call('GET', `/Task/${run.id}`)).body;
            expect(task.status).to.equal('completed');
        }, 30_000);
        const texts = notify.sent.map((n) => [n.to, n.personalisation.name]).sort();
        expect(texts).to.deep.equal([
            ['07700900202', 'Child2 Recall'],
            ['07700900204', 'Child4 Recall'],
            ['07700900205', 'Child5 Recall'],
        ]);
        expect(notify.sent.find((n) => n.to === '07700900202').personalisation.parent).to.equal('Pat Recall');
        const communications = (await call('GET', `/Communication?based-on=Task/${run.id}&_count=50`)).body.entry.map((e) => e.resource);
        const letters = communications
            .filter((c) => c.medium?.[0]?.coding?.[0]?.code === 'letter')
            .map((c) => c.subject.reference)
            .sort();
        expect(letters).to.deep.equal([`Patient/${ids.get('parentWithoutPhone')}`, `Patient/${ids.get('contactedLongAgo')}`].sort());
        expect(communications.every((c) => c.category?.[0]?.coding?.[0]?.code === 'mmr')).to.equal(true);
        // everyone reached today is left out of the next selection
        const again = await call('POST', '/$mmr-recall', parameters({ name: 'mode', valueCode: 'count' }, ...TEMPLATES));
        expect(value(again.body, 'total')).to.equal(0);
    });
    it('when a daily schedule is set, then one run a day starts, in one process only, until it is cancelled', async () => {
        const scheduled = await call('POST', '/$mmr-recall', parameters(...TEMPLATES, { name: 'daily-at', valueString: '00:00' }, { name: 'follow-up-days', valueInteger: 1 }));
        expect(scheduled.status).to.equal(201);
        const schedule = scheduled.body;
        expect(schedule.code?.coding?.[0]).to.deep.include({
            system: TASK_TYPE_SYSTEM,
            code: 'call-recall-schedule',
        });
        const other = await extraServer({ AUTH: 'off', MONGODB_DB: 'nims_mmr_test' });
        try {
            await Promise.all([server.callRecall.tick(), other.callRecall.tick(), server.callRecall.tick()]);
            const runId = `${schedule.id}-${ukClock(new Date()).date.replaceAll('-', '')}-run`;
            const run = (await call('GET', `/Task/${runId}`)).body;
            expect(run.basedOn?.[0]?.reference).to.equal(`Task/${schedule.id}`);
            expect(run.input?.find((i) => i.type.coding?.[0]?.code === 'follow-up-days')?.valueUnsignedInt).to.equal(1);
            const runs = (await call('GET', `/Task?focus=Group/${schedule.id}-${runId.split('-').at(-2)}`))
                .body;
            expect(runs.entry).to.have.length(1);
            await eventually(async () => {
                expect((await call('GET', `/Task/${runId}`)).body.status).to.equal('completed');
            }, 30_000);
            expect((await call('PUT', `/Task/${schedule.id}`, { ...schedule, status: 'cancelled' })).status).to.equal(200);
            await other.callRecall.tick();
            const left = await server.database.db
                .collection('call_recall_schedules')
                .countDocuments({ _id: schedule.id });
            expect(left).to.equal(0);
        }
        finally {
            await other.stop();
        }
    });
    it('when the parameters are wrong, then 400 and no run or schedule', async () => {
        const bad = [
            parameters(...TEMPLATES, { name: 'age-from', valueInteger: 0 }),
            parameters(...TEMPLATES, { name: 'age-to', valueInteger: 40 }),
            parameters(...TEMPLATES, { name: 'daily-at', valueString: '25:00' }),
            parameters(...TEMPLATES, { name: 'daily-at', valueString: '09:00' }, { name: 'mode', valueCode: 'count' }),
            parameters({ name: 'template-sms', valueString: SMS_TEMPLATE }, { name: 'follow-up-channel', valueCode: 'letter' }),
            parameters(...TEMPLATES, { name: 'programme', valueCode: 'flu' }),
            parameters(...TEMPLATES, { name: 'follow-up-channel', valueCode: 'pigeon' }),
        ];
        const before = (await call('GET', '/Task?_summary=count')).body.total;
        for (const body of bad)
            expect((await call('POST', '/$mmr-recall', body)).status, JSON.stringify(body)).to.equal(400);
        expect((await call('GET', '/Task?_summary=count')).body.total).to.equal(before);
    });
});
//# sourceMappingURL=mmr-recall.test.js.map
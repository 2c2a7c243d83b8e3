import { expect } from 'chai';
import { nhsNumber } from '../../fixtures/records.js';
import { RUN_FIELD_SYSTEM } from '../../src/notifications/runs.js';
import { CODE_SYSTEMS } from '../../src/resources/extensions.js';
import { Outbox } from '../../src/store/outbox.js';
import { startFakeBooking } from '../fakes/booking.js';
import { caller, eventually, extraServer } from './harness.js';
let server;
let booking;
const call = caller(() => server);
const parameters = (...parameter) => ({
    resourceType: 'Parameters',
    parameter,
});
const total = (body) => body.parameter.find((p) => p.name === 'total').valueInteger;
const output = (task, code) => task.output?.find((o) => o.type.coding?.some((c) => c.system === RUN_FIELD_SYSTEM && c.code === code))
    ?.valueInteger;
function appointment(patientId, status) {
    const start = new Date(Date.now() + 86_400_000).toISOString();
    return {
        resourceType: 'Appointment',
        status,
        start,
        end: new Date(Date.parse(start) + 600_000).toISOString(),
        serviceType: [{ coding: [{ system: CODE_SYSTEMS.programme, code: 'covid-19' }] }],
        participant: [{ actor: { reference: `Patient/${patientId}` }, status: 'accepted' }],
    };
}
async function finished(runId) {
    return eventually(async () => {
        const task = (await call('GET', `/Task/${runId}`)).body;
        expect(task.status).to.equal('completed');
        return task;
    }, 30_000);
}
describe('booking hand-off: invited people to the booking system, bookings back as Appointments', function () {
    this.timeout(90_000);
    const ids = [];
    let group = '';
    before(async () => {
        booking = await startFakeBooking();
        server = await extraServer({
            AUTH: 'off',
            MONGODB_DB: 'nims_booking_test',
            BOOKING_URL: booking.url,
            BOOKING_API_KEY: booking.apiKey,
        });
        for (let n = 1; n <= 4; n++) {
            const patient = {
                resourceType: 'Patient',
                identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber(n, 91) }],
                name: [{ given: [`Booker${n}`], family: 'Test' }],
                birthDate: '1948-06-01',
                telecom: [{ system: 'phone', use: 'mobile', value: `0770090010${n}` }],
            };
            ids.push((await call('POST', '/Patient', patient)).body.id);
        }
        const selected = await call('POST', '/Patient/$cohort', parameters({ name: 'mode', valueCode: 'select' }, { name: 'programme', valueCode: 'covid-19' }, { name: 'age-from', valueInteger: 75 }));
        group = selected.body.parameter.find((p) => p.name === 'group').valueReference
            .reference;
        expect(total(selected.body)).to.equal(4);
    });
    after(async () => {
        await server?.stop();
        await booking.close();
    });
    it('when a COVID-19 cohort is invited while the booking system is down, then everyone invited reaches it once it is back', async () => {
        booking.down = 503;
        const invited = await call('POST', `/${group}/$invite`, parameters({ name: 'programme', valueCode: 'covid-19' }, { name: 'template-sms', valueString: 'covid-invite' }));
        expect(invited.status).to.equal(202);
        const runId = invited.body.id;
        const run = await finished(runId);
        expect(output(run, 'sent'), JSON.stringify(run.output)).to.equal(4);
        const waiting = await eventually(async () => {
            const status = (await call('GET', '/$outbox?topic=booking')).body;
            const parts = status.parameter[0].part;
            const count = (name) => parts.find((p) => p.name === name)?.valueInteger;
            expect(count('pending')).to.equal(4);
            expect(count('delivered')).to.equal(0);
            return parts;
        });
        expect(waiting.find((p) => p.name === 'topic').valueCode).to.equal('booking');
        expect(booking.invited.size).to.equal(0);
        booking.down = undefined;
        await eventually(() => Promise.resolve(expect(booking.invited.size).to.equal(4)), 20_000);
        const line = booking.invited.get(`${runId}/${ids[0]}`);
        expect(line).to.deep.include({
            programme: 'covid-19',
            patient: {
                reference: `Patient/${ids[0]}`,
                identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber(1, 91) },
            },
            run: { reference: `Task/${runId}` },
        });
        // the invitation named is the person's Communication of the run
        const communication = (await call('GET', `/${line.invitation.reference}`))
            .body;
        expect(communication.subject?.reference).to.equal(`Patient/${ids[0]}`);
        expect(communication.category?.[0]?.coding?.[0]).to.deep.include({ code: 'covid-19' });
        const after = (await call('GET', '/$outbox')).body.parameter.find((p) => p.part.some((part) => part.name === 'topic' && part.valueCode === 'booking')).part;
        expect(after.find((p) => p.name === 'delivered').valueInteger).to.equal(4);
    });
    it('when people book or cancel, then a COVID-19 reminder reaches only those invited and not booked', async () => {
        expect((await call('POST', '/Appointment', appointment(ids[0], 'booked'))).status).to.equal(201);
        const second = (await call('POST', '/Appointment', appointment(ids[1], 'booked'))).body;
        expect((await call('PUT', `/Appointment/${second.id}`, { ...second, status: 'cancelled' })).status).to.equal(200);
        const found = (await call('GET', `/Appointment?patient=Patient/${ids[0]}&service-type=${CODE_SYSTEMS.programme}|covid-19`)).body;
        expect(found.entry).to.have.length(1);
        const recall = (mode) => call('POST', `/${group}/$recall`, parameters({ name: 'programme', valueCode: 'covid-19' }, { name: 'template-sms', valueString: 'covid-reminder' }, { name: 'after-days', valueInteger: 0 }, { name: 'mode', valueCode: mode }));
        expect(total((await recall('count')).body)).to.equal(3);
        const started = await recall('send');
        expect(started.status).to.equal(202);
        const task = await finished(started.body.id);
        expect(output(task, 'sent')).to.equal(3);
        expect(output(task, 'skipped-booked')).to.equal(1);
        const skipped = (await call('GET', `/Communication?based-on=Task/${started.body.id}&subject=Patient/${ids[0]}`)).body.entry.map((e) => e.resource);
        expect(skipped.map((c) => [c.status, c.statusReason?.text])).to.deep.equal([
            ['not-done', 'skipped: booked'],
        ]);
        // reminders are not handed to the booking system again
        expect(booking.lines).to.equal(4);
    });
    it('when the outbox operations are called wrongly, then 400 and nothing changes', async () => {
        expect((await call('GET', '/$outbox?topic=pigeons')).status).to.equal(400);
        expect((await call('POST', '/$outbox-retry', parameters({ name: 'topic', valueCode: 'nope' }))).status).to.equal(400);
        expect((await call('POST', '/$outbox-retry', parameters())).status).to.equal(400);
        const retried = await call('POST', '/$outbox-retry', parameters({ name: 'topic', valueCode: 'booking' }));
        expect(retried.status).to.equal(200);
        expect(retried.body.parameter[0].valueInteger).to.equal(0);
    });
});
describe('outbox: retries, dead letters and requeue', function () {
    this.timeout(30_000);
    it('when the receiver keeps failing, then an entry is tried maxTries times, becomes dead, and a requeue delivers it once', async () => {
        const main = await extraServer({ AUTH: 'off', MONGODB_DB: 'nims_outbox_test' });
        let failing = true;
        const delivered = [];
        const outbox = new Outbox(main.database.db, `test${Date.now()}`, (entries) => {
            if (failing)
                return Promise.reject(new Error('receiver down'));
            delivered.push(...entries.map((e) => e._id));
            // the second entry is refused on its own, the rest taken
            return Promise.resolve(new Map(entries.filter((e) => e.payload.n === 2).map((e) => [e._id, 'refused'])));
        }, { maxTries: 3, firstRetryMs: 20, tickMs: 10 });
        try {
            await outbox.start();
            await outbox.add([
                { id: 'a', payload: { n: 1 } },
                { id: 'b', payload: { n: 2 } },
            ]);
            await outbox.add([{ id: 'a', payload: { n: 99 } }]);
            const dead = await eventually(async () => {
                const status = await outbox.status();
                expect(status.dead).to.equal(2);
                return status;
            });
            expect(dead.deadEntries.map((e) => [e._id, e.tries, e.lastError])).to.deep.equal([
                ['a', 3, 'receiver down'],
                ['b', 3, 'receiver down'],
            ]);
            failing = false;
            expect(await outbox.retryDead(['a', 'b', 'missing'])).to.equal(2);
            await eventually(async () => expect((await outbox.status()).dead).to.equal(1));
            const status = await outbox.status();
            expect([status.delivered, status.pending, status.dead]).to.deep.equal([1, 0, 1]);
            expect(status.deadEntries[0]).to.deep.include({ _id: 'b', lastError: 'refused' });
            expect(delivered.filter((id) => id === 'a')).to.have.length(1);
        }
        finally {
            await outbox.stop();
            await main.stop();
        }
    });
    it('when a process starts with entries another left pending (payloads in their own documents, or inside the entry as stored before), then each is handed over once with its payload', async () => {
        const main = await extraServer({ AUTH: 'off', MONGODB_DB: 'nims_outbox_test' });
        const topic = `restart${Date.now()}`;
        const handed = [];
        const outbox = (deliver) => new Outbox(main.database.db, topic, (entries) => {
            if (!deliver)
                return Promise.reject(new Error('not this process'));
            handed.push(...entries.map((e) => ({ id: e._id, n: e.payload.n })));
            return Promise.resolve(undefined);
        }, { tickMs: 10 });
        try {
            // the first process stores entries and stops before handing them over (it never started)
            await outbox(false).add([
                { id: 'a', payload: { n: 1 } },
                { id: 'b', payload: { n: 2 } },
            ]);
            await main.database.db.collection(`outbox_${topic}`).insertOne({
                _id: 'c',
                payload: { n: 3 },
                state: 'pending',
                tries: 0,
                createdAt: new Date().toISOString(),
                nextAt: Date.now(),
            });
            const next = outbox(true);
            await next.start();
            try {
                await eventually(async () => expect((await next.status()).delivered).to.equal(3));
            }
            finally {
                await next.stop();
            }
            expect(handed.sort((x, y) => x.id.localeCompare(y.id))).to.deep.equal([
                { id: 'a', n: 1 },
                { id: 'b', n: 2 },
                { id: 'c', n: 3 },
            ]);
        }
        finally {
            await main.stop();
        }
    });
});
//# sourceMappingURL=booking.test.js.map
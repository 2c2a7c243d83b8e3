import { expect } from 'chai';
import { nhsNumber } from '../../fixtures/records.js';
import { RUN_FIELD_SYSTEM } from '../../src/notifications/runs.js';
import { startFakeMailingHouse } from '../fakes/mailing-house.js';
import { caller, eventually, extraServer } from './harness.js';
let server;
let house;
const call = caller(() => server);
const output = (task, code) => task.output?.find((o) => o.type.coding?.some((c) => c.system === RUN_FIELD_SYSTEM && c.code === code))
    ?.valueInteger;
const value = (body, name) => body.parameter.find((p) => p.name === name)?.valueInteger;
describe('letters: a mailing house over HTTP, and returned mail', function () {
    this.timeout(90_000);
    const ids = [];
    let runId = '';
    before(async () => {
        house = await startFakeMailingHouse();
        server = await extraServer({
            AUTH: 'off',
            MONGODB_DB: 'nims_letters_test',
            MAILING_URL: house.url,
            MAILING_API_KEY: house.apiKey,
            MAILING_INTERVAL_SECONDS: '1',
        });
        for (let n = 1; n <= 3; n++) {
            const patient = {
                resourceType: 'Patient',
                identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber(n, 33) }],
                name: [{ given: [`Writer${n}`], family: 'Test' }],
                birthDate: '1940-01-01',
                address: [{ use: 'home', line: [`${n} Post Road`], city: 'Hull', postalCode: 'HU1 1AA' }],
            };
            ids.push((await call('POST', '/Patient', patient)).body.id);
        }
    });
    after(async () => {
        await server?.stop();
        await house.close();
    });
    it('when the mailing house is down, then letters wait in the outbox and go in one checked batch once it is back', async () => {
        house.down = 503;
        const selected = await call('POST', '/Patient/$cohort', {
            resourceType: 'Parameters',
            parameter: [
                { name: 'mode', valueCode: 'select' },
                { name: 'programme', valueCode: 'flu' },
                { name: 'age-from', valueInteger: 80 },
            ],
        });
        const group = selected.body.parameter.find((p) => p.name === 'group').valueReference
            .reference;
        const started = await call('POST', `/${group}/$invite`, {
            resourceType: 'Parameters',
            parameter: [
                { name: 'programme', valueCode: 'flu' },
                { name: 'template-letter', valueString: 'flu-letter-1' },
            ],
        });
        expect(started.status).to.equal(202);
        runId = started.body.id;
        await eventually(async () => {
            const status = (await call('GET', '/$outbox?topic=letters')).body.parameter[0].part;
            expect(status.find((p) => p.name === 'pending').valueInteger).to.equal(3);
        }, 10_000);
        // not delivered while nothing was taken
        const task = (await call('GET', `/Task/${runId}`)).body;
        expect(task.status).to.equal('in-progress');
        house.down = undefined;
        const done = await eventually(async () => {
            const current = (await call('GET', `/Task/${runId}`)).body;
            expect(current.status).to.equal('completed');
            return current;
        }, 40_000);
        expect(output(done, 'delivered')).to.equal(3);
        expect(house.letters.size).to.equal(3);
        const [file, letters] = [...house.files][0];
        expect(file).to.match(new RegExp(`^nims-letters-${runId.slice(0, 8)}-\\d{4}-\\d{2}-\\d{2}-[0-9a-f]{12}\\.jsonl$`));
        expect(letters.map((l) => l.address[0]).sort()).to.deep.equal([
            '1 Post Road',
            '2 Post Road',
            '3 Post Road',
        ]);
    });
    it('when returned mail is reported, then that letter fails with the reason and the run counts it; bad lines are listed', async () => {
        const reference = `${runId}/${ids[1]}/0`;
        expect(house.letters.has(reference)).to.equal(true);
        const csv = `reference,reason\n${reference},addressee gone away\nnot-a-reference,x\n${runId}/${ids[0]}/3,\n`;
        const answered = await call('POST', '/Communication/$returned-mail', csv, 'text/csv');
        expect(answered.status).to.equal(200);
        expect([value(answered.body, 'marked'), value(answered.body, 'rejected')]).to.deep.equal([1, 2]);
        const problems = answered.body
            .parameter.filter((p) => p.name === 'problem')
            .map((p) => p.valueString);
        expect(problems).to.deep.equal([
            'line 3: reference is not a letter reference (run/patient/step)',
            'line 4: no letter has that reference',
        ]);
        const communication = (await call('GET', `/Communication?based-on=Task/${runId}&subject=Patient/${ids[1]}`)).body.entry[0].resource;
        expect(communication.status).to.equal('not-done');
        expect(communication.statusReason?.text).to.equal('letter returned: addressee gone away');
        expect(communication.sent).to.be.a('string');
        const task = (await call('GET', `/Task/${runId}`)).body;
        expect([output(task, 'delivered'), output(task, 'failed'), output(task, 'returned')]).to.deep.equal([
            2, 1, 1,
        ]);
        const again = await call('POST', '/Communication/$returned-mail', `{"reference":"${reference}"}\n`, 'application/x-ndjson');
        expect(value(again.body, 'already')).to.equal(1);
        expect((await call('POST', '/Communication/$returned-mail', { resourceType: 'Parameters' })).status).to.equal(415);
    });
});
//# sourceMappingURL=letters.test.js.map
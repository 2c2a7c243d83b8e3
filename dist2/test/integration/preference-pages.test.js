import { expect } from 'chai';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { nhsNumber } from '../../fixtures/records.js';
import { startFakeNotify } from '../fakes/notify.js';
import { eventually, extraServer, tokenFor } from './harness.js';
import { chromiumInstalled, launchChromium, SCREENSHOTS } from './browser.js';
const NHS = 'https://fhir.nhs.uk/Id/nhs-number';
let server;
let browser;
let notify;
let admin = '';
const ids = [];
const adult = (n, given, overrides = {}) => ({
    resourceType: 'Patient',
    identifier: [{ system: NHS, value: nhsNumber(n, 90) }],
    name: [{ family: 'Hughes', given: [given] }],
    birthDate: '1975-03-15',
    address: [{ postalCode: 'CF10 1AA' }],
    telecom: [{ system: 'phone', use: 'mobile', value: '07700900456' }],
    ...overrides,
});
const PEOPLE = [
    adult(1, 'Rhian'),
    adult(2, 'Gareth'),
    adult(3, 'Eleri'),
    adult(4, 'Owain', { birthDate: `${new Date().getUTCFullYear() - 15}-06-01` }),
];
async function api(method, path, body) {
    const response = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/fhir+json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return (await response.json());
}
/** A page with JavaScript off: the journey must work without it. */
async function openPage() {
    const context = await browser.newContext({
        javaScriptEnabled: false,
        viewport: { width: 900, height: 1200 },
    });
    const page = await context.newPage();
    const urls = [];
    page.on('request', (request) => urls.push(request.url()));
    await page.goto(`${server.url.replace(/\/fhir$/, '')}/preferences`);
    return { page, urls };
}
async function enterDetails(page, person, by = 'nhs-number') {
    const [year, month, day] = person.birthDate.split('-');
    await page.getByLabel('First name').fill(person.name[0].given[0].toLowerCase());
    await page.getByLabel('Last name').fill(person.name[0].family.toUpperCase());
    await page.getByLabel('Day').fill(String(Number(day)));
    await page.getByLabel('Month').fill(String(Number(month)));
    await page.getByLabel('Year').fill(year);
    if (by === 'nhs-number')
        await page.getByLabel('NHS number', { exact: true }).fill(person.identifier[0].value);
    else
        await page.getByLabel('Postcode (if you do not know your NHS number)').fill('cf101aa');
    await page.getByRole('button', { name: 'Continue' }).click();
}
/** Chooses the text message and answers the code that reached the fake Notify. */
async function sendCode(page) {
    const before = notify.sent.length;
    await page.getByLabel('Text message to 07*** ***456').check();
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByRole('heading', { name: 'Enter your security code' }).waitFor();
    return eventually(() => {
        expect(notify.sent.length).to.be.above(before);
        return Promise.resolve(notify.sent.at(-1).personalisation.code);
    });
}
async function enterCode(page, code) {
    await page.getByLabel('Security code').fill(code);
    await page.getByRole('button', { name: 'Continue' }).click();
}
const errorText = (page) => page.locator('.error-summary li').first().textContent();
describe('the COVID-19 invitation preference pages, in Chromium without JavaScript', function () {
    this.timeout(120_000);
    before(async function () {
        if (!chromiumInstalled())
            this.skip();
        notify = await startFakeNotify();
        server = await extraServer({
            MONGODB_DB: 'nims_preference_pages_test',
            NOTIFY_URL: notify.url,
            NOTIFY_API_KEY: notify.apiKey,
            PREFERENCE_CODE_SECONDS: '3',
        });
        admin = await tokenFor('system/*.cruds', undefined, server);
        for (const person of PEOPLE)
            ids.push((await api('POST', '/Patient', person)).id);
        browser = await launchChromium();
    });
    after(async () => {
        await browser?.close();
        await server?.stop();
        await notify?.close();
    });
    it('when a person gives their details and the code from their phone, then their choice is saved as a Consent and nothing they typed is in a URL', async () => {
        const { page, urls } = await openPage();
        expect(await page.title()).to.equal('Choose if you get COVID-19 vaccination invitations – COVID-19 vaccination invitations – NHS');
        await enterDetails(page, PEOPLE[0]);
        const code = await sendCode(page);
        await enterCode(page, code);
        await page.getByRole('heading', { name: 'Do you want COVID-19 vaccination invitations?' }).waitFor();
        expect(await page.locator('.panel').textContent()).to.contain('you get invitations');
        await page.getByLabel('No, do not send me invitations and reminders').check();
        mkdirSync(SCREENSHOTS, { recursive: true });
        await page.screenshot({ path: join(SCREENSHOTS, 'preferences.png'), fullPage: true });
        expect(statSync(join(SCREENSHOTS, 'preferences.png')).size).to.be.above(10_000);
        await page.getByRole('button', { name: 'Save my choice' }).click();
        await page.getByRole('heading', { name: 'Your choice has been saved' }).waitFor();
        const consents = await api('GET', `/Consent?patient=Patient/${ids[0]}`);
        const consent = consents.entry[0].resource;
        expect(consent.provision?.type).to.equal('deny');
        expect(consent.patient?.identifier?.value).to.equal(PEOPLE[0].identifier[0].value);
        // only the choice is kept: no name, date of birth or code in the Consent
        expect(JSON.stringify(consent)).not.to.match(/Rhian|1975-03-15|\b\d{6}\b(?!\d)/);
        for (const url of urls)
            expect(url).not.to.match(/Rhian|Hughes|1975|\d{10}|CF10/i);
        // the cohort knows: a COVID-19 selection now leaves this person out as opted out
        const total = async (includeOptedOut) => (await api('POST', '/Patient/$cohort', {
            resourceType: 'Parameters',
            parameter: [
                { name: 'programme', valueCode: 'covid-19' },
                { name: 'include-opted-out', valueBoolean: includeOptedOut },
            ],
        })).parameter.find((p) => p.name === 'total').valueInteger;
        await eventually(async () => expect((await total(true)) - (await total(false))).to.equal(1), 10_000);
        await page.context().close();
    });
    it('when the form is sent empty or with a wrong date, then an error summary takes the focus and links to each field', async () => {
        const { page } = await openPage();
        await page.getByRole('button', { name: 'Continue' }).click();
        expect(await page.title()).to.match(/^Error: /);
        // autofocus is applied by the browser at its next rendering step, not at once on load
        await page.waitForFunction(() => document.activeElement?.className === 'error-summary', undefined, {
            timeout: 5000,
        });
        const links = await page
            .locator('.error-summary a')
            .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
        expect(links).to.deep.equal(['#given', '#family', '#day', '#nhs-number']);
        expect(await page.getByLabel('First name').getAttribute('aria-invalid')).to.equal('true');
        await page.context().close();
    });
    it('when a person under 16, or someone not on the register, gives details, then both get the same neutral answer', async () => {
        const answers = [];
        for (const person of [PEOPLE[3], adult(9, 'Nobody')]) {
            const { page } = await openPage();
            await enterDetails(page, person);
            answers.push(await errorText(page));
            await page.context().close();
        }
        expect(answers[0]).to.contain('We could not confirm your details');
        expect(answers[1]).to.equal(answers[0]);
    });
    it('when the wrong code is entered three times, then the code stops working, even the right one', async () => {
        const { page } = await openPage();
        await enterDetails(page, PEOPLE[1], 'postcode');
        const code = await sendCode(page);
        const wrong = code === '000000' ? '111111' : '000000';
        const messages = [];
        for (let i = 0; i < 3; i++) {
            await enterCode(page, wrong);
            messages.push(await errorText(page));
        }
        expect(messages).to.deep.equal([
            'The code is not right. You have 2 tries left.',
            'The code is not right. You have 1 try left.',
            'You have entered the wrong code too many times. Ask for a new code.',
        ]);
        await enterCode(page, code);
        expect(await errorText(page)).to.contain('too many times');
        await page.context().close();
    });
    it('when the code is used after it expired, then it is refused and a new one can be sent', async () => {
        const { page } = await openPage();
        await enterDetails(page, PEOPLE[2]);
        const code = await sendCode(page);
        await new Promise((resolve) => setTimeout(resolve, 3500));
        await enterCode(page, code);
        expect(await errorText(page)).to.equal('The code has expired. Ask for a new code.');
        await page.getByRole('link', { name: 'Send a new code' }).click();
        const fresh = await sendCode(page);
        await enterCode(page, fresh);
        await page.getByRole('heading', { name: 'Do you want COVID-19 vaccination invitations?' }).waitFor();
        await page.context().close();
    });
    it('when a form is posted without the session’s CSRF token, then it is refused and changes nothing', async () => {
        const response = await fetch(`${server.url.replace(/\/fhir$/, '')}/preferences/choice`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: 'choice=deny&csrf=forged',
        });
        expect(response.status).to.equal(403);
    });
    it('when a helpline agent signs in with their token, then the pages say so and the audit trail names them', async () => {
        const helpline = await tokenFor('system/Consent.crus', undefined, server);
        const { page } = await openPage();
        await page.goto(`${server.url.replace(/\/fhir$/, '')}/preferences/helpline/sign-in`);
        await page.getByLabel('Your access token').fill('not-a-token');
        await page.getByRole('button', { name: 'Sign in' }).click();
        expect(await errorText(page)).to.contain('not a helpline agent');
        await page.getByLabel('Your access token').fill(helpline);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByText('Helpline mode: test client is acting for a caller').waitFor();
        await enterDetails(page, PEOPLE[0]);
        await page.getByRole('heading', { name: 'Where should we send your security code?' }).waitFor();
        await page.context().close();
        const audit = await eventually(async () => {
            const found = await api('GET', '/AuditEvent?subtype=https://nims.example.org/fhir/CodeSystem/preference-step|verify-identity&_count=100');
            const byAgent = found.entry.filter((e) => JSON.stringify(e.resource).includes('test client'));
            expect(byAgent).to.have.length.above(0);
            return byAgent;
        }, 10_000);
        expect(JSON.stringify(audit[0].resource)).to.contain('matched');
    });
});
//# sourceMappingURL=preference-pages.test.js.map
import { expect } from 'chai';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { areaOrganizations, syntheticGeography, syntheticPerson } from '../../fixtures/population.js';
import { preferenceOverride } from '../../fixtures/records.js';
import { extraServer, tokenFor } from './harness.js';
import { chromiumInstalled, launchChromium, SCREENSHOTS } from './browser.js';
const SCREENSHOT = join(SCREENSHOTS, 'dashboard.png');
const geography = syntheticGeography();
const today = new Date('2026-11-25T00:00:00Z');
const people = Array.from({ length: 600 }, (_, i) => syntheticPerson(i, { seed: 21, today, geography }));
// only the areas these people are registered in, so the load is quick
const used = new Set(people.map((p) => p.generalPractitioner[0].identifier.value));
const practices = geography.practices.filter((p) => used.has(p.code));
const wanted = new Set(practices.flatMap((p) => [p.code, p.localAuthority, p.icb, p.region]));
const organizations = areaOrganizations(geography).filter((o) => wanted.has(o.identifier[0].value));
let server;
let browser;
let token = '';
async function api(path, body, contentType) {
    const response = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': contentType, authorization: `Bearer ${token}` },
        body,
    });
    expect(response.status).to.equal(200);
    return response.json();
}
const ndjson = (items) => items.map((i) => JSON.stringify(i)).join('\n') + '\n';
describe('the cohort dashboard, in Chromium', function () {
    this.timeout(120_000);
    before(async function () {
        if (!chromiumInstalled())
            this.skip();
        // a database of its own (and so its own clients), with authentication on: the page uses the staff
        // member's token
        server = await extraServer({ MONGODB_DB: 'nims_dashboard_test' });
        token = await tokenFor('system/Patient.crus system/Organization.crus system/Group.cr system/Task.c', undefined, server);
        await api('/Organization/$load', ndjson(organizations), 'application/fhir+ndjson');
        await api('/Patient/$load', ndjson(people), 'application/fhir+ndjson');
        browser = await launchChromium();
    });
    after(async () => {
        await browser?.close();
        await server?.stop();
    });
    it('when criteria are chosen, then the count and the breakdown follow and agree with the API; a cohort is saved', async () => {
        const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
        const origin = server.url.replace(/\/fhir$/, '');
        await page.goto(`${origin}/dashboard`);
        // without a token the page asks for one
        await page.getByText('Sign in: paste an access token above.').waitFor();
        await page.getByLabel('Token').fill(token);
        await page.getByLabel('Token').dispatchEvent('change');
        const total = page.locator('#total');
        const everyone = await api('/Patient/$cohort', JSON.stringify({ resourceType: 'Parameters' }), 'application/fhir+json');
        const expectTotal = async (answer) => {
            const wantedTotal = answer.parameter.find((p) => p.name === 'total').valueInteger;
            await page.waitForFunction((text) => document.getElementById('total')?.textContent === text, wantedTotal.toLocaleString('en-GB'));
            return wantedTotal;
        };
        await expectTotal(everyone);
        await page.getByLabel('Programme').selectOption('flu');
        await page.getByLabel('From').fill('65');
        await page.getByLabel('Female').check();
        const chosen = {
            resourceType: 'Parameters',
            parameter: [
                { name: 'programme', valueCode: 'flu' },
                { name: 'age-from', valueInteger: 65 },
                { name: 'sex', valueCode: 'female' },
            ],
        };
        const flu = await expectTotal(await api('/Patient/$cohort', JSON.stringify(chosen), 'application/fhir+json'));
        expect(await total.textContent()).to.equal(flu.toLocaleString('en-GB'));
        // the table, by region, sums to the total and sorts by name when asked
        await page.getByLabel('Show by').selectOption('region');
        const counts = await page.locator('#breakdown tbody td:nth-child(4)').allTextContents();
        expect(counts.reduce((sum, c) => sum + Number(c.replace(/,/g, '')), 0)).to.equal(flu);
        await page.getByRole('button', { name: 'Area' }).click();
        const names = await page.locator('#breakdown tbody td:nth-child(1)').allTextContents();
        expect(names).to.deep.equal([...names].sort((a, b) => a.localeCompare(b)));
        expect(await page.locator('#breakdown th').first().getAttribute('aria-sort')).to.equal('ascending');
        expect(await page.locator('#chart .bar.region').count()).to.be.above(0);
        await page.getByLabel('Name').fill('Women 65+ for flu');
        await page.getByRole('button', { name: 'Save cohort' }).click();
        await page.getByText(/^Saved “Women 65\+ for flu” as Group\/[0-9a-f-]+: /).waitFor();
        // a staff override of COVID-19 invitation preferences is shown with its reason
        expect(await page.locator('#override').isHidden()).to.equal(true);
        const override = await fetch(`${server.url}/Task`, {
            method: 'POST',
            headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${token}` },
            body: JSON.stringify(preferenceOverride('Worsening pandemic', new Date('2026-01-01T00:00:00Z'), new Date('2099-01-01T00:00:00Z'))),
        });
        expect(override.status).to.equal(201);
        await page.getByLabel('Programme').selectOption('covid-19');
        await page
            .locator('#override')
            .getByText(/set aside until .*: Worsening pandemic\./)
            .waitFor();
        mkdirSync(SCREENSHOTS, { recursive: true });
        await page.screenshot({ path: SCREENSHOT, fullPage: true });
        expect(statSync(SCREENSHOT).size).to.be.above(10_000);
    });
});
//# sourceMappingURL=dashboard.test.js.map
import { expect } from 'chai';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { uptakeByBruteForce } from '../uptake-brute-force.js';
import { chromiumInstalled, launchChromium, SCREENSHOTS } from './browser.js';
import { caller, errorCode, extraServer } from './harness.js';
import { generatedPopulation, loadPopulation, TODAY } from './population.js';
const generated = generatedPopulation(23, 1200);
const { geography, population } = generated;
const today = TODAY;
let server;
const call = caller(() => server);
const DAY_MS = 86_400_000;
const dayOf = (date) => Math.floor(Date.parse(date.slice(0, 10)) / DAY_MS);
const bruteUptake = (code, on) => uptakeByBruteForce(population, geography, code, on);
const value = (parts, name) => parts.find((p) => p.name === name);
describe('programme statistics: $uptake', function () {
    this.timeout(180_000);
    before(async () => {
        server = await extraServer({ AUTH: 'off', MONGODB_DB: 'nims_uptake_test' });
        await loadPopulation(call, generated);
    });
    after(() => server?.stop());
    for (const code of ['covid-19', 'flu', 'mmr']) {
        it(`when ${code} uptake is asked for, then every figure, group and day equals a brute-force count over the loaded data`, async () => {
            const answer = await call('GET', `/$uptake?programme=${code}&date=2026-11-25`);
            expect(answer.status, JSON.stringify(answer.body).slice(0, 300)).to.equal(200);
            const parameters = answer.body.parameter;
            const expected = bruteUptake(code, today);
            expect(expected.eligible).to.be.above(20);
            expect(value(parameters, 'eligible').valueInteger).to.equal(expected.eligible);
            expect(value(parameters, 'vaccinated').valueInteger).to.equal(expected.vaccinated);
            expect(value(parameters, 'percentage').valueDecimal).to.equal(Math.round((expected.vaccinated / expected.eligible) * 1000) / 10);
            const groups = new Map(parameters
                .filter((p) => p.name === 'group')
                .map((g) => [
                `${value(g.part, 'breakdown').valueCode}|${value(g.part, 'code').valueString}`,
                [value(g.part, 'eligible').valueInteger, value(g.part, 'vaccinated').valueInteger],
            ]));
            expect(Object.fromEntries(groups)).to.deep.equal(Object.fromEntries(expected.groups));
            const days = parameters.filter((p) => p.name === 'day');
            expect(value(days[0].part, 'date').valueDate).to.equal(new Date(expected.from * DAY_MS).toISOString().slice(0, 10));
            let cumulative = expected.before;
            for (const d of days) {
                const on = dayOf(value(d.part, 'date').valueDate);
                cumulative += expected.byDay.get(on) ?? 0;
                expect(value(d.part, 'vaccinated').valueInteger, value(d.part, 'date').valueDate).to.equal(expected.byDay.get(on) ?? 0);
                expect(value(d.part, 'cumulative').valueInteger).to.equal(cumulative);
            }
            expect(cumulative).to.equal(expected.vaccinated);
        });
    }
    it('when practices are asked for, then they add up to their local authorities', async () => {
        const answer = await call('POST', '/$uptake', {
            resourceType: 'Parameters',
            parameter: [
                { name: 'programme', valueCode: 'flu' },
                { name: 'breakdown', valueCode: 'gp-practice' },
                { name: 'breakdown', valueCode: 'local-authority' },
            ],
        });
        const groups = answer.body.parameter.filter((p) => p.name === 'group');
        const sum = (breakdown) => groups
            .filter((g) => value(g.part, 'breakdown').valueCode === breakdown)
            .reduce((n, g) => n + value(g.part, 'eligible').valueInteger, 0);
        expect(sum('gp-practice')).to.equal(sum('local-authority'));
        expect(sum('gp-practice')).to.equal(value(answer.body.parameter, 'eligible').valueInteger);
    });
    it('when the parameters are wrong, then the answer is a 400 that names them', async () => {
        for (const query of [
            '',
            'programme=polio',
            'programme=flu&date=2026-13-01',
            'programme=flu&breakdown=shoe-size',
            'programme=flu&from=2026-12-01&date=2026-11-01',
        ]) {
            const answer = await call('GET', `/$uptake?${query}`);
            expect(answer.status, query).to.equal(400);
            expect(errorCode(answer.body), query).to.equal('invalid-request');
        }
    });
    it('when the statistics page is opened in Chromium, then its figures, charts and tables show the $uptake answer and the CSV holds what is shown', async function () {
        if (!chromiumInstalled())
            this.skip();
        const browser = await launchChromium();
        try {
            const page = await browser.newPage({ viewport: { width: 1280, height: 1600 }, acceptDownloads: true });
            await page.goto(`${server.url.replace(/\/fhir$/, '')}/statistics`);
            await page.getByLabel('Programme').selectOption('flu');
            await page.getByLabel('On').fill('2026-11-25');
            await page.getByLabel('Areas by').selectOption('icb');
            await page.getByRole('button', { name: 'Show', exact: true }).click();
            await page.getByText('Uptake of flu on 2026-11-25.').waitFor();
            const expected = bruteUptake('flu', today);
            expect(await page.locator('#eligible').textContent()).to.equal(expected.eligible.toLocaleString('en-GB'));
            expect(await page.locator('#vaccinated').textContent()).to.equal(expected.vaccinated.toLocaleString('en-GB'));
            const icbs = [...expected.groups.keys()].filter((k) => k.startsWith('icb|'));
            expect(await page.locator('#by-area .bar').count()).to.equal(icbs.length);
            expect(await page.locator('#area-table tbody tr').count()).to.equal(icbs.length);
            expect(await page.locator('#over-time polyline').getAttribute('points')).to.match(/^[\d.]+,[\d.]+ /);
            const [download] = await Promise.all([
                page.waitForEvent('download'),
                page.getByRole('button', { name: 'Download CSV of what is shown' }).click(),
            ]);
            const csv = parse(readFileSync(await download.path(), 'utf8'), {
                relax_column_count: true,
            });
            expect(csv[0]).to.deep.equal(['breakdown', 'code', 'name', 'eligible', 'vaccinated', 'percentage']);
            const rows = csv.filter((row) => row[0] === 'icb');
            expect(rows).to.have.length(icbs.length);
            for (const [, code, , eligible, vaccinated] of rows)
                expect(expected.groups.get(`icb|${code}`)).to.deep.equal([Number(eligible), Number(vaccinated)]);
            // and the days: the running total ends at everyone vaccinated
            expect(csv.at(-1)[2]).to.equal(String(expected.vaccinated));
            mkdirSync(SCREENSHOTS, { recursive: true });
            const screenshot = join(SCREENSHOTS, 'statistics.png');
            await page.screenshot({ path: screenshot, fullPage: true });
            expect(statSync(screenshot).size).to.be.above(10_000);
        }
        finally {
            await browser.close();
        }
    });
});
//# sourceMappingURL=uptake.test.js.map
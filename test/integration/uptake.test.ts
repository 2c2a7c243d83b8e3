import { expect } from 'chai';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Parameters, ParametersParameter } from 'fhir/r4';
import {
  areaOrganizations,
  ATTRIBUTE_SOURCES,
  attributeCsvLine,
  syntheticAttributes,
  syntheticGeography,
  syntheticImmunizations,
  syntheticPerson,
} from '../../fixtures/population.js';
import { programme, programmesOf, seasonStartDay, type ProgrammeCode } from '../../src/cohort/programmes.js';
import { ATTRIBUTE_COLUMNS } from '../../src/register/attribute-load.js';
import { attributeExtension, attributesOf, PRIORITY_GROUPS } from '../../src/register/attributes.js';
import type { RunningServer } from '../../src/server.js';
import { eligibilityOf } from '../../src/statistics/eligibility.js';
import { meets, type Population } from '../cohort-brute-force.js';
import { chromiumInstalled, launchChromium, SCREENSHOTS } from './browser.js';
import { caller, errorCode, extraServer } from './harness.js';

const geography = syntheticGeography();
const today = new Date('2026-11-25T00:00:00Z');
const options = { seed: 23, today, geography };
const PEOPLE = 1200;
const people = Array.from({ length: PEOPLE }, (_, i) => syntheticPerson(i, options));
const attributes = people.map((p, i) => syntheticAttributes(p, i, options));
const population: Population = {
  people: people.map((p, i) => ({
    ...p,
    extension: [...p.extension!, ...attributes[i]!.map(attributeExtension)],
  })),
  vaccinations: people.map((p, i) => syntheticImmunizations(p, i, options)),
  optedOut: new Set(),
};
let server: RunningServer | undefined;
const call = caller(() => server);

const DAY_MS = 86_400_000;
const dayOf = (date: string) => Math.floor(Date.parse(date.slice(0, 10)) / DAY_MS);

/** The figures `$uptake` should give, counted plainly over the generated data. */
function bruteUptake(code: ProgrammeCode, on: Date) {
  const p = programme(code);
  const day = dayOf(on.toISOString());
  const from = p.doses === undefined ? seasonStartDay(p, on) : day - 364;
  const groups = new Map<string, [number, number]>();
  const byDay = new Map<number, number>();
  let eligible = 0;
  let vaccinated = 0;
  let before = 0;
  const add = (key: string, done: boolean) => {
    const [e, v] = groups.get(key) ?? [0, 0];
    groups.set(key, [e + 1, v + (done ? 1 : 0)]);
  };
  population.people.forEach((person, i) => {
    const clauses = eligibilityOf(code).clauses;
    if (!clauses.some((c) => meets(population, i, { ...c, ageOn: on, includeOptedOut: true }))) return;
    const days = population.vaccinations[i]!.filter((v) => programmesOf(v).includes(p))
      .map((v) => dayOf(v.occurrenceDateTime!))
      .filter((d) => d <= day && (p.doses !== undefined || d >= from))
      .sort((a, b) => a - b);
    const when = p.doses === undefined ? days[0] : days[p.doses - 1];
    const done = when !== undefined;
    eligible++;
    if (done) {
      vaccinated++;
      if (when < from) before++;
      else byDay.set(when, (byDay.get(when) ?? 0) + 1);
    }
    const [y, m, d] = person.birthDate!.split('-').map(Number) as [number, number, number];
    const years =
      on.getUTCFullYear() -
      y -
      (on.getUTCMonth() + 1 < m || (on.getUTCMonth() + 1 === m && on.getUTCDate() < d) ? 1 : 0);
    const band = Math.min(18, Math.floor(years / 5));
    add(`age-band|${band === 18 ? '90+' : `${band * 5}-${band * 5 + 4}`}`, done);
    add(`sex|${person.gender}`, done);
    add(`ethnic-category|${person.extension![0]!.valueCodeableConcept!.coding![0]!.code}`, done);
    const date = on.toISOString().slice(0, 10);
    const held = new Set(
      attributesOf(person)
        .filter((a) => (a.start ?? date) <= date && date <= (a.end ?? date))
        .map((a) => a.group),
    );
    if (held.size === 0) add('priority-group|', done);
    for (const group of PRIORITY_GROUPS) if (held.has(group)) add(`priority-group|${group}`, done);
    const practice = geography.practices.find(
      (q) => q.code === person.generalPractitioner![0]!.identifier!.value,
    )!;
    add(`region|${practice.region}`, done);
    add(`icb|${practice.icb}`, done);
    add(`local-authority|${practice.localAuthority}`, done);
  });
  return { eligible, vaccinated, groups, byDay, before, from };
}

const value = (parts: ParametersParameter[], name: string) => parts.find((p) => p.name === name);

describe('programme statistics: $uptake', function () {
  this.timeout(180_000);

  before(async () => {
    server = await extraServer({ AUTH: 'off', MONGODB_DB: 'nims_uptake_test' });
    const load = async (type: string, resources: object[]) => {
      const answer = await call(
        'POST',
        `/${type}/$load`,
        resources.map((r) => JSON.stringify(r)).join('\n') + '\n',
        'application/fhir+ndjson',
      );
      expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    };
    await load('Organization', areaOrganizations(geography));
    await load('Patient', people);
    await load('Immunization', population.vaccinations.flat());
    for (const source of ATTRIBUTE_SOURCES) {
      const lines = attributes.flatMap((list, i) =>
        list
          .filter((a) => a.source === source)
          .map((a) => attributeCsvLine(people[i]!.identifier![0]!.value!, a)),
      );
      const answer = await call(
        'POST',
        `/Patient/$load-attributes?source=${source}`,
        [ATTRIBUTE_COLUMNS.join(','), ...lines].join('\n') + '\n',
        'text/csv',
      );
      expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    }
  });
  after(() => server?.stop());

  for (const code of ['covid-19', 'flu', 'mmr'] as const) {
    it(`when ${code} uptake is asked for, then every figure, group and day equals a brute-force count over the loaded data`, async () => {
      const answer = await call('GET', `/$uptake?programme=${code}&date=2026-11-25`);
      expect(answer.status, JSON.stringify(answer.body).slice(0, 300)).to.equal(200);
      const parameters = (answer.body as Parameters).parameter!;
      const expected = bruteUptake(code, today);
      expect(expected.eligible).to.be.above(20);
      expect(value(parameters, 'eligible')!.valueInteger).to.equal(expected.eligible);
      expect(value(parameters, 'vaccinated')!.valueInteger).to.equal(expected.vaccinated);
      expect(value(parameters, 'percentage')!.valueDecimal).to.equal(
        Math.round((expected.vaccinated / expected.eligible) * 1000) / 10,
      );
      const groups = new Map(
        parameters
          .filter((p) => p.name === 'group')
          .map((g) => [
            `${value(g.part!, 'breakdown')!.valueCode}|${value(g.part!, 'code')!.valueString}`,
            [value(g.part!, 'eligible')!.valueInteger, value(g.part!, 'vaccinated')!.valueInteger],
          ]),
      );
      expect(Object.fromEntries(groups)).to.deep.equal(Object.fromEntries(expected.groups));
      const days = parameters.filter((p) => p.name === 'day');
      expect(value(days[0]!.part!, 'date')!.valueDate).to.equal(
        new Date(expected.from * DAY_MS).toISOString().slice(0, 10),
      );
      let cumulative = expected.before;
      for (const d of days) {
        const on = dayOf(value(d.part!, 'date')!.valueDate!);
        cumulative += expected.byDay.get(on) ?? 0;
        expect(value(d.part!, 'vaccinated')!.valueInteger, value(d.part!, 'date')!.valueDate).to.equal(
          expected.byDay.get(on) ?? 0,
        );
        expect(value(d.part!, 'cumulative')!.valueInteger).to.equal(cumulative);
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
    const groups = (answer.body as Parameters).parameter!.filter((p) => p.name === 'group');
    const sum = (breakdown: string) =>
      groups
        .filter((g) => value(g.part!, 'breakdown')!.valueCode === breakdown)
        .reduce((n, g) => n + value(g.part!, 'eligible')!.valueInteger!, 0);
    expect(sum('gp-practice')).to.equal(sum('local-authority'));
    expect(sum('gp-practice')).to.equal(
      value((answer.body as Parameters).parameter!, 'eligible')!.valueInteger,
    );
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
    if (!chromiumInstalled()) this.skip();
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1600 }, acceptDownloads: true });
      await page.goto(`${server!.url.replace(/\/fhir$/, '')}/statistics`);
      await page.getByLabel('Programme').selectOption('flu');
      await page.getByLabel('On').fill('2026-11-25');
      await page.getByLabel('Areas by').selectOption('icb');
      await page.getByRole('button', { name: 'Show', exact: true }).click();
      await page.getByText('Uptake of flu on 2026-11-25.').waitFor();
      const expected = bruteUptake('flu', today);
      expect(await page.locator('#eligible').textContent()).to.equal(
        expected.eligible.toLocaleString('en-GB'),
      );
      expect(await page.locator('#vaccinated').textContent()).to.equal(
        expected.vaccinated.toLocaleString('en-GB'),
      );
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
      expect(csv.at(-1)![2]).to.equal(String(expected.vaccinated));
      mkdirSync(SCREENSHOTS, { recursive: true });
      const screenshot = join(SCREENSHOTS, 'statistics.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      expect(statSync(screenshot).size).to.be.above(10_000);
    } finally {
      await browser.close();
    }
  });
});

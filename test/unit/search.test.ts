import { expect } from 'chai';
import type { Communication, Patient } from 'fhir/r4';
import { Query } from 'mingo';
import { cursorFilter, parseControls } from '../../src/search/controls.js';
import { compileCriteria, splitValues } from '../../src/search/criteria.js';
import { parseDateRange } from '../../src/search/dates.js';
import { matching } from '../../src/search/in-memory.js';
import { indexValues, normalise } from '../../src/search/index-values.js';
import { evaluate } from '../../src/search/path.js';
import { postingKeysOf } from '../../src/store/postings.js';

const person: Patient = {
  resourceType: 'Patient',
  id: 'p1',
  name: [{ family: 'Ó Briain', given: ['Zoë', 'Anne'] }],
  birthDate: '1980-05',
  identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9434765919' }],
  generalPractitioner: [
    { reference: 'Organization/o1' },
    { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'B82005' } },
  ],
  deceasedDateTime: '2020-01-01T10:00:00Z',
};

async function matches(params: [string, string][]): Promise<boolean> {
  const { idx, srt } = indexValues(person);
  const compiled = await compileCriteria({
    type: 'Patient',
    params,
    baseUrl: 'http://x/fhir',
    now: Date.parse('2026-01-01'),
    resolveChain: () => Promise.resolve([]),
  });
  const doc = { _id: 'p1', del: false, idx, srt };
  const expected = new Query(compiled.filter).test(doc);
  // the server's own matching answers as mingo does, whichever way it takes
  expect(matching(compiled.filter, [doc]).length === 1, JSON.stringify(compiled.filter)).to.equal(expected);
  return expected;
}

describe('search internals', () => {
  it('when a date is partial, then it covers its whole period', () => {
    const may = parseDateRange('1980-05')!;
    expect(new Date(may.lo).toISOString()).to.equal('1980-05-01T00:00:00.000Z');
    expect(new Date(may.hi).toISOString()).to.equal('1980-05-31T23:59:59.999Z');
    const second = parseDateRange('2020-01-01T10:00:00+01:00')!;
    expect(new Date(second.lo).toISOString()).to.equal('2020-01-01T09:00:00.000Z');
    expect(second.hi - second.lo).to.equal(999);
  });

  it('when a date is impossible, then it is refused', () => {
    for (const value of ['2020-02-30', '2020-13', '20200101', 'yesterday', '2020-01-01T25:00:00Z']) {
      expect(parseDateRange(value), value).to.equal(undefined);
    }
  });

  it('when a path names a choice element, then every typed variant is found', () => {
    expect(evaluate(person, 'Patient.deceased')).to.deep.equal(['2020-01-01T10:00:00Z']);
    expect(evaluate(person, 'Patient.name.given')).to.deep.equal(['Zoë', 'Anne']);
  });

  it('when text is normalised, then case and accents go and symbols stay', () => {
    expect(normalise('Ó Briain Zoë')).to.equal('o briain zoe');
    expect(normalise('^$')).to.equal('^$');
  });

  it('when values contain escaped commas, then they stay in one value', () => {
    expect(splitValues('a\\,b,c')).to.deep.equal(['a,b', 'c']);
  });

  const cases: [string, [string, string][], boolean][] = [
    ['a partial birth date inside the day asked', [['birthdate', '1980']], true],
    ['a partial birth date that only overlaps', [['birthdate', '1980-05-10']], false],
    ['ap near the date', [['birthdate', 'ap1980-06-01']], true],
    ['an accent-free given name', [['given', 'zoe']], true],
    ['an exact given name with the accent', [['given:exact', 'Zoë']], true],
    ['the NHS number with system', [['identifier', 'https://fhir.nhs.uk/Id/nhs-number|9434765919']], true],
    ['the NHS number under another system', [['identifier', 'http://other|9434765919']], false],
    ['a GP reference by id', [['general-practitioner', 'o1']], true],
    [
      'a GP reference by absolute URL on this server',
      [['general-practitioner', 'http://x/fhir/Organization/o1']],
      true,
    ],
    ['missing gender', [['gender:missing', 'true']], true],
    ['a logical GP reference by its ODS code alone', [['general-practitioner:identifier', 'B82005']], true],
    [
      'a logical GP reference by system and ODS code',
      [['general-practitioner:identifier', 'https://fhir.nhs.uk/Id/ods-organization-code|B82005']],
      true,
    ],
    [
      'a logical GP reference under another system',
      [['general-practitioner:identifier', 'http://other|B82005']],
      false,
    ],
    ['death date after a time', [['death-date', 'gt2019-12-31']], true],
    [
      'two ANDed names, one wrong',
      [
        ['given', 'zoe'],
        ['given', 'bob'],
      ],
      false,
    ],
  ];
  for (const [what, params, expected] of cases) {
    it(`when searching for ${what}, then the resource ${expected ? 'matches' : 'does not match'}`, async () => {
      expect(await matches(params)).to.equal(expected);
    });
  }

  it('when two parameters have one expression, then a resource is listed once and both search that list', async () => {
    const message: Communication = {
      resourceType: 'Communication',
      status: 'completed',
      subject: { reference: 'Patient/p1' },
    };
    const { all } = postingKeysOf('Communication', indexValues(message).idx);
    expect(all).to.deep.equal(['Communication|subject|Patient/p1']);
    const groups = async (name: string) =>
      (
        await compileCriteria({
          type: 'Communication',
          params: [[name, 'Patient/p1']],
          baseUrl: 'http://x/fhir',
          now: Date.now(),
          resolveChain: () => Promise.resolve([]),
        })
      ).postingGroups;
    expect(await groups('patient')).to.deep.equal(await groups('subject'));
    expect(await groups('patient')).to.deep.equal([all]);
  });

  it('when a cursor continues a descending sort, then it selects strictly later rows', () => {
    const controls = parseControls('Patient', [['_sort', '-birthdate']]);
    const filter = cursorFilter(controls.sort, { values: ['b', 'id5'], backwards: false });
    const rows = [
      { _id: 'id4', srt: { birthdate: 'b' } },
      { _id: 'id6', srt: { birthdate: 'b' } },
      { _id: 'id1', srt: { birthdate: 'a' } },
      { _id: 'id9', srt: { birthdate: 'c' } },
    ];
    expect(
      new Query(filter)
        .find(rows)
        .all()
        .map((r) => (r as { _id: string })._id),
    ).to.deep.equal(['id6', 'id1']);
  });

  it('when filters of every shape run in memory, then each document matches exactly as mingo says', () => {
    // a seeded generator, so that a failure can be run again
    let seed = 20261208;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
    const scalars = ['a', 'b', 'sys|a', '', 1, 2, 0, true, false];
    const value = (depth: number): unknown => {
      const kind = random();
      if (kind < 0.5 || depth > 1) return pick(scalars);
      if (kind < 0.7) return Array.from({ length: Math.floor(random() * 3) }, () => pick(scalars));
      if (kind < 0.85) return { x: value(depth + 1), y: value(depth + 1) };
      if (kind < 0.95) return [{ x: pick(scalars) }, { y: pick(scalars) }];
      return null;
    };
    const doc = () => ({ del: pick([true, false]), idx: { x: value(1), y: value(1) }, x: value(0) });
    const field = () => pick(['del', 'x', 'x.x', 'idx.x', 'idx.y', 'idx.x.y', 'nothing']);
    const condition = (): Record<string, unknown> => {
      const kind = random();
      if (kind < 0.4) return { [field()]: pick(scalars) };
      if (kind < 0.8) return { [field()]: { $in: [pick(scalars), pick(scalars)] } };
      if (kind < 0.9) return { [field()]: { $gt: pick(scalars) } };
      return { $or: [condition(), condition()] };
    };
    for (let round = 0; round < 2000; round++) {
      const filter = random() < 0.5 ? condition() : { $and: [condition(), condition(), condition()] };
      const docs = Array.from({ length: 5 }, doc);
      const expected = new Query(filter).find(docs).all();
      expect(matching(filter, docs), JSON.stringify({ filter, docs })).to.deep.equal(expected);
    }
  });
});

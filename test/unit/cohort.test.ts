import { expect } from 'chai';
import type { Patient } from 'fhir/r4';
import { seeded, syntheticGeography, syntheticPerson } from '../../fixtures/population.js';
import { CohortIndex, ETHNIC_CODES, type CohortCriteria, type Sex } from '../../src/cohort/index.js';

const geography = syntheticGeography();
const today = new Date('2026-11-25T00:00:00Z');
const people: Patient[] = Array.from({ length: 20_000 }, (_, i) =>
  syntheticPerson(i, { seed: 7, today, geography }),
);

/** Whole years between a birth date and a day, by the calendar: the brute force the index must agree with. */
function age(birthDate: string, on: Date): number {
  const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  const years = on.getUTCFullYear() - y;
  const hadBirthday = on.getUTCMonth() + 1 > m || (on.getUTCMonth() + 1 === m && on.getUTCDate() >= d);
  return hadBirthday ? years : years - 1;
}

function bruteForce(criteria: CohortCriteria): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of people) {
    if (p.deceasedDateTime && !criteria.includeDeceased) continue;
    if (p.active === false && !criteria.includeLeft) continue;
    const a = age(p.birthDate!, criteria.ageOn);
    if (criteria.ageFrom !== undefined && a < criteria.ageFrom) continue;
    if (criteria.ageTo !== undefined && a > criteria.ageTo) continue;
    if (criteria.sex && !criteria.sex.includes(p.gender as Sex)) continue;
    const ethnic = p.extension![0]!.valueCodeableConcept!.coding![0]!.code!;
    if (criteria.ethnicCategory && !criteria.ethnicCategory.includes(ethnic)) continue;
    const practice = p.generalPractitioner![0]!.identifier!.value!;
    if (criteria.practices && !criteria.practices.includes(practice)) continue;
    counts.set(practice, (counts.get(practice) ?? 0) + 1);
  }
  return counts;
}

describe('cohort index', () => {
  const index = new CohortIndex();
  before(() => people.forEach((p) => index.upsert(p)));

  it('when 200 random criteria are counted, then every total and every practice count equals a brute-force count', () => {
    const rnd = seeded(99);
    const pickSome = <T>(items: readonly T[], most: number): T[] =>
      items.filter(() => rnd() < most / items.length).slice(0, most);
    for (let run = 0; run < 200; run++) {
      const from = rnd() < 0.7 ? Math.floor(rnd() * 90) : undefined;
      const criteria: CohortCriteria = {
        ageOn: new Date(Date.UTC(2026, Math.floor(rnd() * 12), 1 + Math.floor(rnd() * 28))),
        ...(from !== undefined ? { ageFrom: from } : {}),
        ...(rnd() < 0.6 ? { ageTo: (from ?? 0) + Math.floor(rnd() * 40) } : {}),
        ...(rnd() < 0.4 ? { sex: pickSome(['male', 'female'] as const, 1) } : {}),
        ...(rnd() < 0.3 ? { ethnicCategory: pickSome(ETHNIC_CODES.slice(1), 4) } : {}),
        ...(rnd() < 0.3
          ? {
              practices: pickSome(
                geography.practices.map((p) => p.code),
                300,
              ),
            }
          : {}),
        includeDeceased: rnd() < 0.3,
        includeLeft: rnd() < 0.3,
      };
      const expected = bruteForce(criteria);
      const { total, byPractice } = index.count(criteria);
      expect(byPractice, JSON.stringify(criteria)).to.deep.equal(expected);
      expect(total).to.equal([...expected.values()].reduce((a, b) => a + b, 0));
    }
  });

  it('when a person changes, dies or is removed, then counts follow', () => {
    const everyone = (extra: Partial<CohortCriteria> = {}) => index.count({ ageOn: today, ...extra }).total;
    const person = people.find((p) => !p.deceasedDateTime && p.active !== false)!;
    const before = everyone();
    index.upsert({ ...person, deceasedDateTime: '2026-11-20' });
    expect(everyone()).to.equal(before - 1);
    expect(everyone({ includeDeceased: true })).to.equal(before - 1 + bruteForceDeceased() + 1);
    index.upsert(person);
    expect(everyone()).to.equal(before);
    index.remove(person.identifier![0]!.value!);
    expect(everyone()).to.equal(before - 1);
    index.upsert(person);
    expect(index.people).to.equal(people.length);
  });

  it('when the index holds people, then it costs well under 100 bytes each', () => {
    expect(index.bytes / index.people).to.be.below(100);
  });
});

function bruteForceDeceased(): number {
  return people.filter((p) => p.deceasedDateTime && p.active !== false).length;
}

import { expect } from 'chai';
import type { Immunization, Patient } from 'fhir/r4';
import {
  areaOrganizations,
  seeded,
  syntheticGeography,
  syntheticAttributes,
  syntheticImmunizations,
  syntheticPerson,
} from '../../fixtures/population.js';
import { attributeExtension, CLINICAL_RISK_GROUPS, PRIORITY_GROUPS } from '../../src/register/attributes.js';
import { AreaTree } from '../../src/cohort/areas.js';
import { CohortIndex, ETHNIC_CODES, vaccinationFacts, type CohortCriteria } from '../../src/cohort/index.js';
import { bruteForce as bruteForceOver } from '../cohort-brute-force.js';

const geography = syntheticGeography();
const today = new Date('2026-11-25T00:00:00Z');
const options = { seed: 7, today, geography };
/** People with their priority-group attributes on them, as attribute lists leave them. */
const people: Patient[] = Array.from({ length: 20_000 }, (_, i) => {
  const person = syntheticPerson(i, options);
  const attributes = syntheticAttributes(person, i, options);
  return attributes.length > 0
    ? { ...person, extension: [...person.extension!, ...attributes.map(attributeExtension)] }
    : person;
});
const vaccinations: Immunization[][] = people.map((p, i) => syntheticImmunizations(p, i, options));
/** Half the ids are server-made UUIDs, half client-chosen text: both ways of keeping ids are used. */
const ids = people.map((_, i) =>
  i % 2 === 0 ? `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` : `person-${i}`,
);
const optedOut = new Set(people.map((_, i) => i).filter((i) => i % 13 === 0));
const bruteForce = (criteria: CohortCriteria) => bruteForceOver({ people, vaccinations, optedOut }, criteria);

describe('cohort index', () => {
  const index = new CohortIndex();
  before(() => {
    people.forEach((p, i) => index.upsertPatient(ids[i]!, p));
    vaccinations.forEach((list, i) => list.forEach((v) => index.addVaccinationOf(ids[i]!, v)));
    optedOut.forEach((i) => index.setOptedOut(ids[i]!, true));
  });

  it('when 300 random criteria are counted, then every total and every practice count equals a brute-force count', () => {
    const rnd = seeded(99);
    const pickSome = <T>(items: readonly T[], most: number): T[] =>
      items.filter(() => rnd() < most / items.length).slice(0, most);
    const programmes = ['covid-19', 'flu', 'mmr'] as const;
    for (let run = 0; run < 300; run++) {
      const inMonths = rnd() < 0.2;
      const unit = inMonths ? 1 : 12;
      const from = rnd() < 0.7 ? Math.floor(rnd() * (inMonths ? 60 : 90)) * unit : undefined;
      const criteria: CohortCriteria = {
        ageOn: new Date(
          Date.UTC(2025 + Math.floor(rnd() * 2), Math.floor(rnd() * 12), 1 + Math.floor(rnd() * 31)),
        ),
        ...(from !== undefined ? { ageFromMonths: from } : {}),
        ...(rnd() < 0.6 ? { ageToMonths: (from ?? 0) + Math.floor(rnd() * 40) * unit } : {}),
        ...(rnd() < 0.4 ? { sex: pickSome(['male', 'female'] as const, 1) } : {}),
        ...(rnd() < 0.3 ? { ethnicCategory: pickSome(ETHNIC_CODES.slice(1), 4) } : {}),
        ...(rnd() < 0.3
          ? {
              area: {
                practices: pickSome(
                  geography.practices.map((p) => p.code),
                  300,
                ),
                districts: pickSome(
                  geography.localAuthorities.flatMap((la) => la.postcodeDistricts),
                  rnd() < 0.5 ? 0 : 100,
                ),
              },
            }
          : {}),
        ...(rnd() < 0.7 ? { programme: programmes[Math.floor(rnd() * 3)]! } : {}),
        ...(rnd() < 0.25 ? { priorityGroups: pickSome(PRIORITY_GROUPS, 2) } : {}),
        ...(rnd() < 0.15 ? { clinicalRiskGroups: pickSome(CLINICAL_RISK_GROUPS, 3) } : {}),
        includeVaccinated: rnd() < 0.3,
        includeOptedOut: rnd() < 0.3,
        includeDeceased: rnd() < 0.3,
        includeLeft: rnd() < 0.3,
      };
      const expected = bruteForce(criteria);
      const { total, byPractice } = index.count(criteria);
      expect(byPractice, JSON.stringify(criteria)).to.deep.equal(expected);
      expect(total).to.equal([...expected.values()].reduce((a, b) => a + b, 0));
      if (run % 30 === 0) expect(index.select(criteria).size).to.equal(total);
    }
  });

  it('when a person changes, dies, is vaccinated or is removed, then counts follow', () => {
    const count = (extra: Partial<CohortCriteria> = {}) => index.count({ ageOn: today, ...extra }).total;
    const i = people.findIndex(
      (p, k) => !p.deceasedDateTime && p.active !== false && vaccinations[k]!.length === 0,
    );
    const person = people[i]!;
    const before = count();
    const unvaccinated = count({ programme: 'flu' });
    index.upsertPatient(ids[i]!, { ...person, deceasedDateTime: '2026-11-20' });
    expect(count()).to.equal(before - 1);
    index.upsertPatient(ids[i]!, person);
    expect(count()).to.equal(before);
    const flu: Immunization = {
      resourceType: 'Immunization',
      status: 'completed',
      vaccineCode: { coding: [{ system: 'http://snomed.info/sct', code: '46233009' }] },
      patient: { reference: `Patient/${ids[i]}` },
      occurrenceDateTime: '2026-10-01',
    };
    index.setVaccinations(ids[i]!, [flu]);
    expect(count({ programme: 'flu' })).to.equal(unvaccinated - 1);
    index.setVaccinations(ids[i]!, [{ ...flu, status: 'entered-in-error' }]);
    expect(count({ programme: 'flu' })).to.equal(unvaccinated);
    index.removePatient(ids[i]!);
    expect(count()).to.equal(before - 1);
    index.upsertPatient(ids[i]!, person);
    expect(index.people).to.equal(people.length);
    const everyone = index.select({ ageOn: today });
    expect(everyone.ids(0, everyone.size)).to.include(ids[i]);
  });

  it('when a person is checked before an invitation, then the reasons to skip agree with who a cohort counts', () => {
    const on = new Date('2026-11-25T00:00:00Z');
    for (const programme of ['covid-19', 'flu', 'mmr'] as const) {
      const counted = index.select({ ageOn: on, programme, dueOnly: true });
      const invitable = new Set(counted.ids(0, counted.size));
      for (const id of ids)
        expect(index.reasonToSkip(id, programme, on) === undefined, id).to.equal(invitable.has(id));
    }
    expect(index.reasonToSkip('nobody', 'flu', on)).to.equal('not-registered');
    const dead = people.findIndex((p) => p.deceasedDateTime && p.active !== false);
    expect(index.reasonToSkip(ids[dead]!, 'flu', on)).to.equal('deceased');
  });

  it('when the index is saved as a snapshot and restored, then it counts and finds people as before', () => {
    const { meta, data } = index.snapshot();
    const restored = CohortIndex.restore(JSON.parse(JSON.stringify(meta)) as typeof meta, Buffer.from(data))!;
    expect(restored.people).to.equal(index.people);
    const rnd = seeded(3);
    for (let run = 0; run < 20; run++) {
      const criteria: CohortCriteria = {
        ageOn: new Date(Date.UTC(2026, Math.floor(rnd() * 12), 1 + Math.floor(rnd() * 28))),
        ageFromMonths: Math.floor(rnd() * 80) * 12,
        ...(rnd() < 0.5 ? { programme: 'flu' as const } : {}),
        ...(rnd() < 0.5 ? { priorityGroups: ['pregnant' as const, 'nhs-staff' as const] } : {}),
      };
      expect(restored.count(criteria)).to.deep.equal(index.count(criteria));
    }
    const everyone = restored.select({ ageOn: today, includeDeceased: true, includeLeft: true });
    expect(everyone.ids(0, everyone.size)).to.have.members(ids);
    // and it goes on changing like the original
    restored.removePatient(ids[1]!);
    expect(restored.count({ ageOn: today, includeDeceased: true, includeLeft: true }).total).to.equal(
      index.count({ ageOn: today, includeDeceased: true, includeLeft: true }).total - 1,
    );
  });

  it('when the index holds 300,000 people, then it costs well under 100 bytes each', () => {
    const large = new CohortIndex();
    for (let i = 0; i < 300_000; i++)
      large.upsertPatient(
        `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        people[i % people.length]!,
      );
    expect(large.people).to.equal(300_000);
    // about 70 here: 35 bytes of columns, the packed id (16), its hash slots and growth room, and the
    // dose lists' 5 bytes a person (these people have no doses)
    expect(large.bytes / large.people).to.be.below(78);
  });

  it('when a vaccination record changes, then only changes the index counts make it recount the person', () => {
    const record = vaccinations.flat().find((v) => v.status === 'completed' && v.occurrenceDateTime)!;
    const facts = vaccinationFacts(record);
    expect(vaccinationFacts({ ...record, lotNumber: 'OTHER-1', note: [{ text: 'checked' }] })).to.equal(
      facts,
    );
    for (const changed of [
      { ...record, occurrenceDateTime: '2020-01-02T10:00:00+00:00' },
      { ...record, status: 'entered-in-error' as const },
      { ...record, patient: { reference: 'Patient/someone-else' } },
      {
        ...record,
        vaccineCode: { coding: [{ system: 'http://snomed.info/sct', code: '1' }] },
        protocolApplied: [],
      },
      { ...record, protocolApplied: [{ ...record.protocolApplied?.[0], doseNumberPositiveInt: 7 }] },
    ])
      expect(vaccinationFacts(changed), JSON.stringify(changed)).not.to.equal(facts);
  });
});

describe('area tree', () => {
  const tree = new AreaTree();
  areaOrganizations(geography).forEach((organization, i) => tree.upsert(`org-${i}`, organization));

  it('when counts per practice are broken down, then every level sums to the total', () => {
    const byPractice = new Map(geography.practices.map((p, i) => [p.code, (i % 7) + 1]));
    byPractice.set('', 5);
    const total = [...byPractice.values()].reduce((a, b) => a + b, 0);
    const regions = tree.breakdown(byPractice, 'gp-practice');
    expect(regions.map((r) => r.code)).to.deep.equal(['Y56', 'Y58', 'Y59', 'Y60', 'Y61', 'Y62', 'Y63', '']);
    expect(regions.reduce((sum, r) => sum + r.count, 0)).to.equal(total);
    for (const region of regions.filter((r) => r.level === 'region')) {
      expect(region.areas!.reduce((sum, icb) => sum + icb.count, 0)).to.equal(region.count);
      for (const icb of region.areas!) {
        expect(icb.level).to.equal('icb');
        expect(icb.areas!.reduce((sum, la) => sum + la.count, 0)).to.equal(icb.count);
        for (const la of icb.areas!)
          expect(la.areas!.reduce((sum, p) => sum + p.count, 0)).to.equal(la.count);
      }
    }
    expect(tree.breakdown(byPractice, 'region')[0]!.areas).to.equal(undefined);
  });

  it('when area codes are resolved, then regions, boards and local authorities stand for their practices', () => {
    const la = geography.localAuthorities[3]!;
    const practicesOfLa = geography.practices.filter((p) => p.localAuthority === la.code).map((p) => p.code);
    expect(tree.resolve([la.code], () => false).practices).to.have.members(practicesOfLa);
    const inIcb = geography.practices.filter((p) => p.icb === 'QWO').map((p) => p.code);
    expect(tree.resolve(['qwo'], () => false).practices).to.have.members(inIcb);
    expect(tree.resolve(['LS12', 'NOPE!', 'Z99999'], (c) => c === 'Z99999')).to.deep.equal({
      practices: ['Z99999'],
      districts: ['LS12'],
      unknown: ['NOPE!'],
    });
  });
});

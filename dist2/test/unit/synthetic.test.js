import { expect } from 'chai';
import { Validator } from '../../src/fhir/validation.js';
import { REGIONS } from '../../src/register/geography.js';
import { syntheticGeography, syntheticPerson } from '../../fixtures/population.js';
import { isValidNhsNumber } from '../../src/shared/nhs-number.js';
const geography = syntheticGeography();
const today = new Date('2026-11-25T00:00:00Z');
const people = Array.from({ length: 20_000 }, (_, i) => syntheticPerson(i, { seed: 42, today, geography }));
const share = (test) => people.filter(test).length / people.length;
const ageOf = (p) => (today.getTime() - Date.parse(p.birthDate)) / (365.25 * 86_400_000);
const ethnicity = (p) => p.extension[0].valueCodeableConcept.coding[0].code;
describe('synthetic population', () => {
    it('when the same seed and index are asked again, then the same person comes back; another seed, another person', () => {
        expect(syntheticPerson(123, { seed: 42, today, geography })).to.deep.equal(people[123]);
        expect(syntheticPerson(123, { seed: 43, today, geography })).to.not.deep.equal(people[123]);
    });
    it('when people are made, then each has its own valid NHS number, beginning with 9 so it is nobody real', () => {
        const numbers = people.map((p) => p.identifier[0].value);
        expect(new Set(numbers).size).to.equal(people.length);
        expect(numbers.every((n) => isValidNhsNumber(n) && n.startsWith('9'))).to.equal(true);
    });
    it('when the geography is made, then every region and ICB has local authorities and about 6,300 practices exist', () => {
        expect(geography.practices.length).to.be.within(6_000, 6_600);
        expect(new Set(geography.practices.map((p) => p.code)).size).to.equal(geography.practices.length);
        const icbs = REGIONS.flatMap((r) => r.icbs.map((i) => i.code));
        expect(icbs).to.have.length(42);
        for (const icb of icbs)
            expect(geography.localAuthorities.some((la) => la.icb === icb), icb).to.equal(true);
        expect(geography.localAuthorities.length).to.be.within(250, 350);
    });
    it('when 20,000 people are made, then sex, age, ethnicity and deaths are close to England', () => {
        expect(share((p) => p.gender === 'female')).to.be.within(0.49, 0.54);
        expect(share((p) => ageOf(p) >= 65)).to.be.within(0.165, 0.2);
        expect(share((p) => ageOf(p) < 16)).to.be.within(0.17, 0.21);
        expect(share((p) => ethnicity(p) === 'A')).to.be.within(0.55, 0.7);
        expect(share((p) => ethnicity(p) === 'Z' || ethnicity(p) === '99')).to.be.within(0.08, 0.12);
        expect(share((p) => p.deceasedDateTime !== undefined)).to.be.within(0.005, 0.02);
        expect(people.every((p) => !p.deceasedDateTime || p.deceasedDateTime >= p.birthDate)).to.equal(true);
        const londoners = people.filter((p) => p.generalPractitioner[0].identifier.value.startsWith('E'));
        expect(londoners.length / people.length).to.be.within(0.13, 0.17);
    });
    it('when people are validated, then every one passes the FHIR schema and the nims profile', () => {
        const validator = new Validator();
        const failing = people.slice(0, 2000).filter((p) => validator.problems(p).length > 0);
        expect(failing.map((p) => validator.problems(p)[0].diagnostics)).to.deep.equal([]);
    });
});
//# sourceMappingURL=synthetic.test.js.map
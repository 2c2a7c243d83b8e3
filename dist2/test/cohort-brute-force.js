import { postcodeDistrict } from '../src/cohort/index.js';
import { programme, programmesOf, seasonStartDay } from '../src/cohort/programmes.js';
import { attributesOf } from '../src/register/attributes.js';
/** Whole months between a birth date and a day, by the calendar. */
function ageInMonths(birthDate, on) {
    const [y, m, d] = birthDate.split('-').map(Number);
    const months = (on.getUTCFullYear() - y) * 12 + on.getUTCMonth() + 1 - m;
    return on.getUTCDate() >= d ? months : months - 1;
}
function vaccinated(given, code, on) {
    const p = programme(code);
    const mine = given.filter((v) => programmesOf(v).includes(p));
    if (p.doses !== undefined)
        return mine.length >= p.doses;
    const from = seasonStartDay(p, on) * 86_400_000;
    return mine.some((v) => Date.parse(v.occurrenceDateTime.slice(0, 10)) >= from);
}
/** People who meet the criteria, counted per GP practice. */
export function bruteForce(population, criteria) {
    const counts = new Map();
    population.people.forEach((p, i) => {
        if (!meets(population, i, criteria))
            return;
        const practice = p.generalPractitioner[0].identifier.value;
        counts.set(practice, (counts.get(practice) ?? 0) + 1);
    });
    return counts;
}
/** Whether person `i` of the population meets the criteria. */
export function meets(population, i, criteria) {
    const p = population.people[i];
    if (p.deceasedDateTime && !criteria.includeDeceased)
        return false;
    if (p.active === false && !criteria.includeLeft)
        return false;
    const a = ageInMonths(p.birthDate, criteria.ageOn);
    if (criteria.ageFromMonths !== undefined && a < criteria.ageFromMonths)
        return false;
    if (criteria.ageToMonths !== undefined && a > criteria.ageToMonths)
        return false;
    if (criteria.sex && !criteria.sex.includes(p.gender))
        return false;
    const ethnic = p.extension[0].valueCodeableConcept.coding[0].code;
    if (criteria.ethnicCategory && !criteria.ethnicCategory.includes(ethnic))
        return false;
    const practice = p.generalPractitioner[0].identifier.value;
    const district = postcodeDistrict(p.address[0].postalCode);
    if (criteria.area &&
        !criteria.area.practices.includes(practice) &&
        !criteria.area.districts.includes(district))
        return false;
    const day = criteria.ageOn.toISOString().slice(0, 10);
    const held = attributesOf(p).filter((a) => (a.start ?? day) <= day && day <= (a.end ?? day));
    if (criteria.priorityGroups && !held.some((a) => criteria.priorityGroups.includes(a.group)))
        return false;
    if (criteria.clinicalRiskGroups &&
        !held.some((a) => a.detail && criteria.clinicalRiskGroups.includes(a.detail)))
        return false;
    if (criteria.programme === 'covid-19' && population.optedOut.has(i) && !criteria.includeOptedOut)
        return false;
    const given = population.vaccinations[i];
    if (criteria.programme &&
        !criteria.includeVaccinated &&
        vaccinated(given, criteria.programme, criteria.ageOn))
        return false;
    return true;
}
//# sourceMappingURL=cohort-brute-force.js.map
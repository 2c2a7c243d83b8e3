import { SERVER_CONTEXT } from '../fhir/service.js';
import { MAX_COUNT } from '../search/controls.js';
import { isValidNhsNumber, NHS_NUMBER_SYSTEM } from '../shared/nhs-number.js';
/** Names compared as people type them: case, accents, spaces, hyphens and apostrophes do not matter. */
export function normaliseName(name) {
    return name
        .normalize('NFKD')
        .replace(/\p{M}/gu, '')
        .toLowerCase()
        .replace(/[^a-z]/g, '');
}
/** A UK postcode as the register holds it: upper case, one space before the last three characters. */
export function normalisePostcode(postcode) {
    const compact = postcode.toUpperCase().replace(/[^A-Z0-9]/g, '');
    return compact.length > 3 ? `${compact.slice(0, -3)} ${compact.slice(-3)}` : compact;
}
/** A real day written YYYY-MM-DD (not the 31st of February). */
export function isCalendarDate(value) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value))
        return false;
    const day = new Date(`${value}T00:00:00Z`);
    return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === value;
}
/** Why details cannot even be looked for: said to the person, since it is about what they typed. */
export function detailsProblem(details) {
    if (!normaliseName(details.given) || !normaliseName(details.family))
        return 'Enter your first and last name';
    if (!isCalendarDate(details.birthDate))
        return 'Enter your date of birth as a real date';
    if (details.nhsNumber !== undefined) {
        if (!isValidNhsNumber(details.nhsNumber.replace(/\s/g, '')))
            return 'Enter a valid 10-digit NHS number';
    }
    else if (!details.postcode || !/^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$/i.test(details.postcode.trim()))
        return 'Enter your NHS number or a full postcode';
    return undefined;
}
function namesMatch(patient, details) {
    const given = normaliseName(details.given);
    const family = normaliseName(details.family);
    return (patient.name ?? []).some((name) => !name.period?.end &&
        normaliseName(name.family ?? '') === family &&
        (name.given ?? []).some((g) => normaliseName(g) === given));
}
function postcodeMatches(patient, postcode) {
    return (patient.address ?? []).some((a) => !a.period?.end && a.postalCode !== undefined && normalisePostcode(a.postalCode) === postcode);
}
/**
 * The one person on the register with these details: same normalised name, exact date of birth, and the
 * NHS number or a current postcode. Undefined when no one or more than one matches (the caller says the
 * same either way). People who died or whose record is inactive are not found.
 */
export async function findPerson(service, details) {
    let candidates;
    if (details.nhsNumber !== undefined) {
        const holders = await service.repository.holders('Patient', 'identifier', [
            `${NHS_NUMBER_SYSTEM}|${details.nhsNumber.replace(/\s/g, '')}`,
        ]);
        candidates = [...holders.values()].map((v) => v.resource);
    }
    else {
        const postcode = normalisePostcode(details.postcode ?? '');
        const { sources } = await service.search('Patient', [
            ['birthdate', details.birthDate],
            ['address-postalcode', postcode],
            ['_count', String(MAX_COUNT)],
        ], SERVER_CONTEXT);
        candidates = sources.filter((p) => postcodeMatches(p, postcode));
    }
    const matches = candidates.filter((p) => p.birthDate === details.birthDate &&
        namesMatch(p, details) &&
        p.active !== false &&
        !p.deceasedDateTime &&
        p.deceasedBoolean !== true);
    return matches.length === 1 ? matches[0] : undefined;
}
//# sourceMappingURL=matching.js.map
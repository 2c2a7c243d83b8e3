import { vaccineOf } from '../resources/vaccines.js';
import { SNOMED_SYSTEM } from '../shared/snomed.js';
export const PROGRAMMES = [
    {
        code: 'covid-19',
        display: 'COVID-19',
        targetDiseases: ['840539006'],
        seasonStart: { month: 9, day: 1 },
        bookable: true,
    },
    {
        code: 'flu',
        display: 'Seasonal influenza',
        targetDiseases: ['6142004'],
        seasonStart: { month: 9, day: 1 },
    },
    {
        code: 'mmr',
        display: 'Measles, mumps and rubella',
        // measles, mumps, rubella
        targetDiseases: ['14189004', '36989005', '36653000'],
        doses: 2,
        // the routine childhood schedule: dose 1 from one year, dose 2 from 3 years 4 months, a month apart
        schedule: [{ fromMonths: 12 }, { fromMonths: 40, afterPreviousDays: 28 }],
    },
];
export const PROGRAMME_CODES = PROGRAMMES.map((p) => p.code);
export function programme(code) {
    return PROGRAMMES.find((p) => p.code === code);
}
const DAY_MS = 86_400_000;
/** Days since 1970-01-01 of a FHIR date or dateTime (its calendar date); undefined without a day. */
export function dayNumber(date) {
    if (!date || !/^\d{4}-\d{2}-\d{2}/.test(date))
        return undefined;
    return Math.floor(Date.parse(date.slice(0, 10)) / DAY_MS);
}
/** The first day (day number) of the season of `programme` that contains `on`. */
export function seasonStartDay(programme, on) {
    const { month, day } = programme.seasonStart ?? { month: 1, day: 1 };
    let year = on.getUTCFullYear();
    if (Date.UTC(year, month - 1, day) > on.getTime())
        year--;
    return Math.floor(Date.UTC(year, month - 1, day) / DAY_MS);
}
/** The programmes a vaccination counts for: by target disease, else by vaccine. Not given: none. */
export function programmesOf(immunization) {
    return immunization.status === 'completed' ? programmesAbout(immunization) : [];
}
/** Why a vaccination was not given that means the person (or their parent) said no. */
export const REFUSAL_REASONS = [
    { system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'PATOBJ' },
];
/** The programmes a record of a vaccination refused (status not-done for a refusal reason) is about. */
export function programmesRefusedBy(immunization) {
    const refused = immunization.status === 'not-done' &&
        (immunization.statusReason?.coding ?? []).some((c) => REFUSAL_REASONS.some((r) => r.system === c.system && r.code === c.code));
    return refused ? programmesAbout(immunization) : [];
}
/**
 * The programmes a vaccination record is about, whatever its status: by the target diseases recorded, or
 * else by what the vaccine (VACCINES) protects against.
 */
export function programmesAbout(immunization) {
    const snomed = (codings) => (codings ?? []).filter((c) => c.system === SNOMED_SYSTEM).map((c) => c.code ?? '');
    const targets = (immunization.protocolApplied ?? []).flatMap((p) => (p.targetDisease ?? []).flatMap((d) => snomed(d.coding)));
    const vaccines = snomed(immunization.vaccineCode?.coding);
    const against = targets.length > 0 ? targets : vaccines.flatMap((v) => vaccineOf(v)?.protectsAgainst ?? []);
    return PROGRAMMES.filter((p) => against.some((d) => p.targetDiseases.includes(d)));
}
//# sourceMappingURL=programmes.js.map
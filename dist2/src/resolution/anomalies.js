import { dayNumber, programme as programmeByCode, programmesOf, seasonStartDay, } from '../cohort/programmes.js';
import { vaccineOf } from '../resources/vaccines.js';
import { SNOMED_SYSTEM } from '../shared/snomed.js';
import { DOSE_LIMITS } from './anomaly-rules.js';
const DAY_MS = 86_400_000;
/** A vaccination given, as the rules see it; undefined for records that are not one (refusals, undated). */
export function doseOf(immunization) {
    const day = dayNumber(immunization.occurrenceDateTime);
    const programmes = programmesOf(immunization).map((p) => p.code);
    if (day === undefined || programmes.length === 0)
        return undefined;
    const doseNumber = (immunization.protocolApplied ?? []).find((p) => p.doseNumberPositiveInt !== undefined)?.doseNumberPositiveInt;
    const product = vaccineOf(immunization.vaccineCode.coding?.find((c) => c.system === SNOMED_SYSTEM)?.code ?? '');
    const targets = (immunization.protocolApplied ?? []).flatMap((p) => (p.targetDisease ?? []).flatMap((d) => (d.coding ?? []).filter((c) => c.system === SNOMED_SYSTEM).map((c) => c.code ?? '')));
    const mismatch = product !== undefined && targets.some((t) => !product.protectsAgainst.includes(t));
    return { programmes, day, ...(doseNumber !== undefined ? { doseNumber } : {}), mismatch };
}
export function lifeDatesOf(patient) {
    const birthDay = dayNumber(patient.birthDate);
    const deathDay = dayNumber(patient.deceasedDateTime);
    return {
        ...(birthDay !== undefined ? { birthDay } : {}),
        ...(deathDay !== undefined ? { deathDay } : {}),
    };
}
/** The day number `months` after `day`, on the same day of the month (or that month's last day). */
function monthsAfter(day, months) {
    const date = new Date(day * DAY_MS);
    const total = date.getUTCFullYear() * 12 + date.getUTCMonth() + months;
    const year = Math.floor(total / 12);
    const month = total - year * 12;
    const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    return Math.floor(Date.UTC(year, month, Math.min(date.getUTCDate(), last)) / DAY_MS);
}
/**
 * Everything suspect about one person's vaccinations, by the rules of DOSE_LIMITS and their life dates.
 * Each finding names the doses it rests on; the same doses give the same finding on every run.
 */
export function findAnomalies(life, doses) {
    const findings = [];
    const { birthDay, deathDay } = life;
    for (const dose of doses) {
        if (birthDay !== undefined && dose.day < birthDay)
            findings.push({ code: 'before-birth', doses: [dose] });
        if (deathDay !== undefined && dose.day > deathDay)
            findings.push({ code: 'after-death', doses: [dose] });
        if (dose.mismatch)
            findings.push({ code: 'product-disease-mismatch', doses: [dose] });
    }
    for (const limits of DOSE_LIMITS) {
        const { programme } = limits;
        const given = doses.filter((d) => d.programmes.includes(programme)).sort((a, b) => a.day - b.day);
        if (given.length === 0)
            continue;
        const found = (code, which) => findings.push({ code, programme, doses: which });
        const first = given[0].day;
        for (const dose of given) {
            if ((dose.doseNumber ?? 1) >= 2 && dose.day === first)
                found('dose-without-earlier', [dose]);
            if (limits.fromAgeMonths !== undefined &&
                birthDay !== undefined &&
                dose.day >= birthDay &&
                dose.day < monthsAfter(birthDay, limits.fromAgeMonths))
                found('before-minimum-age', [dose]);
        }
        for (let i = 1; i < given.length; i++) {
            const [a, b] = [given[i - 1], given[i]];
            if (a.day === b.day)
                found('duplicate-record', [a, b]);
            else if (b.day - a.day < limits.minIntervalDays)
                found('interval-too-short', [a, b]);
        }
        const periods = new Map();
        for (const dose of given) {
            const period = limits.per === 'life' ? 0 : seasonStartDay(programmeByCode(programme), new Date(dose.day * DAY_MS));
            periods.set(period, [...(periods.get(period) ?? []), dose]);
        }
        for (const inPeriod of periods.values())
            if (inPeriod.length > limits.maxDoses)
                found('too-many-doses', inPeriod);
    }
    return findings;
}
//# sourceMappingURL=anomalies.js.map
import { programme as programmeByCode, seasonStartDay } from '../cohort/programmes.js';
import { FORECAST_RULES } from './rules.js';
const DAY_MS = 86_400_000;
const day = (date) => date.toISOString().slice(0, 10);
const parse = (date) => new Date(`${date.slice(0, 10)}T00:00:00Z`);
const addDays = (date, days) => day(new Date(parse(date).getTime() + days * DAY_MS));
const later = (a, b) => (a > b ? a : b);
/** The day a child born on `birth` is `months` old: the same day of the month, or that month's last. */
export function addMonths(birth, months) {
    const born = parse(birth);
    const year = born.getUTCFullYear();
    const month = born.getUTCMonth() + months;
    const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    return day(new Date(Date.UTC(year, month, Math.min(born.getUTCDate(), lastDay))));
}
/** The forecast of one programme on `on` for someone born on `birth` who had these doses (dates). */
export function forecast(code, birth, doses, on, rules = FORECAST_RULES) {
    const rule = rules.find((r) => r.programme === code);
    if (!rule)
        throw new Error(`no forecast rule for ${code}`);
    const given = [...doses].map((d) => d.slice(0, 10)).sort();
    return rule.kind === 'schedule' ? scheduled(rule, birth, given, on) : seasonal(rule, birth, given, on);
}
function scheduled(rule, birth, given, on) {
    const base = { programme: rule.programme, seriesDoses: rule.doses.length };
    if (given.length >= rule.doses.length)
        return {
            ...base,
            status: 'complete',
            doseNumber: rule.doses.length,
            reason: `All ${rule.doses.length} doses given`,
        };
    const next = rule.doses[given.length];
    const byAge = addMonths(birth, next.fromMonths);
    const last = given.at(-1);
    const byInterval = last && next.afterPreviousDays !== undefined ? addDays(last, next.afterPreviousDays) : byAge;
    const earliest = later(byAge, byInterval);
    const overdueFrom = addDays(earliest, next.overdueAfterDays);
    const dose = { ...base, doseNumber: given.length + 1, earliest, overdueFrom };
    if (on < byAge)
        return {
            ...dose,
            status: 'too-young',
            reason: `Dose ${dose.doseNumber} is given from ${months(next.fromMonths)} (${byAge})`,
        };
    if (on < earliest)
        return {
            ...dose,
            status: 'too-soon',
            reason: `Dose ${dose.doseNumber} is given at least ${next.afterPreviousDays} days after dose ${given.length} (${last}), from ${earliest}`,
        };
    return on >= overdueFrom
        ? { ...dose, status: 'overdue', reason: `Dose ${dose.doseNumber} was due from ${earliest}` }
        : { ...dose, status: 'due', reason: `Dose ${dose.doseNumber} is due` };
}
function months(count) {
    const years = Math.floor(count / 12);
    const rest = count % 12;
    return [
        years ? `${years} year${years > 1 ? 's' : ''}` : '',
        rest ? `${rest} month${rest > 1 ? 's' : ''}` : '',
    ]
        .filter(Boolean)
        .join(' ');
}
/** The campaign window that contains `on`, or else the next one to open. */
function offerWindow(rule, on) {
    const at = (year, { month, day: d }) => day(new Date(Date.UTC(year, month - 1, d)));
    const wraps = rule.offer.to.month < rule.offer.from.month;
    const year = parse(on).getUTCFullYear();
    for (const start of [year - 1, year, year + 1]) {
        const window = { from: at(start, rule.offer.from), to: at(wraps ? start + 1 : start, rule.offer.to) };
        if (on <= window.to)
            return window;
    }
    throw new Error('unreachable: a window ends within two years');
}
function seasonal(rule, birth, given, on) {
    const base = { programme: rule.programme, seriesDoses: 1, doseNumber: 1 };
    const seasonStart = day(new Date(seasonStartDay(programmeByCode(rule.programme), parse(on)) * DAY_MS));
    const thisSeason = given.filter((d) => d >= seasonStart && d <= on);
    if (thisSeason.length > 0)
        return { ...base, status: 'complete', reason: `Vaccinated this season (${thisSeason.at(-1)})` };
    const window = offerWindow(rule, on);
    const oldEnough = addMonths(birth, rule.fromAgeYears * 12);
    const last = given.filter((d) => d <= on).at(-1);
    const byInterval = last ? addDays(last, rule.afterPreviousDays) : window.from;
    const earliest = [window.from, oldEnough, byInterval].reduce(later);
    const overdueFrom = addDays(later(window.from, oldEnough), rule.overdueAfterDays);
    const dose = { ...base, earliest, overdueFrom };
    if (oldEnough > window.to)
        return {
            programme: rule.programme,
            seriesDoses: 1,
            doseNumber: 1,
            status: 'not-eligible',
            reason: `This season's offer is for people aged ${rule.fromAgeYears} and over (${oldEnough} at this age)`,
        };
    if (on < window.from)
        return { ...dose, status: 'out-of-season', reason: `The season's offer opens on ${window.from}` };
    if (on < oldEnough)
        return { ...dose, status: 'too-young', reason: `Eligible from age ${rule.fromAgeYears} (${oldEnough})` };
    if (on < byInterval)
        return {
            ...dose,
            status: 'too-soon',
            reason: `At least ${rule.afterPreviousDays} days after the last dose (${last}), from ${byInterval}`,
        };
    return on >= overdueFrom
        ? { ...dose, status: 'overdue', reason: `Due since ${later(window.from, oldEnough)}` }
        : { ...dose, status: 'due', reason: 'Due this season' };
}
//# sourceMappingURL=forecast.js.map
import { ETHNIC_CODES, NO_BIRTH_DAY, SEXES } from '../cohort/index.js';
import { programme as programmeByCode, seasonStartDay } from '../cohort/programmes.js';
import { PRIORITY_GROUP_NAMES, PRIORITY_GROUPS } from '../register/attributes.js';
import { ETHNIC_CATEGORY_NAMES } from '../resources/extensions.js';
import { eligibilityOf } from './eligibility.js';
/** The ways uptake is broken down: the person's own facts, then the areas of their GP practice. */
export const BREAKDOWNS = [
    'age-band',
    'sex',
    'ethnic-category',
    'priority-group',
    'region',
    'icb',
    'local-authority',
    'gp-practice',
];
const AREA_LEVELS = ['region', 'icb', 'local-authority', 'gp-practice'];
const DAY_MS = 86_400_000;
const dateOf = (day) => new Date(day * DAY_MS).toISOString().slice(0, 10);
/** Five-year age bands, the last open: 0-4, 5-9, ..., 85-89, 90+. */
const BAND_YEARS = 5;
const BANDS = 19;
const SEX_NAMES = {
    male: 'Male',
    female: 'Female',
    other: 'Other',
    unknown: 'Unknown',
};
/** The day number `years` before `on`, on the same day of the month (29 February: the 28th). */
function yearsBefore(on, years) {
    const y = on.getUTCFullYear() - years;
    const m = on.getUTCMonth();
    const d = Math.min(on.getUTCDate(), new Date(Date.UTC(y, m + 1, 0)).getUTCDate());
    return Math.floor(Date.UTC(y, m, d) / DAY_MS);
}
export const percentage = (t) => t.eligible > 0 ? Math.round((t.vaccinated / t.eligible) * 1000) / 10 : 0;
/**
 * Uptake of a programme on a day: of the people eligible (ELIGIBILITY), how many were vaccinated (this
 * season, or every dose of a schedule), broken down as asked and per day from `from`. One pass over the
 * cohort index; areas are the GP practice's region, care board and local authority in the area tree.
 */
export function uptake(index, areas, code, on, breakdowns, from) {
    const programme = programmeByCode(code);
    const eligibility = eligibilityOf(code);
    const day = Math.floor(on.getTime() / DAY_MS);
    const first = from !== undefined
        ? Math.floor(from.getTime() / DAY_MS)
        : programme.doses === undefined
            ? seasonStartDay(programme, on)
            : day - 364;
    const bandFrom = Array.from({ length: BANDS }, (_, k) => yearsBefore(on, k * BAND_YEARS));
    // tallies by number: [eligible, vaccinated] side by side, one pair a value of each breakdown
    const pairs = (n) => new Int32Array(n * 2);
    const byBand = pairs(BANDS + 1);
    const bySex = pairs(SEXES.length);
    const byEthnic = pairs(ETHNIC_CODES.length);
    const byGroup = pairs(PRIORITY_GROUPS.length + 1);
    const byPractice = pairs(index.practices.list.length);
    const byDay = new Int32Array(Math.max(0, day - first + 1));
    let before = 0;
    const total = { eligible: 0, vaccinated: 0 };
    const tally = (counts, n, vaccinated) => {
        counts[n * 2]++;
        counts[n * 2 + 1] += vaccinated;
    };
    index.eachEligible(eligibility.clauses, programme, on, (person) => {
        const vaccinated = person.vaccinatedDay >= 0 ? 1 : 0;
        total.eligible++;
        total.vaccinated += vaccinated;
        if (vaccinated === 1) {
            if (person.vaccinatedDay < first)
                before++;
            else
                byDay[person.vaccinatedDay - first]++;
        }
        let band = BANDS; // age not known
        if (person.birthDay !== NO_BIRTH_DAY)
            for (let k = BANDS - 1; k >= 0; k--)
                if (person.birthDay <= bandFrom[k]) {
                    band = k;
                    break;
                }
        tally(byBand, band, vaccinated);
        tally(bySex, person.sex, vaccinated);
        tally(byEthnic, person.ethnic, vaccinated);
        if (person.groups === 0)
            tally(byGroup, PRIORITY_GROUPS.length, vaccinated);
        for (let bit = 0; bit < PRIORITY_GROUPS.length; bit++)
            if ((person.groups & (1 << bit)) !== 0)
                tally(byGroup, bit, vaccinated);
        tally(byPractice, person.practice, vaccinated);
    });
    const wanted = new Set(breakdowns);
    const tallies = new Map();
    const names = new Map();
    const put = (key, counts, n) => {
        if (counts[n * 2] === 0)
            return;
        const sum = tallies.get(key) ?? { eligible: 0, vaccinated: 0 };
        tallies.set(key, {
            eligible: sum.eligible + counts[n * 2],
            vaccinated: sum.vaccinated + counts[n * 2 + 1],
        });
    };
    const each = (breakdown, counts, code) => {
        if (!wanted.has(breakdown))
            return;
        for (let n = 0; n < counts.length / 2; n++)
            put(`${breakdown}|${code(n)}`, counts, n);
    };
    each('age-band', byBand, String);
    each('sex', bySex, (n) => SEXES[n]);
    each('ethnic-category', byEthnic, (n) => ETHNIC_CODES[n]);
    each('priority-group', byGroup, (n) => PRIORITY_GROUPS[n] ?? '');
    // areas: each practice's tally added to its local authority, care board and region
    for (let n = 0; n < byPractice.length / 2; n++) {
        if (byPractice[n * 2] === 0)
            continue;
        const chain = new Map();
        for (let area = areas.get(index.practices.list[n]); area; area = area.parent ? areas.get(area.parent) : undefined)
            chain.set(area.level, area);
        for (const level of AREA_LEVELS) {
            if (!wanted.has(level))
                continue;
            const area = chain.get(level);
            const key = `${level}|${area?.code ?? ''}`;
            put(key, byPractice, n);
            if (area)
                names.set(key, area.name);
        }
    }
    const groups = [...tallies]
        .map(([key, tally]) => {
        const [breakdown, code] = key.split('|');
        // age bands are counted by number and named once sorted
        return { breakdown, code, display: displayOf(breakdown, code, names.get(key)), ...tally };
    })
        .sort((a, b) => BREAKDOWNS.indexOf(a.breakdown) - BREAKDOWNS.indexOf(b.breakdown) ||
        (a.breakdown === 'age-band' ? Number(a.code) - Number(b.code) : a.code.localeCompare(b.code)))
        .map((g) => (g.breakdown === 'age-band' ? { ...g, code: bandCode(Number(g.code)) } : g));
    let cumulative = before;
    const days = Array.from(byDay, (vaccinated, k) => {
        cumulative += vaccinated;
        return { date: dateOf(first + k), vaccinated, cumulative };
    });
    return {
        programme: code,
        eligibility: eligibility.description,
        date: dateOf(day),
        from: dateOf(first),
        ...total,
        groups,
        days,
    };
}
function bandCode(band) {
    if (band >= BANDS)
        return 'unknown';
    return band === BANDS - 1
        ? `${band * BAND_YEARS}+`
        : `${band * BAND_YEARS}-${band * BAND_YEARS + BAND_YEARS - 1}`;
}
function displayOf(breakdown, code, areaName) {
    switch (breakdown) {
        case 'age-band':
            return Number(code) >= BANDS ? 'Age not known' : `Aged ${bandCode(Number(code))}`;
        case 'sex':
            return SEX_NAMES[code] ?? code;
        case 'ethnic-category':
            return code === '' ? 'Not recorded' : (ETHNIC_CATEGORY_NAMES[code] ?? code);
        case 'priority-group':
            return code === ''
                ? 'In no priority group'
                : (PRIORITY_GROUP_NAMES[code] ?? code);
        default:
            return areaName ?? (code === '' ? 'No known area' : code);
    }
}
//# sourceMappingURL=uptake.js.map
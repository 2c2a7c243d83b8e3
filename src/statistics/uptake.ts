import type { AreaTree } from '../cohort/areas.js';
import type { CohortIndex, UptakePerson } from '../cohort/index.js';
import { programme as programmeByCode, seasonStartDay, type ProgrammeCode } from '../cohort/programmes.js';
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
] as const;
export type Breakdown = (typeof BREAKDOWNS)[number];
const AREA_LEVELS = ['region', 'icb', 'local-authority', 'gp-practice'] as const;

export interface Tally {
  eligible: number;
  vaccinated: number;
}
export interface UptakeGroup extends Tally {
  breakdown: Breakdown;
  code: string;
  display: string;
}
export interface UptakeDay {
  date: string;
  /** Eligible people who became vaccinated that day, and by the end of it. */
  vaccinated: number;
  cumulative: number;
}
export interface Uptake extends Tally {
  programme: ProgrammeCode;
  /** Who counts as eligible, in words. */
  eligibility: string;
  /** The day counted (inclusive) and the first day of the time series. */
  date: string;
  from: string;
  groups: UptakeGroup[];
  days: UptakeDay[];
}

const DAY_MS = 86_400_000;
const dateOf = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);
/** Five-year age bands, the last open: 0-4, 5-9, ..., 85-89, 90+. */
const BAND_YEARS = 5;
const BANDS = 19;
const SEXES: Record<string, string> = { male: 'Male', female: 'Female', other: 'Other', unknown: 'Unknown' };

/** The day number `years` before `on`, on the same day of the month (29 February: the 28th). */
function yearsBefore(on: Date, years: number): number {
  const y = on.getUTCFullYear() - years;
  const m = on.getUTCMonth();
  const d = Math.min(on.getUTCDate(), new Date(Date.UTC(y, m + 1, 0)).getUTCDate());
  return Math.floor(Date.UTC(y, m, d) / DAY_MS);
}

export const percentage = (t: Tally) =>
  t.eligible > 0 ? Math.round((t.vaccinated / t.eligible) * 1000) / 10 : 0;

/**
 * Uptake of a programme on a day: of the people eligible (ELIGIBILITY), how many were vaccinated (this
 * season, or every dose of a schedule), broken down as asked and per day from `from`. One pass over the
 * cohort index; areas are the GP practice's region, care board and local authority in the area tree.
 */
export function uptake(
  index: CohortIndex,
  areas: AreaTree,
  code: ProgrammeCode,
  on: Date,
  breakdowns: readonly Breakdown[],
  from?: Date,
): Uptake {
  const programme = programmeByCode(code);
  const eligibility = eligibilityOf(code);
  const day = Math.floor(on.getTime() / DAY_MS);
  const first =
    from !== undefined
      ? Math.floor(from.getTime() / DAY_MS)
      : programme.doses === undefined
        ? seasonStartDay(programme, on)
        : day - 364;
  const bandFrom = Array.from({ length: BANDS }, (_, k) => yearsBefore(on, k * BAND_YEARS));
  const tallies = new Map<string, Tally>();
  const byDay = new Int32Array(Math.max(0, day - first + 1));
  let before = 0;
  const total: Tally = { eligible: 0, vaccinated: 0 };
  const practices = new Map<string, Tally>();
  const count = (key: string, vaccinated: boolean) => {
    let tally = tallies.get(key);
    if (!tally) tallies.set(key, (tally = { eligible: 0, vaccinated: 0 }));
    tally.eligible++;
    if (vaccinated) tally.vaccinated++;
  };
  const wanted = new Set(breakdowns);
  index.eachEligible(eligibility.clauses, programme, on, (person: UptakePerson) => {
    const vaccinated = person.vaccinatedDay !== undefined;
    total.eligible++;
    if (vaccinated) {
      total.vaccinated++;
      if (person.vaccinatedDay! < first) before++;
      else byDay[person.vaccinatedDay! - first]!++;
    }
    if (wanted.has('age-band')) {
      let band = -1;
      if (person.birthDay !== undefined)
        for (let k = BANDS - 1; k >= 0; k--)
          if (person.birthDay <= bandFrom[k]!) {
            band = k;
            break;
          }
      count(`age-band|${band}`, vaccinated);
    }
    if (wanted.has('sex')) count(`sex|${person.sex}`, vaccinated);
    if (wanted.has('ethnic-category')) count(`ethnic-category|${person.ethnic}`, vaccinated);
    if (wanted.has('priority-group')) {
      if (person.groups === 0) count('priority-group|', vaccinated);
      PRIORITY_GROUPS.forEach((group, bit) => {
        if ((person.groups & (1 << bit)) !== 0) count(`priority-group|${group}`, vaccinated);
      });
    }
    let practice = practices.get(person.practice);
    if (!practice) practices.set(person.practice, (practice = { eligible: 0, vaccinated: 0 }));
    practice.eligible++;
    if (vaccinated) practice.vaccinated++;
  });

  // areas: each practice's tally added to its local authority, care board and region
  const names = new Map<string, string>();
  for (const [code, tally] of practices) {
    const chain = new Map<string, { code: string; name: string }>();
    for (let area = areas.get(code); area; area = area.parent ? areas.get(area.parent) : undefined)
      chain.set(area.level, area);
    for (const level of AREA_LEVELS) {
      if (!wanted.has(level)) continue;
      const area = chain.get(level);
      const key = `${level}|${area?.code ?? ''}`;
      const sum = tallies.get(key) ?? { eligible: 0, vaccinated: 0 };
      tallies.set(key, {
        eligible: sum.eligible + tally.eligible,
        vaccinated: sum.vaccinated + tally.vaccinated,
      });
      if (area) names.set(key, area.name);
    }
  }

  const groups: UptakeGroup[] = [...tallies]
    .map(([key, tally]) => {
      const [breakdown, code] = key.split('|') as [Breakdown, string];
      return { breakdown, code, display: displayOf(breakdown, code, names.get(key)), ...tally };
    })
    .sort(
      (a, b) =>
        BREAKDOWNS.indexOf(a.breakdown) - BREAKDOWNS.indexOf(b.breakdown) ||
        (a.breakdown === 'age-band' ? Number(a.code) - Number(b.code) : a.code.localeCompare(b.code)),
    )
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

function bandCode(band: number): string {
  if (band < 0) return 'unknown';
  return band === BANDS - 1
    ? `${band * BAND_YEARS}+`
    : `${band * BAND_YEARS}-${band * BAND_YEARS + BAND_YEARS - 1}`;
}

function displayOf(breakdown: Breakdown, code: string, areaName: string | undefined): string {
  switch (breakdown) {
    case 'age-band':
      return Number(code) < 0 ? 'Age not known' : `Aged ${bandCode(Number(code))}`;
    case 'sex':
      return SEXES[code] ?? code;
    case 'ethnic-category':
      return code === '' ? 'Not recorded' : (ETHNIC_CATEGORY_NAMES[code] ?? code);
    case 'priority-group':
      return code === ''
        ? 'In no priority group'
        : (PRIORITY_GROUP_NAMES[code as keyof typeof PRIORITY_GROUP_NAMES] ?? code);
    default:
      return areaName ?? (code === '' ? 'No known area' : code);
  }
}

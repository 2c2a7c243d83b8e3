import type { ProgrammeCode } from '../cohort/programmes.js';

/**
 * When each programme's doses are due, as data: the forecast reads these and nothing else, so a change of
 * schedule (JCVI advice, a new season's eligibility) is a change here.
 */
export type ForecastRule =
  | {
      programme: ProgrammeCode;
      kind: 'schedule';
      /** The doses in order: from what age (months), how long after the dose before, overdue after how long. */
      doses: { fromMonths: number; afterPreviousDays?: number; overdueAfterDays: number }[];
    }
  | {
      programme: ProgrammeCode;
      kind: 'seasonal';
      /** One dose a season, for people this old or older on the day. */
      fromAgeYears: number;
      /** The campaign: first and last day of the season's offer (month and day), inclusive. */
      offer: { from: { month: number; day: number }; to: { month: number; day: number } };
      /** At least this long after any earlier dose of the programme. */
      afterPreviousDays: number;
      /** Overdue this long after the offer opened (or became due). */
      overdueAfterDays: number;
    };

export const FORECAST_RULES: ForecastRule[] = [
  {
    programme: 'mmr',
    kind: 'schedule',
    // the routine childhood schedule: one year, then 3 years 4 months, at least four weeks apart
    doses: [
      { fromMonths: 12, overdueAfterDays: 90 },
      { fromMonths: 40, afterPreviousDays: 28, overdueAfterDays: 180 },
    ],
  },
  {
    programme: 'covid-19',
    kind: 'seasonal',
    // autumn campaign for people aged 75 and over, at least three months after the last dose
    fromAgeYears: 75,
    offer: { from: { month: 10, day: 1 }, to: { month: 1, day: 31 } },
    afterPreviousDays: 84,
    overdueAfterDays: 60,
  },
  {
    programme: 'flu',
    kind: 'seasonal',
    fromAgeYears: 65,
    offer: { from: { month: 9, day: 1 }, to: { month: 3, day: 31 } },
    afterPreviousDays: 0,
    overdueAfterDays: 90,
  },
];

import { programme } from '../cohort/programmes.js';
const mmr = programme('mmr').schedule;
export const DOSE_LIMITS = [
    {
        programme: 'mmr',
        // the schedule's own limits: the first dose from one year, the second at least four weeks later
        minIntervalDays: mmr[1].afterPreviousDays,
        maxDoses: mmr.length,
        per: 'life',
        fromAgeMonths: mmr[0].fromMonths,
    },
    // primary doses three weeks apart; at most an autumn and a spring dose in a season
    { programme: 'covid-19', minIntervalDays: 21, maxDoses: 2, per: 'season' },
    // children having flu vaccine for the first time get two doses four weeks apart
    { programme: 'flu', minIntervalDays: 28, maxDoses: 2, per: 'season' },
];
/** The anomalies nims looks for, each a code of its own CodeSystem (Task.reasonCode of the finding). */
export const ANOMALY_RULES = {
    'dose-without-earlier': 'A dose numbered 2 or more with no earlier dose of the programme',
    'interval-too-short': 'Two doses closer than the shortest interval the programme allows',
    'too-many-doses': 'More doses than the schedule allows (for life, or in one season)',
    'duplicate-record': 'Two records of the same programme on the same day: one event recorded twice',
    'before-birth': 'A vaccination dated before the person was born',
    'after-death': 'A vaccination dated after the person died',
    'product-disease-mismatch': 'The vaccine product does not protect against the target disease recorded',
    'before-minimum-age': "A dose before the programme's earliest age (MMR before 12 months)",
};
//# sourceMappingURL=anomaly-rules.js.map
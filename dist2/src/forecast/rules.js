export const FORECAST_RULES = [
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
//# sourceMappingURL=rules.js.map
import { PROGRAMME_CODES } from '../cohort/programmes.js';
import { fail } from '../fhir/errors.js';
import { isCalendarDate } from '../preferences/matching.js';
import { ukClock } from '../shared/clock.js';
import { BREAKDOWNS, percentage, uptake } from '../statistics/uptake.js';
import { input, oneOf, parametersOf, readParameters } from './parameters.js';
import { operationDefinition, registerOperation } from './registry.js';
const INPUTS = [
    input('programme', 'code', '1', `The programme: ${PROGRAMME_CODES.join(', ')}`, 1),
    input('date', 'date', '1', 'The day counted, inclusive (default today, UK)'),
    input('from', 'date', '1', 'First day of the series per day (default the season start; MMR a year back)'),
    input('breakdown', 'code', '*', `Breakdowns wanted: ${BREAKDOWNS.join(', ')} (default all but gp-practice)`),
];
/** Figures about everyone, without anyone's details: the same permission as counting cohorts. */
const NEEDS = [
    ['Patient', 's'],
    ['Immunization', 's'],
];
function dateParameter(values, name) {
    const value = values.get(name)?.[0];
    if (value === undefined)
        return undefined;
    if (!isCalendarDate(value))
        fail('invalid-request', `${name} must be a date (YYYY-MM-DD)`, [name]);
    return new Date(`${value}T00:00:00Z`);
}
const figures = (t) => [
    { name: 'eligible', valueInteger: t.eligible },
    { name: 'vaccinated', valueInteger: t.vaccinated },
    { name: 'percentage', valueDecimal: percentage(t) },
];
registerOperation({
    definition: {
        ...operationDefinition('uptake', 'Uptake', [], 'Uptake of a programme on a day: how many of the people it is offered to (the eligibility rules of src/statistics/eligibility.ts) are vaccinated (this season, or MMR both doses), as counts and percentages, broken down by age band, sex, ethnic category, priority group and area (region, care board, local authority, GP practice), and per day with the running total. From the cohort index: milliseconds on a million people.', [
            ...INPUTS,
            {
                name: 'eligibility',
                use: 'out',
                min: 1,
                max: '1',
                type: 'string',
                documentation: 'Who is counted',
            },
            { name: 'eligible', use: 'out', min: 1, max: '1', type: 'integer', documentation: 'People eligible' },
            {
                name: 'vaccinated',
                use: 'out',
                min: 1,
                max: '1',
                type: 'integer',
                documentation: 'Of them, vaccinated',
            },
            {
                name: 'percentage',
                use: 'out',
                min: 1,
                max: '1',
                type: 'decimal',
                documentation: 'Uptake, one decimal',
            },
            {
                name: 'group',
                use: 'out',
                min: 0,
                max: '*',
                documentation: 'Per breakdown and value: breakdown, code, display, eligible, vaccinated, percentage',
            },
            {
                name: 'day',
                use: 'out',
                min: 0,
                max: '*',
                documentation: 'Per day from `from`: date, vaccinated that day, cumulative, percentage (cumulative)',
            },
        ], 'system'),
        affectsState: false,
    },
    needs: () => NEEDS,
    handle: async (request, { cohorts }) => {
        if (!cohorts)
            fail('not-ready', 'Statistics are not available in this server');
        const values = readParameters(parametersOf(request), INPUTS);
        const programme = oneOf(values.get('programme')[0], PROGRAMME_CODES, 'programme');
        const on = dateParameter(values, 'date') ?? new Date(`${ukClock(new Date()).date}T00:00:00Z`);
        const from = dateParameter(values, 'from');
        if (from && from > on)
            fail('invalid-request', 'from must not be after date', ['from']);
        if (from && on.getTime() - from.getTime() > 3 * 366 * 86_400_000)
            fail('invalid-request', 'The series per day covers at most three years', ['from']);
        const breakdowns = (values.get('breakdown') ?? BREAKDOWNS.filter((b) => b !== 'gp-practice')).map((b) => oneOf(b, BREAKDOWNS, 'breakdown'));
        await cohorts.current();
        const result = uptake(cohorts.index, cohorts.areas, programme, on, breakdowns, from);
        const parameter = [
            { name: 'programme', valueCode: result.programme },
            { name: 'eligibility', valueString: result.eligibility },
            { name: 'date', valueDate: result.date },
            { name: 'from', valueDate: result.from },
            ...figures(result),
            ...result.groups.map((g) => ({
                name: 'group',
                part: [
                    { name: 'breakdown', valueCode: g.breakdown },
                    { name: 'code', valueString: g.code },
                    { name: 'display', valueString: g.display },
                    ...figures(g),
                ],
            })),
            ...result.days.map((d) => ({
                name: 'day',
                part: [
                    { name: 'date', valueDate: d.date },
                    { name: 'vaccinated', valueInteger: d.vaccinated },
                    { name: 'cumulative', valueInteger: d.cumulative },
                    {
                        name: 'percentage',
                        valueDecimal: percentage({ eligible: result.eligible, vaccinated: d.cumulative }),
                    },
                ],
            })),
        ];
        return { status: 200, body: { resourceType: 'Parameters', parameter } };
    },
});
//# sourceMappingURL=uptake.js.map
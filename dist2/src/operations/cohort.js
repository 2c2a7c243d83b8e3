import { randomUUID } from 'node:crypto';
import { AREA_LEVELS } from '../cohort/areas.js';
import { ETHNIC_CODES } from '../cohort/index.js';
import { PROGRAMME_CODES } from '../cohort/programmes.js';
import { fail } from '../fhir/errors.js';
import { CLINICAL_RISK_GROUPS, PRIORITY_GROUPS } from '../register/attributes.js';
import { NIMS_BASE } from '../resources/extensions.js';
import { input, oneOf, readParameters } from './parameters.js';
import { registerOperation, operationDefinition } from './registry.js';
/** The code system of Group.characteristic codes: the $cohort parameter names. */
export const COHORT_CRITERION_SYSTEM = `${NIMS_BASE}/CodeSystem/cohort-criterion`;
const SEXES = ['male', 'female', 'other', 'unknown'];
const BREAKDOWNS = ['none', ...AREA_LEVELS];
const INPUTS = [
    input('programme', 'code', '1', `${PROGRAMME_CODES.join(' | ')}: leaves out people already vaccinated in it`),
    input('age-from', 'integer', '1', 'Youngest age in whole years, inclusive'),
    input('age-to', 'integer', '1', 'Oldest age in whole years, inclusive'),
    input('age-from-months', 'integer', '1', 'Youngest age in whole months, inclusive (children)'),
    input('age-to-months', 'integer', '1', 'Oldest age in whole months, inclusive (children)'),
    input('age-on', 'date', '1', 'The date ages and seasons are taken on; default today'),
    input('sex', 'code', '*', `${SEXES.join(' | ')} (administrative gender)`),
    input('ethnic-category', 'code', '*', 'UK Core ethnic category for England: A to Z, 99'),
    input('priority-group', 'code', '*', `People in any of: ${PRIORITY_GROUPS.join(', ')}`),
    input('clinical-risk-group', 'code', '*', `People in any of: ${CLINICAL_RISK_GROUPS.join(', ')}`),
    input('area', 'string', '*', 'NHS region, integrated care board or GP practice ODS code, local authority GSS code, or postcode district'),
    input('include-vaccinated', 'boolean', '1', 'Count people already vaccinated in the programme (default false)'),
    input('include-opted-out', 'boolean', '1', 'COVID-19: count people who opted out of central invitations'),
    input('include-deceased', 'boolean', '1', 'Count people who died (default false)'),
    input('include-left', 'boolean', '1', 'Count people who left the register (default false)'),
    input('mode', 'code', '1', 'count (default): the total and breakdown; select: also store the cohort as a Group'),
    input('breakdown', 'code', '1', `Depth of the area breakdown: ${BREAKDOWNS.join(' | ')} (default gp-practice)`),
    input('name', 'string', '1', 'select: the name of the cohort'),
];
function one(values, name) {
    return values.get(name)?.[0];
}
/** Whole years or whole months of an age bound, as months; both for one bound is an error. */
function months(values, bound) {
    const years = one(values, `age-${bound}`);
    const inMonths = one(values, `age-${bound}-months`);
    if (years !== undefined && inMonths !== undefined)
        fail('invalid-request', `Give age-${bound} or age-${bound}-months, not both`, [`age-${bound}`]);
    const value = years !== undefined ? years * 12 : inMonths;
    if (value !== undefined && (value < 0 || value > 150 * 12))
        fail('invalid-request', `age-${bound} must be between 0 and 150 years`, [`age-${bound}`]);
    return value;
}
function criteriaOf(values, keeper) {
    const ageOnText = one(values, 'age-on');
    const ageOn = ageOnText === undefined ? new Date() : new Date(`${ageOnText}T00:00:00Z`);
    if (ageOnText !== undefined && (!/^\d{4}-\d{2}-\d{2}$/.test(ageOnText) || Number.isNaN(ageOn.getTime())))
        fail('invalid-request', 'age-on must be a full date (YYYY-MM-DD)', ['age-on']);
    const from = months(values, 'from');
    const to = months(values, 'to');
    if (from !== undefined && to !== undefined && from > to)
        fail('invalid-request', 'The youngest age is above the oldest', ['age-from']);
    const programme = one(values, 'programme');
    const sex = values.get('sex');
    const ethnic = values.get('ethnic-category');
    const groups = values.get('priority-group');
    const risks = values.get('clinical-risk-group');
    const areaCodes = values.get('area');
    let area;
    if (areaCodes) {
        const { practices, districts, unknown } = keeper.areas.resolve(areaCodes, (code) => keeper.index.practices.has(code));
        if (unknown.length > 0)
            fail('invalid-request', `Unknown area code(s): ${unknown.join(', ')}`, ['area']);
        area = { practices, districts };
    }
    const flag = (name) => one(values, name) === true;
    return {
        ageOn,
        ...(programme !== undefined ? { programme: oneOf(programme, PROGRAMME_CODES, 'programme') } : {}),
        ...(from !== undefined ? { ageFromMonths: from } : {}),
        ...(to !== undefined ? { ageToMonths: to } : {}),
        ...(sex ? { sex: sex.map((s) => oneOf(s, SEXES, 'sex')) } : {}),
        ...(ethnic
            ? { ethnicCategory: ethnic.map((e) => oneOf(e, ETHNIC_CODES.slice(1), 'ethnic-category')) }
            : {}),
        ...(groups ? { priorityGroups: groups.map((g) => oneOf(g, PRIORITY_GROUPS, 'priority-group')) } : {}),
        ...(risks
            ? { clinicalRiskGroups: risks.map((r) => oneOf(r, CLINICAL_RISK_GROUPS, 'clinical-risk-group')) }
            : {}),
        ...(area ? { area } : {}),
        includeVaccinated: flag('include-vaccinated'),
        includeOptedOut: flag('include-opted-out'),
        includeDeceased: flag('include-deceased'),
        includeLeft: flag('include-left'),
    };
}
function areaParameter(area) {
    return {
        name: 'area',
        part: [
            { name: 'code', valueString: area.code },
            { name: 'name', valueString: area.name },
            { name: 'level', valueCode: area.level },
            { name: 'count', valueInteger: area.count },
            ...(area.areas ?? []).map(areaParameter),
        ],
    };
}
/** A count's answer: the total, the date ages were taken on, and the breakdown to `depth`. */
export function countParameters(index, areas, criteria, depth) {
    const { total, byPractice } = index.count(criteria);
    return [
        { name: 'total', valueInteger: total },
        { name: 'age-on', valueDate: criteria.ageOn.toISOString().slice(0, 10) },
        ...(depth === 'none' ? [] : areas.breakdown(byPractice, depth).map(areaParameter)),
    ];
}
/**
 * The criteria as Group characteristics: each a $cohort parameter name (code) with its value, the date
 * ages were taken on always among them.
 */
function characteristics(values, ageOn) {
    const criteria = new Map([...values, ['age-on', [ageOn]]]);
    for (const notCriteria of ['mode', 'breakdown', 'name'])
        criteria.delete(notCriteria);
    return [...criteria].flatMap(([name, list]) => list.map((value) => {
        const unit = name.endsWith('months') ? 'mo' : 'a';
        return {
            code: { coding: [{ system: COHORT_CRITERION_SYSTEM, code: name }] },
            exclude: false,
            ...(typeof value === 'boolean'
                ? { valueBoolean: value }
                : typeof value === 'number'
                    ? { valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit } }
                    : { valueCodeableConcept: { text: String(value) } }),
        };
    }));
}
registerOperation({
    definition: operationDefinition('cohort', 'Cohort', ['Patient'], 'Counts the people who meet the criteria, with the breakdown by area (region, integrated care board, local authority, GP practice), from the in-memory cohort index; mode=select also stores them as a Group whose members are kept in their own collection.', [
        ...INPUTS,
        {
            name: 'total',
            use: 'out',
            min: 1,
            max: '1',
            type: 'integer',
            documentation: 'People who meet the criteria',
        },
        {
            name: 'age-on',
            use: 'out',
            min: 1,
            max: '1',
            type: 'date',
            documentation: 'The date ages were taken on',
        },
        {
            name: 'area',
            use: 'out',
            min: 0,
            max: '*',
            documentation: 'Breakdown: code, name, level, count, and the areas below as nested area parts',
        },
        {
            name: 'preference-override',
            use: 'out',
            min: 0,
            max: '1',
            documentation: 'When staff set COVID-19 invitation preferences aside (a preference-override Task in force): task, reason, until; people who opted out are then included',
        },
        {
            name: 'group',
            use: 'out',
            min: 0,
            max: '1',
            type: 'Reference',
            documentation: 'select: the stored cohort',
        },
    ]),
    needs: (request) => {
        const mode = request.body?.parameter?.find((p) => p.name === 'mode');
        return mode?.valueCode === 'select' || mode?.valueString === 'select'
            ? [
                ['Patient', 's'],
                ['Group', 'c'],
            ]
            : [['Patient', 's']];
    },
    handle: async (request, { service, cohorts }) => {
        if (!cohorts)
            fail('not-ready', 'Cohort selection is not available in this server');
        const values = readParameters(request.body, INPUTS);
        const mode = oneOf(one(values, 'mode') ?? 'count', ['count', 'select'], 'mode');
        const breakdown = oneOf(one(values, 'breakdown') ?? 'gp-practice', BREAKDOWNS, 'breakdown');
        await cohorts.current();
        const asked = criteriaOf(values, cohorts);
        // an override in force sets people's invitation preferences aside: they are counted and selected
        const override = await cohorts.preferencesSetAside(asked.programme, new Date());
        const criteria = override ? { ...asked, includeOptedOut: true } : asked;
        const ageOn = criteria.ageOn.toISOString().slice(0, 10);
        const output = countParameters(cohorts.index, cohorts.areas, criteria, breakdown);
        if (override)
            output.push({
                name: 'preference-override',
                part: [
                    { name: 'task', valueReference: { reference: `Task/${override.id}` } },
                    { name: 'reason', valueString: override.reasonCode?.text ?? '' },
                    ...(override.executionPeriod?.end
                        ? [{ name: 'until', valueDateTime: override.executionPeriod.end }]
                        : []),
                ],
            });
        if (mode === 'select') {
            const members = cohorts.index.select(criteria);
            const id = randomUUID();
            await cohorts.members.save(id, members);
            const group = {
                resourceType: 'Group',
                type: 'person',
                actual: true,
                name: one(values, 'name') ?? `Cohort of ${ageOn}`,
                quantity: members.size,
                characteristic: characteristics(values, ageOn),
            };
            await service.createWithId('Group', group, id);
            output.push({ name: 'group', valueReference: { reference: `Group/${id}` } });
        }
        return { status: 200, body: { resourceType: 'Parameters', parameter: output } };
    },
});
//# sourceMappingURL=cohort.js.map
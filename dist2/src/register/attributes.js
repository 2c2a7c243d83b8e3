import { isDeepStrictEqual } from 'node:util';
import { CODE_SYSTEMS, EXTENSIONS } from '../resources/extensions.js';
import { ODS_CODE_SYSTEM } from '../shared/ods.js';
/** The priority groups and attribute lists the register holds, each loaded from its own source. */
export const PRIORITY_GROUPS = [
    'clinical-risk',
    'pregnant',
    'shielded',
    'nhs-staff',
    'social-care-worker',
    'unpaid-carer',
    'care-home-resident',
];
/** How each group is named to people (in the CodeSystem and on pages). */
export const PRIORITY_GROUP_NAMES = {
    'clinical-risk': 'Clinical risk group',
    pregnant: 'Pregnant',
    shielded: 'Shielded (clinically extremely vulnerable)',
    'nhs-staff': 'NHS staff',
    'social-care-worker': 'Social care worker',
    'unpaid-carer': 'Unpaid carer',
    'care-home-resident': 'Care home resident',
};
/** The clinical risk groups of the flu programme (the Green Book's chapter on influenza). */
export const CLINICAL_RISK_GROUPS = [
    'chronic-respiratory',
    'chronic-heart',
    'chronic-kidney',
    'chronic-liver',
    'chronic-neurological',
    'diabetes',
    'immunosuppression',
    'asplenia',
    'morbid-obesity',
    'learning-disability',
];
/** Groups that may name the employing organisation. */
const EMPLOYED = new Set(['nhs-staff', 'social-care-worker']);
const part = (url, value) => ({ url, ...value });
/** An attribute as the nims priority-group extension on Patient. */
export function attributeExtension(a) {
    return {
        url: EXTENSIONS.priorityGroup,
        extension: [
            part('group', { valueCoding: { system: CODE_SYSTEMS.priorityGroup, code: a.group } }),
            ...(a.detail
                ? [part('detail', { valueCoding: { system: CODE_SYSTEMS.clinicalRiskGroup, code: a.detail } })]
                : []),
            ...(a.start || a.end
                ? [
                    part('period', {
                        valuePeriod: { ...(a.start ? { start: a.start } : {}), ...(a.end ? { end: a.end } : {}) },
                    }),
                ]
                : []),
            part('source', { valueString: a.source }),
            ...(a.organisation
                ? [
                    part('organisation', {
                        valueReference: { identifier: { system: ODS_CODE_SYSTEM, value: a.organisation } },
                    }),
                ]
                : []),
        ],
    };
}
/** The fields of a priority-group extension, as given (checked by `attributeProblem`). */
export function readAttribute(extension) {
    const sub = (url) => extension.extension?.find((x) => x.url === url);
    const group = sub('group')?.valueCoding?.code;
    const detail = sub('detail')?.valueCoding?.code;
    const period = sub('period')?.valuePeriod;
    const source = sub('source')?.valueString;
    const organisation = sub('organisation')?.valueReference?.identifier?.value;
    return {
        ...(group !== undefined ? { group } : {}),
        ...(detail !== undefined ? { detail } : {}),
        ...(period?.start !== undefined ? { start: period.start } : {}),
        ...(period?.end !== undefined ? { end: period.end } : {}),
        ...(source !== undefined ? { source } : {}),
        ...(organisation !== undefined ? { organisation } : {}),
    };
}
/** The attributes on a Patient (extensions that do not read as one are left out). */
export function attributesOf(patient) {
    return (patient.extension ?? []).flatMap((e) => {
        if (e.url !== EXTENSIONS.priorityGroup)
            return [];
        const raw = readAttribute(e);
        return attributeProblem(raw) === undefined ? [raw] : [];
    });
}
/** The Patient with the attributes from `source` replaced by these (other sources' are kept, in place). */
export function withSourceAttributes(patient, source, attributes) {
    const current = attributesOf(patient).filter((a) => a.source === source);
    const same = (a, b) => isDeepStrictEqual(a, b);
    // the same attributes in another order are no change: the person keeps their version
    if (current.length === attributes.length && current.every((a) => attributes.some((b) => same(a, b))))
        return patient;
    const kept = (patient.extension ?? []).filter((e) => e.url !== EXTENSIONS.priorityGroup ||
        e.extension?.find((x) => x.url === 'source')?.valueString !== source);
    const extension = [...kept, ...attributes.map(attributeExtension)];
    const { extension: _old, ...rest } = patient;
    return extension.length > 0 ? { ...rest, extension } : rest;
}
/** What is wrong with an attribute, or undefined: the rules of the profile and of the loaders. */
export function attributeProblem(a) {
    if (!PRIORITY_GROUPS.includes(a.group))
        return `the attribute must be one of ${PRIORITY_GROUPS.join(', ')}`;
    if (a.detail !== undefined && a.group !== 'clinical-risk')
        return 'only clinical-risk takes a risk group';
    if (a.group === 'clinical-risk' && !CLINICAL_RISK_GROUPS.includes(a.detail))
        return `clinical-risk needs a risk group: one of ${CLINICAL_RISK_GROUPS.join(', ')}`;
    for (const date of [a.start, a.end])
        if (date !== undefined && (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date))))
            return `'${date}' is not a date (YYYY-MM-DD)`;
    if (a.start && a.end && a.start > a.end)
        return 'the period ends before it starts';
    if (!a.source)
        return 'the attribute needs a source';
    if (a.organisation !== undefined && !EMPLOYED.has(a.group))
        return 'only staff attributes name an organisation';
    if (a.organisation !== undefined && !/^[A-Z0-9]{3,10}$/.test(a.organisation))
        return `'${a.organisation}' is not an ODS code`;
    return undefined;
}
//# sourceMappingURL=attributes.js.map
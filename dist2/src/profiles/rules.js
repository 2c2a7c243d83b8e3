import { SNOMED_SYSTEM, isSnomedConceptId } from '../shared/snomed.js';
/** A check that looks only at the resources `applies` picks (one kind of Consent, of Task). */
export function onlyWhen(applies, check) {
    return (resource, context) => (applies(resource) ? check(resource, context) : []);
}
export function runProfile(profile, resource, context) {
    return profile.rules.flatMap((rule) => rule.check(resource, context).map((p) => ({
        ...p,
        code: 'profile-violation',
        rule: { key: rule.key, profile: profile.url },
    })));
}
/** Problems when a CodeableConcept has no well-formed SNOMED CT coding. */
export function requireSnomed(concept, expression, what) {
    if (!concept)
        return [];
    const snomed = (concept.coding ?? []).filter((c) => c.system === SNOMED_SYSTEM);
    if (snomed.length === 0) {
        return [
            { diagnostics: `${what} must be coded with SNOMED CT (${SNOMED_SYSTEM})`, expression: [expression] },
        ];
    }
    return snomed
        .filter((c) => !c.code || !isSnomedConceptId(c.code))
        .map((c) => ({
        diagnostics: `${what} code '${c.code ?? ''}' is not a valid SNOMED CT concept id`,
        expression: [`${expression}.coding`],
    }));
}
/** Clock skew allowed between a point-of-care device and the server. */
const SKEW_MS = 5 * 60_000;
export function notInFuture(value, expression, context) {
    if (!value)
        return [];
    const time = Date.parse(value.length === 4 ? `${value}-01-01` : value.length === 7 ? `${value}-01` : value);
    return time > context.now.getTime() + SKEW_MS
        ? [{ diagnostics: `${expression} is in the future`, expression: [expression] }]
        : [];
}
//# sourceMappingURL=rules.js.map
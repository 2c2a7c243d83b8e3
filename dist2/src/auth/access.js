import { fail } from '../fhir/errors.js';
import { PROGRAMME_CODES } from '../cohort/programmes.js';
import { CODE_SYSTEMS } from '../resources/extensions.js';
import { findParameter, parameterNodes } from '../search/parameters.js';
import { ODS_CODE_SYSTEM } from '../shared/ods.js';
import { allows, formatGrant, programmesAllowed } from './scopes.js';
/** Used only when authentication is switched off for local development. */
export const UNRESTRICTED = {
    clientId: 'anonymous',
    clientName: 'anyone (AUTH=off)',
    grants: [{ type: '*', permissions: ['c', 'r', 'u', 'd', 's'] }],
};
/** Who asks for a public path (metadata): nobody known, with no permissions at all. */
export const ANONYMOUS = { clientId: 'anonymous', clientName: 'anonymous', grants: [] };
const NAMES = { c: 'create', r: 'read', u: 'update', d: 'delete', s: 'search' };
export function may(access, type, permission) {
    return allows(access.grants, type, permission);
}
/** Refuses (403) unless the client's scopes allow `permission` on `type`. */
export function authorize(access, type, permission) {
    if (!may(access, type, permission)) {
        fail('forbidden', `This client may not ${NAMES[permission]} ${type} (granted: ${access.grants.map(formatGrant).join(' ') || 'nothing'})`);
    }
}
/**
 * Types a GP system sees only for its own practice, and the token search parameter that names the
 * practices of a resource. A search adds that parameter; a read checks the resource's values of it.
 */
const PRACTICE_PARAMETERS = { Communication: 'practice' };
/** Types a person's own token sees only for that person, and the reference parameter that names them. */
const PATIENT_PARAMETERS = { Consent: 'patient' };
/** The parameter and value a bound client's view of `type` is limited to, if it is bound. */
function boundOf(access, type) {
    const practice = PRACTICE_PARAMETERS[type];
    if (access.practice && practice)
        return [practice, `${ODS_CODE_SYSTEM}|${access.practice}`];
    const patient = PATIENT_PARAMETERS[type];
    if (access.patient && patient)
        return [patient, `Patient/${access.patient}`];
    return undefined;
}
/** The programme search parameter's token for a programme code. */
const programmeToken = (code) => `${CODE_SYSTEMS.programme}|${code}`;
/**
 * Search criteria added to every search of `type` by this client (or to what it reads in bulk): its bound (practice, person), and for a
 * client narrowed to some programmes, records of those programmes and of no other.
 */
export function restrictionOf(access, type, permission = 's') {
    const bound = boundOf(access, type);
    const criteria = bound ? [bound] : [];
    const programmes = programmesAllowed(access.grants, type, permission);
    if (programmes) {
        const others = PROGRAMME_CODES.filter((c) => !programmes.includes(c));
        // an empty list matches nothing: a client with no search permission never gets this far
        criteria.push(['programme', programmes.map(programmeToken).join(',')]);
        if (others.length > 0)
            criteria.push(['programme:not', others.map(programmeToken).join(',')]);
    }
    return criteria;
}
/** Whether this resource's values of a parameter include `wanted` (a reference or system|code). */
function holds(resource, parameter, wanted) {
    const param = findParameter(resource.resourceType, parameter);
    return parameterNodes(resource, param).some((node) => {
        const value = node;
        return (value.reference === wanted || `${String(value.system)}|${String(value.value ?? value.code)}` === wanted);
    });
}
const VERBS = { c: 'create', r: 'see', u: 'change', d: 'delete', s: 'find' };
/**
 * Why the client may not use `permission` on this resource, if it may not: a bound client works only
 * within its bound, a narrowed client only on records whose programmes are all among its own (a record of
 * no programme is outside every narrowed grant).
 */
export function refusalOf(access, resource, permission) {
    const type = resource.resourceType;
    const bound = boundOf(access, type);
    if (bound && !holds(resource, bound[0], bound[1])) {
        const whose = access.practice ? `practice ${access.practice}` : `the person this token is for`;
        return `This client may see only ${type} of ${whose}`;
    }
    const programmes = programmesAllowed(access.grants, type, permission);
    if (!programmes)
        return undefined;
    const about = PROGRAMME_CODES.filter((c) => holds(resource, 'programme', programmeToken(c)));
    if (about.length > 0 && about.every((c) => programmes.includes(c)))
        return undefined;
    return `This client may ${VERBS[permission]} ${type} records of ${programmes.join(', ') || 'no'} programme(s) only; this one is about ${about.join(', ') || 'no programme nims knows'}`;
}
/** Whether the client may use `permission` on this resource (always, for clients neither bound nor narrowed). */
export function canSee(access, resource, permission = 'r') {
    return refusalOf(access, resource, permission) === undefined;
}
/** Refuses (403) a resource the client may not use `permission` on. */
export function requireVisible(access, resource, permission = 'r') {
    const refusal = resource && refusalOf(access, resource, permission);
    if (refusal)
        fail('forbidden', refusal);
}
/**
 * Whether the client may use `permission` on some resources of `type` only (so type-wide history is
 * refused, and each write is checked against the records it touches).
 */
export function isPartial(access, type, permission = 'r') {
    return (boundOf(access, type) !== undefined || programmesAllowed(access.grants, type, permission) !== undefined);
}
//# sourceMappingURL=access.js.map
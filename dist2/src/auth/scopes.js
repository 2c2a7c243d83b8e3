import { PROGRAMME_CODES } from '../cohort/programmes.js';
const ORDER = ['c', 'r', 'u', 'd', 's'];
const V1 = {
    read: ['r', 's'],
    write: ['c', 'u', 'd'],
    '*': ORDER,
};
const SCOPE = /^system\/(\*|[A-Z][A-Za-z]+)\.([a-z*]+)(?:\?programme=([a-z0-9-]+))?$/;
/** The one type whose grants may be narrowed to programmes. */
export const PROGRAMME_NARROWED_TYPE = 'Immunization';
/** nims's own scope naming the Bulk Data export profile a client receives (see src/export/profiles.ts). */
const EXPORT_SCOPE = /^nims-export\/([a-z][a-z0-9-]{0,40})$/;
/** One scope as a grant; undefined when it is not a system scope nims understands. */
export function parseScope(scope) {
    const profile = EXPORT_SCOPE.exec(scope)?.[1];
    if (profile)
        return { type: `export:${profile}`, permissions: ['r'] };
    const match = SCOPE.exec(scope);
    if (!match)
        return undefined;
    const [, type, letters, programme] = match;
    if (programme !== undefined) {
        const known = type === PROGRAMME_NARROWED_TYPE && PROGRAMME_CODES.includes(programme);
        if (!known || V1[letters])
            return undefined;
    }
    const v1 = V1[letters];
    if (v1)
        return { type, permissions: v1 };
    // v2: letters in the order c, r, u, d, s, each at most once
    const permissions = ORDER.filter((p) => letters.includes(p));
    if (permissions.join('') !== letters)
        return undefined;
    return { type, permissions, ...(programme !== undefined ? { programme } : {}) };
}
export function formatGrant(grant) {
    if (grant.type.startsWith('export:'))
        return `nims-export/${grant.type.slice('export:'.length)}`;
    const narrowed = grant.programme !== undefined ? `?programme=${grant.programme}` : '';
    return `system/${grant.type}.${grant.permissions.join('')}${narrowed}`;
}
/** Parses a space-separated scope list; `invalid` lists what could not be understood. */
export function parseScopes(text) {
    const grants = [];
    const invalid = [];
    for (const scope of text.split(' ').filter(Boolean)) {
        const grant = parseScope(scope);
        if (grant)
            grants.push(grant);
        else
            invalid.push(scope);
    }
    return { grants, invalid };
}
/** Whether some grant gives `permission` on `type` (perhaps for some programmes only). */
export function allows(grants, type, permission) {
    return grants.some((g) => (g.type === '*' || g.type === type) && g.permissions.includes(permission));
}
/**
 * The programmes `permission` on `type` is limited to: undefined when some grant gives it for all of them
 * (or the type is not narrowed), empty when no grant gives it.
 */
export function programmesAllowed(grants, type, permission) {
    if (type !== PROGRAMME_NARROWED_TYPE)
        return undefined;
    const giving = grants.filter((g) => (g.type === '*' || g.type === type) && g.permissions.includes(permission));
    if (giving.some((g) => g.programme === undefined))
        return undefined;
    return [...new Set(giving.map((g) => g.programme))];
}
/**
 * What a client gets when it asks for `requested` and is registered for `allowed`: each requested grant
 * cut down to the permissions the registration gives for its type (a requested `*` is cut per allowed
 * grant), and to the narrower of the two programmes. Empty grants are dropped.
 */
export function intersect(requested, allowed) {
    const result = new Map();
    const give = (type, programme, permissions) => {
        if (permissions.length === 0)
            return;
        const key = `${type}?${programme ?? ''}`;
        const grant = result.get(key) ?? { type, permissions: [], ...(programme ? { programme } : {}) };
        grant.permissions = ORDER.filter((p) => grant.permissions.includes(p) || permissions.includes(p));
        result.set(key, grant);
    };
    for (const want of requested) {
        for (const have of allowed) {
            if (want.programme && have.programme && want.programme !== have.programme)
                continue;
            const programme = want.programme ?? have.programme;
            const common = want.permissions.filter((p) => have.permissions.includes(p));
            if (want.type === '*')
                give(have.type, programme, common);
            else if (have.type === '*' || have.type === want.type)
                give(want.type, programme, common);
        }
    }
    return [...result.values()];
}
//# sourceMappingURL=scopes.js.map
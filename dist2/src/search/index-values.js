import { parseDateRange, sortableTime, MAX_TIME, MIN_TIME } from './dates.js';
import { parameterNodes, parametersOf } from './parameters.js';
export function normalise(text) {
    return text
        .normalize('NFD')
        .replace(/\p{M}/gu, '') // combining marks only: accents go, symbols such as ^ stay
        .toLowerCase()
        .trim();
}
function isObject(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}
function str(value) {
    return typeof value === 'string' && value !== '' ? value : undefined;
}
/** Tokens from any element shape a token parameter may point at. */
function tokensOf(node) {
    if (typeof node === 'string')
        return [{ code: node }];
    if (typeof node === 'boolean')
        return [{ code: String(node) }];
    if (!isObject(node))
        return [];
    if (Array.isArray(node.coding) || 'text' in node) {
        const codings = Array.isArray(node.coding) ? node.coding : [];
        const tokens = codings.flatMap(tokensOf);
        const text = str(node.text);
        return text ? [...tokens, { code: '', text }] : tokens;
    }
    const code = str(node.code) ?? str(node.value);
    if (code === undefined)
        return [];
    const system = str(node.system);
    const text = str(node.display) ?? (isObject(node.type) ? str(node.type.text) : undefined);
    return [{ code, ...(system ? { system } : {}), ...(text ? { text } : {}) }];
}
const NAME_PARTS = ['text', 'family', 'given', 'prefix', 'suffix'];
const ADDRESS_PARTS = ['text', 'line', 'city', 'district', 'state', 'postalCode', 'country'];
function stringsOf(node) {
    if (typeof node === 'string')
        return [node];
    if (!isObject(node))
        return [];
    const parts = 'family' in node || 'given' in node ? NAME_PARTS : ADDRESS_PARTS;
    return parts.flatMap((p) => {
        const v = node[p];
        return Array.isArray(v)
            ? v.filter((x) => typeof x === 'string')
            : str(v)
                ? [v]
                : [];
    });
}
function datesOf(node) {
    if (typeof node === 'string') {
        const range = parseDateRange(node);
        return range ? [range] : [];
    }
    if (isObject(node) && ('start' in node || 'end' in node)) {
        const start = str(node.start) ? parseDateRange(node.start) : undefined;
        const end = str(node.end) ? parseDateRange(node.end) : undefined;
        return [{ lo: start?.lo ?? MIN_TIME, hi: end?.hi ?? MAX_TIME }];
    }
    return [];
}
/** `Type/id` for a local reference; absolute URLs are kept as written. */
export function referenceKey(reference, baseUrl) {
    const relative = baseUrl && reference.startsWith(`${baseUrl}/`) ? reference.slice(baseUrl.length + 1) : reference;
    const match = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/.*)?$/.exec(relative);
    return match ? `${match[1]}/${match[2]}` : relative;
}
function add(values, key, items) {
    if (items.length > 0)
        values[key] = items;
}
function unique(items) {
    return [...new Set(items)];
}
function indexParameter(resource, param, values, sorts) {
    const nodes = parameterNodes(resource, param);
    switch (param.type) {
        case 'token': {
            const tokens = nodes.flatMap(tokensOf);
            const coded = tokens.filter((t) => t.code !== '');
            add(values, param.name, unique(coded.map((t) => `${t.system ?? ''}|${t.code}`)));
            add(values, `${param.name}:code`, unique(coded.map((t) => t.code)));
            add(values, `${param.name}:text`, unique(tokens.flatMap((t) => (t.text ? [normalise(t.text)] : []))));
            if (param.unique) {
                // an identifier kept as `old` (a superseded NHS number after a merge) is found, never claimed
                const current = nodes.filter((n) => !isObject(n) || n.use !== 'old').flatMap(tokensOf);
                add(values, `${param.name}:unique`, unique(current.filter((t) => t.code !== '').map((t) => `${t.system ?? ''}|${t.code}`)));
            }
            sorts[param.name] = coded[0]?.code ?? '';
            break;
        }
        case 'string': {
            const strings = nodes.flatMap(stringsOf);
            add(values, param.name, unique(strings.map(normalise)));
            add(values, `${param.name}:exact`, unique(strings));
            sorts[param.name] = strings[0] === undefined ? '' : normalise(strings[0]);
            break;
        }
        case 'date': {
            const ranges = nodes.flatMap(datesOf);
            if (ranges.length > 0) {
                values[`${param.name}:lo`] = Math.min(...ranges.map((r) => r.lo));
                values[`${param.name}:hi`] = Math.max(...ranges.map((r) => r.hi));
            }
            // missing dates sort first, as empty text does
            sorts[param.name] = ranges.length > 0 ? sortableTime(Math.min(...ranges.map((r) => r.lo))) : '';
            break;
        }
        case 'reference': {
            const refs = nodes.filter(isObject);
            const keys = refs.flatMap((r) => (str(r.reference) ? [referenceKey(r.reference)] : []));
            // a parameter covers only references to its target types (AuditEvent's patient is entity.what's Patients)
            const targeted = keys.filter((k) => !/^[A-Z]/.test(k) || param.targets?.includes(k.split('/')[0]) !== false);
            add(values, param.name, unique(targeted));
            const identifiers = refs.flatMap((r) => tokensOf(r.identifier));
            add(values, `${param.name}:identifier`, unique(identifiers.map((t) => `${t.system ?? ''}|${t.code}`)));
            break;
        }
    }
}
/** All search and sort values of a resource, computed from its type's parameter table. */
export function indexValues(resource) {
    const idx = {};
    const srt = {};
    for (const param of parametersOf(resource.resourceType))
        indexParameter(resource, param, idx, srt);
    return { idx, srt };
}
//# sourceMappingURL=index-values.js.map
import { fail } from '../fhir/errors.js';
import { findParameter } from './parameters.js';
export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 1000;
/** Parameters that shape the result rather than select resources. */
export const RESULT_PARAMETERS = new Set([
    '_count',
    '_sort',
    '_include',
    '_revinclude',
    '_summary',
    '_elements',
    '_total',
    '_page',
    '_format',
    '_pretty',
]);
export function isResultParameter(name) {
    return RESULT_PARAMETERS.has(name.split(':')[0]);
}
export function encodeCursor(cursor) {
    return Buffer.from(JSON.stringify([cursor.backwards ? 1 : 0, ...cursor.values])).toString('base64url');
}
function decodeCursor(token) {
    try {
        const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
        if (Array.isArray(parsed) &&
            parsed.length >= 2 &&
            parsed.every((v, i) => (i === 0 ? v === 0 || v === 1 : typeof v === 'string'))) {
            return { backwards: parsed[0] === 1, values: parsed.slice(1) };
        }
    }
    catch {
        // fall through to the error below
    }
    fail('invalid-search-parameter', '_page is not a page token issued by this server', ['_page']);
}
function parseInclude(type, raw, name, reverse) {
    const [sourceType, param, targetType] = raw.split(':');
    const source = reverse ? sourceType : type;
    const def = sourceType && param ? findParameter(sourceType, param) : undefined;
    if (!def || def.type !== 'reference' || (!reverse && sourceType !== type) || !source) {
        fail('invalid-search-parameter', `${name}=${raw} does not name a reference parameter as Type:param`, [
            name,
        ]);
    }
    if (targetType !== undefined && !(def.targets ?? []).includes(targetType)) {
        fail('invalid-search-parameter', `${name}=${raw}: '${param}' cannot refer to ${targetType}`, [name]);
    }
    return { sourceType: source, param: param, ...(targetType ? { targetType } : {}) };
}
function oneOf(name, value, allowed) {
    if (!allowed.includes(value)) {
        fail('invalid-search-parameter', `${name} must be one of ${allowed.join(', ')}`, [name]);
    }
    return value;
}
/** Reads the result parameters (paging, sorting, includes, summaries) of a search. */
export function parseControls(type, params) {
    const controls = { count: DEFAULT_COUNT, sort: [], include: [], revinclude: [] };
    for (const [rawName, value] of params) {
        const name = rawName.split(':')[0];
        switch (name) {
            case '_count': {
                const count = Number(value);
                if (!/^\d+$/.test(value))
                    fail('invalid-search-parameter', '_count must be a whole number', ['_count']);
                controls.count = Math.min(count, MAX_COUNT);
                break;
            }
            case '_sort':
                controls.sort = value.split(',').map((key) => {
                    const descending = key.startsWith('-');
                    const paramName = descending ? key.slice(1) : key;
                    if (paramName === '_id')
                        return { path: '_id', descending };
                    const def = findParameter(type, paramName);
                    if (!def || def.type === 'reference') {
                        fail('invalid-search-parameter', `Cannot sort ${type} by '${paramName}'`, ['_sort']);
                    }
                    return { path: `srt.${paramName}`, descending };
                });
                break;
            case '_include':
                if (rawName !== '_include')
                    fail('invalid-search-parameter', `${rawName} is not supported`, [rawName]);
                controls.include.push(parseInclude(type, value, name, false));
                break;
            case '_revinclude':
                if (rawName !== '_revinclude')
                    fail('invalid-search-parameter', `${rawName} is not supported`, [rawName]);
                controls.revinclude.push(parseInclude(type, value, name, true));
                break;
            case '_summary':
                controls.summary = oneOf('_summary', value, ['true', 'false', 'count', 'data', 'text']);
                break;
            case '_elements':
                controls.elements = value
                    .split(',')
                    .map((e) => e.trim())
                    .filter(Boolean);
                break;
            case '_total':
                controls.total = oneOf('_total', value, ['none', 'estimate', 'accurate']);
                break;
            case '_page':
                controls.cursor = decodeCursor(value);
                break;
        }
    }
    // the id breaks ties, so every page boundary is exact
    if (!controls.sort.some((s) => s.path === '_id'))
        controls.sort.push({ path: '_id', descending: false });
    if (controls.cursor && controls.cursor.values.length !== controls.sort.length) {
        fail('invalid-search-parameter', '_page does not belong to this search', ['_page']);
    }
    return controls;
}
/** The filter that selects what comes after (or before) a cursor in sort order. */
export function cursorFilter(sort, cursor) {
    const alternatives = sort.map((key, i) => {
        const forward = key.descending === cursor.backwards ? '$gt' : '$lt';
        const condition = {};
        for (let j = 0; j < i; j++)
            condition[sort[j].path] = cursor.values[j];
        condition[key.path] = { [forward]: cursor.values[i] };
        return condition;
    });
    return alternatives.length === 1 ? alternatives[0] : { $or: alternatives };
}
//# sourceMappingURL=controls.js.map
import { fail } from '../fhir/errors.js';
import { jsonShapeProblem } from '../fhir/json-shape.js';
const JSON_TYPES = ['application/fhir+json', 'application/json', 'application/json-patch+json'];
const FORM_TYPE = 'application/x-www-form-urlencoded';
function mediaType(request) {
    return request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
}
const NDJSON_TYPES = ['application/fhir+ndjson', 'application/ndjson', 'application/x-ndjson'];
/**
 * The format of a body that is left unread, for the operations that stream it (`$load`, `$returned-mail`,
 * `$load-attributes`); such a body has no size limit.
 */
export function streamFormat(request) {
    const type = mediaType(request);
    if (type === 'text/csv')
        return 'csv';
    return type !== undefined && NDJSON_TYPES.includes(type) ? 'ndjson' : undefined;
}
/** Query parameters in order, repeats kept (AND semantics need them). */
function queryParams(request) {
    const question = request.originalUrl.indexOf('?');
    return question < 0 ? [] : [...new URLSearchParams(request.originalUrl.slice(question + 1)).entries()];
}
function parseBody(request, isSearch) {
    const raw = request.body;
    if (!Buffer.isBuffer(raw) || raw.length === 0)
        return { form: [] };
    const type = mediaType(request);
    if (type === FORM_TYPE && isSearch)
        return { form: [...new URLSearchParams(raw.toString('utf8')).entries()] };
    if (!type || !JSON_TYPES.includes(type)) {
        fail('unsupported-media-type', `Content-Type must be application/fhir+json${isSearch ? ` or ${FORM_TYPE}` : ''}`);
    }
    const text = raw.toString('utf8');
    const shapeProblem = jsonShapeProblem(text);
    if (shapeProblem)
        fail(shapeProblem.code, `The request body ${shapeProblem.text}`);
    try {
        return { body: JSON.parse(text), form: [] };
    }
    catch {
        fail('malformed-json', 'The request body is not valid JSON');
    }
}
/** `W/"3"` (or `"3"`) to 3. */
function parseVersionTag(value) {
    if (value === undefined)
        return undefined;
    const match = /^(?:W\/)?"(\d{1,9})"$/.exec(value.trim());
    if (!match)
        fail('invalid-precondition', `If-Match must be a version ETag such as W/"3", not ${value}`);
    return Number(match[1]);
}
export function preferences(request) {
    const header = request.headers.prefer;
    const prefer = (Array.isArray(header) ? header.join(',') : (header ?? '')).toLowerCase();
    const returned = /return=(minimal|representation|operationoutcome)/.exec(prefer)?.[1];
    return {
        return: returned === 'minimal'
            ? 'minimal'
            : returned === 'operationoutcome'
                ? 'OperationOutcome'
                : 'representation',
        strict: /handling=strict/.test(prefer),
        respondAsync: /(^|[\s,;])respond-async($|[\s,;])/.test(prefer),
    };
}
const ACCEPTABLE = ['application/fhir+json', 'application/json', 'application/*', '*/*', 'json'];
/** JSON is the only format; anything else asked for explicitly is refused. */
export function checkAcceptable(request, params) {
    const format = params.find(([name]) => name === '_format')?.[1];
    if (format !== undefined && !ACCEPTABLE.includes(format.split(';')[0].trim().toLowerCase())) {
        fail('not-acceptable', `_format ${format} is not supported; this server speaks application/fhir+json`);
    }
    const accept = request.headers.accept;
    if (accept &&
        !accept.split(',').some((part) => ACCEPTABLE.includes(part.split(';')[0].trim().toLowerCase()))) {
        fail('not-acceptable', `Accept ${accept} cannot be satisfied; this server speaks application/fhir+json`);
    }
}
export function toFhirRequest(request, context) {
    const path = request.path.replace(/^\/+/, '');
    const params = queryParams(request);
    checkAcceptable(request, params);
    const isSearch = request.method === 'POST' && /(^|\/)_search$/.test(path);
    const { body, form } = parseBody(request, isSearch);
    const ifMatch = parseVersionTag(request.headers['if-match']);
    const header = (name) => {
        const value = request.headers[name];
        return typeof value === 'string' ? value : undefined;
    };
    return {
        method: request.method,
        path,
        params: [...params, ...form].filter(([name]) => name !== '_format' && name !== '_pretty'),
        ...(body !== undefined ? { body } : {}),
        ...(ifMatch !== undefined ? { ifMatch } : {}),
        ...(header('if-none-exist') ? { ifNoneExist: header('if-none-exist') } : {}),
        ...(header('if-none-match') ? { ifNoneMatch: header('if-none-match') } : {}),
        ...(header('if-modified-since') ? { ifModifiedSince: header('if-modified-since') } : {}),
        ...(streamFormat(request) ? { stream: { body: request, format: streamFormat(request) } } : {}),
        ...(preferences(request).respondAsync ? { respondAsync: true } : {}),
        context,
    };
}
//# sourceMappingURL=request.js.map